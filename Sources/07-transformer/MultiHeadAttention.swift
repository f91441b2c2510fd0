// Multi-head causal self-attention: one fused projection to queries, keys
// and values, H heads of causal attention side by side, and an output
// projection that mixes the heads.
//
//   forward   x [B, T, C] → y [B, T, C]
//             qkv = x W_qkvᵀ + b_qkv            [B, T, 3C]  (Linear C → 3C)
//             a   = CausalSelfAttention(qkv)     [B, T, C]   (heads split and merged by column)
//             y   = a W_oᵀ + b_o                 [B, T, C]   (Linear C → C)
//   backward  dy [B, T, C] → dx [B, T, C], in the reverse order, accumulating
//             the two projections' parameter gradients.
// With `bias: false` both projections are bias-free (y = a W_oᵀ, PyTorch's
// `bias=False`).

import BackpropCore
import Backpropagation

public final class MultiHeadAttention<Scalar: TensorScalar>: Layer {
    public var heads: Int { attention.heads }
    /// W_qkv [3C, C], b_qkv [3C]
    public let qkv: Linear<Scalar>
    public let attention: CausalSelfAttention<Scalar>
    /// W_o [C, C], b_o [C]
    public let output: Linear<Scalar>
    public var backend: Backend {
        didSet { qkv.backend = backend; attention.backend = backend; output.backend = backend }
    }
    public var width: Int { output.outputs }
    public var summary: String { "MultiHeadAttention(\(width), \(heads) heads)" }

    public struct Cache {
        var x: Tensor<Scalar>
        var attention: CausalSelfAttention<Scalar>.Cache
        var attended: Tensor<Scalar>
    }

    /// QKV weights N(0, std²), the output projection's N(0, outputStd²), zero biases if `bias`.
    public init(width: Int, heads: Int, bias: Bool = true, std: Double = 0.02, outputStd: Double = 0.02, rng: inout SeededRandom, backend: Backend = .simd) throws {
        guard heads > 0, width % heads == 0 else {
            throw TrainingError.invalidOption(name: "heads", value: "\(heads)", reason: "must divide the width \(width)")
        }
        self.backend = backend
        qkv = try GPTInitialization.linear(inputs: width, outputs: 3 * width, std: std, bias: bias, rng: &rng, backend: backend)
        attention = try CausalSelfAttention(heads: heads, backend: backend)
        output = try GPTInitialization.linear(inputs: width, outputs: width, std: outputStd, bias: bias, rng: &rng, backend: backend)
    }

    public var parameters: [Parameter<Scalar>] { qkv.parameters + output.parameters }

    /// x [B, T, C] → y [B, T, C].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Cache) {
        guard x.rank == 3, x.shape[2] == width else {
            throw TensorError.shapeMismatch(operation: summary, lhs: x.shape, rhs: [-1, -1, width], reason: "x must be [batch, time, \(width)]")
        }
        let projected = try qkv.forward(x, mode: mode).output                    // [B, T, 3C]
        let (attended, ca) = try attention.forward(projected, mode: mode)         // [B, T, C]
        let y = try output.forward(attended, mode: mode).output                   // [B, T, C]
        return (y, Cache(x: x, attention: ca, attended: attended))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: Cache) throws -> Tensor<Scalar> {
        let da = try output.backward(dy, cache: cache.attended)                   // [B, T, C]
        let dqkv = try attention.backward(da, cache: cache.attention)             // [B, T, 3C]
        return try qkv.backward(dqkv, cache: cache.x)                             // [B, T, C]
    }

    /// The attention probabilities P [B, H, T, T] of a forward pass (for figures).
    public static func probabilities(_ cache: Cache) -> [Scalar] { cache.attention.probabilities }
}
