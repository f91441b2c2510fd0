// How the modern block's weights start, as chapter 7's GPT: every projection
// is drawn from N(0, std²), except the two that write into the residual
// stream (attention's output projection and the MLP's W₂), which get
// std/√(2·layers) so the stream's variance does not grow with depth (GPT-2;
// Llama's reference code uses one std for all, Hugging Face's 0.02).
// RMSNorm gains start at 1. There are no biases anywhere.

import BackpropCore
import Backpropagation

enum LlamaInitialization {
    /// A bias-free Linear inputs → outputs with N(0, std²) weights [outputs, inputs].
    static func linear<Scalar: TensorScalar>(inputs: Int, outputs: Int, std: Double, rng: inout SeededRandom,
                                             backend: Backend) throws -> Linear<Scalar> {
        guard inputs > 0, outputs > 0, std.isFinite, std >= 0 else {
            throw TensorError.invalidValue(operation: "Linear(\(inputs) → \(outputs))",
                                           reason: "sizes must be positive and std \(std) finite and ≥ 0")
        }
        let w = try Tensor<Scalar>(shape: [outputs, inputs],
                                   scalars: (0..<(inputs * outputs)).map { _ in Scalar(rng.normal(mean: 0, std: std)) })
        return try Linear(weight: w, backend: backend)
    }

    /// A tensor of N(0, std²) entries (the learned position embedding of the ablation).
    static func normal<Scalar: TensorScalar>(_ shape: [Int], std: Double, rng: inout SeededRandom) throws -> Tensor<Scalar> {
        try Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Scalar(rng.normal(mean: 0, std: std)) })
    }
}
