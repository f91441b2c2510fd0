// Linear: the affine layer y = x·Wᵀ + b of chapter 1, now a `Layer` whose
// backward accumulates into its parameters' gradients.
//
//   forward   x [n, in] → y [n, out]      y = x·Wᵀ + b          (matmul .nt)
//   backward  dy [n, out] → dx [n, in]    dx = dy·W             (matmul .nn)
//             W.grad += dyᵀ·x  [out, in]                         (matmul .tn, accumulate)
//             b.grad += Σᵢ dyᵢ [out]                              (columnSum, accumulate)
// Without a bias (`hasBias` false, as in the bias-free GPT of chapter 7) the
// layer is y = x·Wᵀ: b stays a zero vector outside `parameters`, never read
// or written.
// A sequence x [B, T, in] is the matrix [B·T, in] (features last), so the
// same layer maps every position of every sequence: y [B, T, out].
// Derivation: chapters/01-linear-models.md, "The gradient of an affine map".

import BackpropCore
import LinearModels

/// A fully connected layer in PyTorch's convention (W is [out, in]).
public final class Linear<Scalar: TensorScalar>: Layer {
    public let weight: Parameter<Scalar>
    /// b [out]; all zeros and not a parameter when `hasBias` is false.
    public let bias: Parameter<Scalar>
    /// Whether the layer adds (and learns) the bias b.
    public let hasBias: Bool
    public var backend: Backend

    public var inputs: Int { weight.value.shape[1] }
    public var outputs: Int { weight.value.shape[0] }
    public var parameters: [Parameter<Scalar>] { hasBias ? [weight, bias] : [weight] }
    public var summary: String { "Linear(\(inputs) → \(outputs))" }

    /// A layer with weights drawn from `initializer` and zero biases.
    public init(
        _ inputs: Int, _ outputs: Int, initializer: Initializer = .heUniform,
        rng: inout SeededRandom, backend: Backend = .simd
    ) throws {
        weight = Parameter("weight", try initializer.sample(shape: [outputs, inputs], fanIn: inputs, fanOut: outputs, using: &rng))
        bias = Parameter("bias", try Tensor.zeros([outputs]))
        hasBias = true
        self.backend = backend
    }

    /// A layer with the given weight [out, in] and bias [out].
    public convenience init(weight w: Tensor<Scalar>, bias b: Tensor<Scalar>, backend: Backend = .simd) throws {
        try self.init(weight: w, bias: b, hasBias: true, backend: backend)
    }

    /// A layer y = x·Wᵀ with the given weight [out, in] and no bias.
    public convenience init(weight w: Tensor<Scalar>, backend: Backend = .simd) throws {
        let (out, _) = try w.matrixShape("Linear")
        try self.init(weight: w, bias: try Tensor.zeros([out]), hasBias: false, backend: backend)
    }

    private init(weight w: Tensor<Scalar>, bias b: Tensor<Scalar>, hasBias: Bool, backend: Backend) throws {
        let (out, _) = try w.matrixShape("Linear")
        guard b.shape == [out] else {
            throw TensorError.shapeMismatch(operation: "Linear", lhs: w.shape, rhs: b.shape, reason: "bias needs \(out) elements")
        }
        weight = Parameter("weight", w)
        bias = Parameter("bias", b)
        self.hasBias = hasBias
        self.backend = backend
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Tensor<Scalar>) {
        let rows = try x.flattenedRows(summary)                                   // [n, in]
        let y = hasBias ? try Affine.forward(rows, weight: weight.value, bias: bias.value, backend: backend)
                        : try Tensor.matmul(rows, weight.value, .nt, backend: backend)  // x·Wᵀ
        return (x.rank == 2 ? y : try y.reshaped(Array(x.shape.dropLast()) + [outputs]), x)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache input: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let outputShape = Array(input.shape.dropLast()) + [outputs]
        guard dy.shape == outputShape else {
            throw TensorError.shapeMismatch(
                operation: "Linear.backward", lhs: dy.shape, rhs: outputShape, reason: "dy must have the output's shape")
        }
        let rows = try dy.flattenedRows("Linear.backward")
        let rowsDx = try Tensor.matmul(rows, weight.value, .nn, backend: backend)  // [n, out]·[out, in]
        let dx = input.rank == 2 ? rowsDx : try rowsDx.reshaped(input.shape)
        try accumulateParameterGradients(dy, cache: input)
        return dx
    }

    /// W.grad += dyᵀ·x and b.grad += Σ dy without ∂L/∂x (the model's first
    /// layer: its input is the data, which needs no gradient).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func accumulateParameterGradients(_ dy: Tensor<Scalar>, cache input: Tensor<Scalar>) throws {
        let outputShape = Array(input.shape.dropLast()) + [outputs]
        guard dy.shape == outputShape else {
            throw TensorError.shapeMismatch(
                operation: "Linear.backward", lhs: dy.shape, rhs: outputShape, reason: "dy must have the output's shape")
        }
        let x = try input.flattenedRows("Linear.backward"), dy = try dy.flattenedRows("Linear.backward")
        let n = x.shape[0]
        let (out, inp, k) = (outputs, inputs, backend.kernels)
        dy.withUnsafeBufferPointer { pdy in
            x.withUnsafeBufferPointer { px in
                weight.grad.withUnsafeMutableBufferPointer { pg in  // W.grad += dyᵀ·x
                    k.matmul(.tn, m: out, n: inp, k: n, pdy.baseAddress!, px.baseAddress!, pg.baseAddress!, accumulate: true)
                }
                if hasBias {
                    bias.grad.withUnsafeMutableBufferPointer { pb in  // b.grad += column sums of dy
                        k.columnSum(rows: n, cols: out, pdy.baseAddress!, pb.baseAddress!, accumulate: true)
                    }
                }
            }
        }
    }
}
