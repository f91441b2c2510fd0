// How the GPT's weights start: N(0, std²) for the embeddings and the Linears
// that read the residual stream, std/√(2L) for the two that write into it,
// zero biases and unit LayerNorm gains. The choice of std is the whole
// difference between a validation loss of 1.888 and 1.750 for the baby GPT
// (chapters/07-transformer.md, "What the initialisation is worth").

import BackpropCore
import Backpropagation

/// The spread of a fresh GPT's weights. Every weight matrix is drawn from
/// N(0, std²) — the token and position embeddings, the QKV projections and
/// the MLP's W₁ — except the two Linears that write into the residual stream
/// (attention output, W₂), which get std/√(2L). Biases start at 0 and
/// LayerNorm gains at 1.
public struct GPTInitialization: Sendable, Equatable {
    public let std: Double

    /// - Throws: `TrainingError.invalidOption` unless std is positive and finite.
    public init(std: Double) throws {
        guard std.isFinite, std > 0 else {
            throw TrainingError.invalidOption(name: "init std", value: "\(std)", reason: "must be positive and finite")
        }
        self.std = std
    }

    /// std = 1/√C (0.088 at C = 128): a row of W·x then sums C terms of
    /// variance 1/C each, so a unit-variance input (LayerNorm's output) gives
    /// unit-variance pre-activations at any width. For the baby GPT it trains
    /// to a validation loss of 1.750 where GPT-2's std 0.02 (tuned for widths
    /// of 768 and more) reaches 1.888 in the same 2,000 steps
    /// (chapters/07-transformer.md, "The block" and "Results").
    public static func widthScaled(_ width: Int) -> GPTInitialization {
        GPTInitialization(unchecked: 1 / Double(max(width, 1)).squareRoot())
    }

    private init(unchecked std: Double) { self.std = std }
}

/// Drawing the weights.
extension GPTInitialization {
    static func normal<Scalar: TensorScalar>(_ shape: [Int], std: Double, rng: inout SeededRandom) throws -> Tensor<Scalar> {
        try Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Scalar(rng.normal(mean: 0, std: std)) })
    }

    /// A Linear inputs → outputs with N(0, std²) weights and, if `bias`, zero biases.
    static func linear<Scalar: TensorScalar>(inputs: Int, outputs: Int, std: Double, bias: Bool, rng: inout SeededRandom,
                                             backend: Backend) throws -> Linear<Scalar> {
        let w: Tensor<Scalar> = try normal([outputs, inputs], std: std, rng: &rng)
        return bias ? try Linear(weight: w, bias: Tensor.zeros([outputs]), backend: backend) : try Linear(weight: w, backend: backend)
    }
}
