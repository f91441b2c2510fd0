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
// The ablation (LlamaVariants.swift) swaps pieces back: LayerNorm for both
// norms, the GELU MLP for SwiGLU, no rotation in attention (the model then
// adds learned positions to its input); `frozen` leaves out every weight
// gradient (LoRA's base, FrozenWeights.swift).

import BackpropCore
import Backpropagation

public final class LlamaBlock<Scalar: TensorScalar>: Layer {
    /// HF's input_layernorm
    public let attentionNorm: LlamaNormLayer<Scalar>
    /// HF's self_attn
    public let attention: GroupedQueryAttention<Scalar>
    /// HF's post_attention_layernorm
    public let mlpNorm: LlamaNormLayer<Scalar>
    /// HF's mlp
    public let mlp: LlamaMLP<Scalar>
    public var backend: Backend {
        didSet {
            attentionNorm.setBackend(backend); attention.backend = backend; mlpNorm.setBackend(backend)
            mlp.set(backend: backend, frozen: frozen)
        }
    }
    /// Input gradients only: the projections' weight gradients are skipped.
    public var frozen = false {
        didSet { attention.frozen = frozen; mlp.set(backend: backend, frozen: frozen) }
    }
    public var width: Int { attention.width }

    public struct Cache {
        var attentionNorm: LlamaNormLayer<Scalar>.Cache
        var attention: GroupedQueryAttention<Scalar>.Cache
        var mlpNorm: LlamaNormLayer<Scalar>.Cache
        var mlp: LlamaMLP<Scalar>.Cache
        /// P [B, H, T, T] of the attention.
        public var attentionProbabilities: [Scalar] { attention.probabilities }
    }

    /// Projections N(0, std²), except the two into the residual stream (W_o,
    /// W₂): std/√(2·layers). Norm gains 1 (β 0), RoPE tables for `positions`
    /// (used only with `architecture.positions == .rope`).
    public init(width: Int, heads: Int, kvHeads: Int, hidden: Int, positions: Int, layers: Int = 1,
                std: Double = 0.02, ropeBase: Double = 10_000, epsilon: Double = 1e-5, architecture: LlamaArchitecture = .llama,
                rng: inout SeededRandom, backend: Backend = .simd) throws {
        let residualStd = std / (2 * Double(max(layers, 1))).squareRoot()
        attentionNorm = try LlamaNormLayer(architecture.norm, width: width, epsilon: epsilon, backend: backend)
        attention = try GroupedQueryAttention(width: width, heads: heads, kvHeads: kvHeads, positions: positions, ropeBase: ropeBase,
                                              rotary: architecture.positions == .rope, std: std, outputStd: residualStd, rng: &rng,
                                              backend: backend)
        mlpNorm = try LlamaNormLayer(architecture.norm, width: width, epsilon: epsilon, backend: backend)
        mlp = try LlamaMLP(architecture.mlp, width: width, hidden: hidden, std: std, outputStd: residualStd, rng: &rng, backend: backend)
        self.backend = backend
    }

    /// (name, parameter) in Hugging Face's names, in a fixed order.
    public var namedParameters: [(String, Parameter<Scalar>)] {
        attentionNorm.namedParameters.map { ("input_layernorm." + $0.0, $0.1) }
            + attention.namedParameters.map { ("self_attn." + $0.0, $0.1) }
            + mlpNorm.namedParameters.map { ("post_attention_layernorm." + $0.0, $0.1) }
            + mlp.namedParameters.map { ("mlp." + $0.0, $0.1) }
    }
    public var parameters: [Parameter<Scalar>] { namedParameters.map(\.1) }
    public var summary: String {
        "LlamaBlock(\(width), \(attention.heads) heads, \(attention.kvHeads) kv heads, \(mlp.kind.rawValue) hidden \(mlp.hidden), \(attentionNorm.kind.rawValue)\(attention.usesRotary ? ", rope" : ""))"
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
