// Dropout (Srivastava et al., 2014), "inverted" as in PyTorch: in training
// each element is kept with probability 1 − p and scaled by 1/(1 − p), so the
// expected output equals the input and inference needs no rescaling:
//   training:   y = x ⊙ m,  mᵢ = 1/(1 − p) with probability 1 − p, else 0
//   inference:  y = x
//   backward:   dx = dy ⊙ m   (the same mask)
// The mask comes from the layer's own seeded generator, so runs repeat.

import BackpropCore

/// Randomly zeroes elements during training.
public final class Dropout<Scalar: TensorScalar>: Layer {
    public let probability: Double
    public var backend: Backend
    private var rng: SeededRandom
    public var parameters: [Parameter<Scalar>] { [] }
    public var summary: String { "dropout(p = \(probability))" }

    /// - Throws: `TrainingError.invalidOption` unless 0 ≤ p < 1.
    public init(_ probability: Double, seed: UInt64, backend: Backend = .simd) throws {
        guard probability >= 0, probability < 1 else {
            throw TrainingError.invalidOption(name: "dropout probability", value: "\(probability)", reason: "must be in [0, 1)")
        }
        self.probability = probability
        self.rng = SeededRandom(seed: seed)
        self.backend = backend
    }

    /// The cache is the mask (nil in inference, or when p = 0).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Tensor<Scalar>?) {
        guard mode == .training, probability > 0 else { return (x, nil) }
        var mask = x
        let keep = Scalar(1 / (1 - probability))
        for i in 0..<mask.count { mask.scalars[i] = rng.uniform() < probability ? 0 : keep }
        return (try x.multiplying(mask, backend: backend), mask)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache mask: Tensor<Scalar>?) throws -> Tensor<Scalar> {
        guard let mask else { return dy }
        return try dy.multiplying(mask, backend: backend)
    }
}
