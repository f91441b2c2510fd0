// One Llama block: chapter 7's pre-norm arrangement with the modern pieces.
//
//   forward   x [B, T, C] → z [B, T, C]
//             u = x + GQA(RMSNorm₁(x))           (attention with RoPE inside, residual)
//             z = u + SwiGLU(RMSNorm₂(u))        (gated MLP of hidden width H, residual)
//   backward  dz [B, T, C] → dx [B, T, C]
//             du = dz + RMSNorm₂ᵀ(SwiGLUᵀ(dz))   (the residual copies dz)
//             dx = du + RMSNorm₁ᵀ(GQAᵀ(du))
// Against chapter 7's TransformerBlock: RMSNorm for LayerNorm, no biases,
// no learned position embedding (RoPE rotates q and k inside attention),
// shared key/value heads, SwiGLU for the GELU MLP, and no dropout (Llama
// trains without it).

import BackpropCore
import Backpropagation

public final class LlamaBlock<Scalar: TensorScalar>: Layer {
    /// HF's input_layernorm
    public let attentionNorm: RMSNorm<Scalar>
    /// HF's self_attn
    public let attention: GroupedQueryAttention<Scalar>
    /// HF's post_attention_layernorm
    public let mlpNorm: RMSNorm<Scalar>
    /// HF's mlp
    public let mlp: SwiGLU<Scalar>
    public var backend: Backend {
        didSet { attentionNorm.backend = backend; attention.backend = backend; mlpNorm.backend = backend; mlp.backend = backend }
    }
    public var width: Int { attentionNorm.width }

    public struct Cache {
        var attentionNorm: RMSNormCache<Scalar>
        var attention: GroupedQueryAttention<Scalar>.Cache
        var mlpNorm: RMSNormCache<Scalar>
        var mlp: SwiGLU<Scalar>.Cache
        /// P [B, H, T, T] of the attention.
        public var attentionProbabilities: [Scalar] { attention.probabilities }
    }

    /// Projections N(0, std²), except the two into the residual stream (W_o,
    /// W₂): std/√(2·layers). RMSNorm gains 1, RoPE tables for `positions`.
    public init(width: Int, heads: Int, kvHeads: Int, hidden: Int, positions: Int, layers: Int = 1,
                std: Double = 0.02, ropeBase: Double = 10_000, epsilon: Double = 1e-5,
                rng: inout SeededRandom, backend: Backend = .simd) throws {
        let residualStd = std / (2 * Double(max(layers, 1))).squareRoot()
        attentionNorm = try RMSNorm(width: width, epsilon: epsilon, backend: backend)
        attention = try GroupedQueryAttention(width: width, heads: heads, kvHeads: kvHeads, positions: positions, ropeBase: ropeBase,
                                              std: std, outputStd: residualStd, rng: &rng, backend: backend)
        mlpNorm = try RMSNorm(width: width, epsilon: epsilon, backend: backend)
        mlp = try SwiGLU(width: width, hidden: hidden, std: std, outputStd: residualStd, rng: &rng, backend: backend)
        self.backend = backend
    }

    /// (name, parameter) in Hugging Face's names, in a fixed order.
    public var namedParameters: [(String, Parameter<Scalar>)] {
        [("input_layernorm.weight", attentionNorm.gain)]
            + attention.namedParameters.map { ("self_attn." + $0.0, $0.1) }
            + [("post_attention_layernorm.weight", mlpNorm.gain)]
            + mlp.namedParameters.map { ("mlp." + $0.0, $0.1) }
    }
    public var parameters: [Parameter<Scalar>] { namedParameters.map(\.1) }
    public var summary: String {
        "LlamaBlock(\(width), \(attention.heads) heads, \(attention.kvHeads) kv heads, hidden \(mlp.hidden))"
    }

    /// x [B, T, C] → z [B, T, C].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Cache) {
        let (n1, c1) = try attentionNorm.forward(x, mode: mode)                 // [B, T, C]
        let (a, ca) = try attention.forward(n1, mode: mode)                     // [B, T, C]
        let u = try x.adding(a, backend: backend)                               // residual
        let (n2, c2) = try mlpNorm.forward(u, mode: mode)                       // [B, T, C]
        let (m, cm) = try mlp.forward(n2, mode: mode)                           // [B, T, C]
        let z = try u.adding(m, backend: backend)                               // residual
        return (z, Cache(attentionNorm: c1, attention: ca, mlpNorm: c2, mlp: cm))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dz: Tensor<Scalar>, cache: Cache) throws -> Tensor<Scalar> {
        let dn2 = try mlp.backward(dz, cache: cache.mlp)                                              // [B, T, C]
        let du = try dz.adding(try mlpNorm.backward(dn2, cache: cache.mlpNorm), backend: backend)
        let dn1 = try attention.backward(du, cache: cache.attention)                                  // [B, T, C]
        return try du.adding(try attentionNorm.backward(dn1, cache: cache.attentionNorm), backend: backend)
    }
}
