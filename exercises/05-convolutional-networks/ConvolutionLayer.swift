// Exercise 5.7 — a convolution layer of your own, trained in the digits CNN
// (chapters/05-convolutional-networks.md, "Multiple channels, and the
// forward pass", "The backward pass of a convolution" and "The digits CNN";
// the layer contract: chapters/02-backpropagation.md and
// Sources/02-backpropagation/Layer.swift).
//
// Write a convolution that conforms to chapter 2's `Layer` protocol, the
// one every layer of the book keeps, so that it can stand in for the book's
// Conv2D inside a real network. Exercises 5.2 and 5.5 did the arithmetic for
// one image held in nested arrays; here the input is a batch in a Tensor:
//
//   x   [N, C_in, H, W]           (x.shape, and x.scalars in row-major order:
//                                   x[n][c][h][w] is x.scalars[((n·C_in + c)·H + h)·W + w])
//   W   [C_out, C_in, k, k]       weight.value, likewise
//   b   [C_out]                   bias.value
//   y   [N, C_out, H_out, W_out]  y[n][o][i][j] = b[o] + Σ_c Σ_u Σ_v W[o][c][u][v] · x[n][c][i·s − p + u][j·s − p + v]
//
// with x taken as 0 outside the image (zero padding p, stride s, dilation
// 1) and H_out, W_out the window positions that fit (exercise 5.1).
//
// The contract (Layer.swift):
// - forward(x, mode:) returns y and a cache: whatever backward will need.
//   A convolution behaves the same in both modes.
// - backward(dy, cache:) receives dy = ∂L/∂y [N, C_out, H_out, W_out] and
//   returns dx = ∂L/∂x with x's shape. It does not return the parameter
//   gradients: it ADDS ∂L/∂W into weight.grad and ∂L/∂b into bias.grad
//   (both start at zero; the optimizer zeroes them before each step), and
//   it leaves weight.value and bias.value alone (the optimizer updates
//   them). L sums over the batch, so the parameter gradients are sums over
//   the N images.
// - `parameters` lists what the optimizer updates: the weight and the bias.
//
// Build a Tensor with `try Tensor(shape: [...], scalars: array)` or
// `try Tensor<Double>.zeros([...])`, and write into `t.scalars[index]`.
// You may reuse your answers to 5.2 and 5.5 (converting between tensors and
// nested arrays, image by image), or write the loops on flat arrays, which
// is faster.
//
// The grader first checks your layer on small batches (stride 1 and 2,
// padding 0 to 2, several channels): y against its own forward loop, dx and
// the gradients your backward adds into weight.grad and bias.grad against
// centered finite differences of L = ⟨dy, y⟩, and that a second backward
// adds the same gradients again. Only then does it build a small digits CNN
// with two of your layers,
//
//   Unflatten [1, 8, 8] → yours (1 → 4, 3×3, stride 1, padding 1) → ReLU
//   → yours (4 → 6, 3×3, stride 1, padding 1) → ReLU → MaxPool2D(4)
//   → Flatten → Linear(24 → 10)
//
// and trains it with the book's softmax cross-entropy and Adam (learning
// rate 0.02) for 80 steps of 16 training digits (chapter 5's split, pixels
// scaled to 0…1, seed 507). It must then classify at least 80% of the 360
// held-out test digits. (The book's Conv2D in its place gets 89%; the same
// network whose convolutions never learn, 67%: after the 4×4 pooling the
// last layer sees only 24 numbers, so the convolutions must do the work.)
// The grader runs in a debug build: loops over flat arrays take a second or
// two there; a layer that builds nested arrays for every pixel takes longer.
//
// Replace the two `throw`s with your code (you may add stored properties and
// change the Cache type), then run:
//   swift test --package-path exercises/05-convolutional-networks --filter Chapter05Exercises/convolutionLayer

import Backpropagation
import BackpropCore
import ExerciseKit

public final class ConvolutionLayer: Layer {
    /// W [C_out, C_in, k, k] and its gradient.
    public let weight: Parameter<Double>
    /// b [C_out] and its gradient.
    public let bias: Parameter<Double>
    public let stride: Int, padding: Int
    /// The book's layers compute on naive or SIMD kernels; yours need not.
    public var backend: Backend = .naive
    public var parameters: [Parameter<Double>] { [weight, bias] }
    public var summary: String { "ConvolutionLayer(\(weight.value.shape), stride \(stride), padding \(padding))" }

    public init(weight: Tensor<Double>, bias: Tensor<Double>, stride: Int, padding: Int) {
        self.weight = Parameter("weight", weight)
        self.bias = Parameter("bias", bias)
        self.stride = stride
        self.padding = padding
    }

    public func forward(_ x: Tensor<Double>, mode: Mode) throws -> (output: Tensor<Double>, cache: Tensor<Double>) {
        throw NotAttempted()
    }

    public func backward(_ dy: Tensor<Double>, cache: Tensor<Double>) throws -> Tensor<Double> {
        throw NotAttempted()
    }
}
