// Exercise 2.7 — a linear layer, plugged into the digits network
// (chapters/02-backpropagation.md, "The layer contract", "Why gradients
// accumulate" and "Initialisation"; the gradients are derived in
// chapters/01-linear-models.md, "The gradient of an affine map").
//
// Plug in and train. Write a fully connected layer that keeps the chapter's
// `Layer` contract (Sources/02-backpropagation/Layer.swift). The grader puts
// two of them into the chapter's digits network, with the library's ReLU
// between them, softmax cross-entropy, Adam and training loop, and trains it.
//
// The layer maps x [n, in] (row-major: entry (i, k) is x.scalars[i * in + k])
// to y = x·Wᵀ + b [n, out], with W = weight.value [out, in] (PyTorch's
// layout) and b = bias.value [out]. Write:
//
//   - init: W drawn at random from `rng`, with the variance He initialisation
//     prescribes for a layer followed by ReLU (the chapter's "Initialisation";
//     the grader measures the mean and variance of a 128 × 256 layer, and
//     checks that two layers drawn from one generator differ), and b = 0;
//   - forward: y, and as the cache whatever backward will need;
//   - backward: given dy = ∂L/∂y [n, out] and that cache, return ∂L/∂x
//     [n, in] and ADD ∂L/∂W into weight.grad and ∂L/∂b into bias.grad (an
//     optimizer's zeroGrad resets them; the grader fills them with other
//     values first and checks that yours were added).
//
// backward may be called with the cache of any earlier forward pass, so keep
// what it needs in the cache, not in the layer. You may loop over `scalars`,
// or use BackpropCore's tensor operations (Tensor.matmul and its layouts);
// don't wrap the library's `Linear`, whose code this exercise rebuilds.
// The layer is generic over its scalar: T = Double is checked, T = Float trains.
//
// What the grader does, in order (it stops at the first part that fails):
//   1. initialisation statistics (Double);
//   2. forward against x·Wᵀ + b computed by the grader, and backward against
//     centered finite differences of Σ dy ⊙ y (Double, random W, b, x, dy);
//   3. training (Float): the digits split 60/20/20 with seed 42, standardised
//     on the training part (Chapter2.data("digits", seed: 42)); the network
//     LinearLayer(64 → 32), ReLU, LinearLayer(32 → 10), built from one
//     SeededRandom(seed: 42); Adam with η = 0.01; 3 epochs of minibatches of
//     64 with the trainer's seed 42 (51 steps). The 360 test images must
//     reach an accuracy of at least 90%.
//
// Replace each `throw` with your code (keep the signatures), then run:
//   swift test --package-path exercises/02-backpropagation --filter Chapter02Exercises/linearLayerTraining

import BackpropCore
import Backpropagation
import ExerciseKit

public final class LinearLayer<Scalar: TensorScalar>: Layer {
    /// W [out, in].
    public let weight: Parameter<Scalar>
    /// b [out].
    public let bias: Parameter<Scalar>
    public var backend: Backend

    public var parameters: [Parameter<Scalar>] { [weight, bias] }
    public var summary: String { "LinearLayer(\(weight.value.shape[1]) → \(weight.value.shape[0]))" }

    public init(_ inputs: Int, _ outputs: Int, rng: inout SeededRandom, backend: Backend = .naive) throws {
        // Set weight = Parameter("weight", …) and bias = Parameter("bias", …), and self.backend = backend.
        throw NotAttempted()
    }

    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Tensor<Scalar>) {
        throw NotAttempted()
    }

    public func backward(_ dy: Tensor<Scalar>, cache: Tensor<Scalar>) throws -> Tensor<Scalar> {
        throw NotAttempted()
    }
}
