// One pre-norm Transformer block (GPT-2's arrangement):
//
//   forward   x [B, T, C] → z [B, T, C]
//             u = x + Dropout(MHA(LN₁(x)))                    (attention, residual)
//             z = u + Dropout(W₂ GELU(W₁ LN₂(u) + b₁) + b₂)   (MLP of width 4C, residual)
//   backward  dz [B, T, C] → dx [B, T, C]
//             du = dz + LN₂ᵀ(W₁ᵀ(GELU′ ⊙ W₂ᵀ dz))            (the residual passes dz through unchanged)
//             dx = du + LN₁ᵀ(MHAᵀ(du))
// The residual additions are why gradients reach early layers intact: each
// block adds a correction to a "stream" whose gradient is copied, not
// multiplied, on the way back. GELU is the exact erf form (PyTorch's default).
// With `bias: false` the LayerNorms have no β and the four Linears no b.

import BackpropCore
import Backpropagation

public final class TransformerBlock<Scalar: TensorScalar>: Layer {
    public let norm1: LayerNorm<Scalar>
    public let attention: MultiHeadAttention<Scalar>
    public let norm2: LayerNorm<Scalar>
    /// W₁ [4C, C], b₁ [4C]
    public let expand: Linear<Scalar>
    public let gelu: Activation<Scalar>
    /// W₂ [C, 4C], b₂ [C]
    public let contract: Linear<Scalar>
    public let dropout1: Dropout<Scalar>
    public let dropout2: Dropout<Scalar>
    public var backend: Backend {
        didSet {
            norm1.backend = backend; norm2.backend = backend; attention.backend = backend
            expand.backend = backend; contract.backend = backend; gelu.backend = backend
            dropout1.backend = backend; dropout2.backend = backend
        }
    }

    public struct Cache {
        var norm1: LayerNormCache<Scalar>
        var attention: MultiHeadAttention<Scalar>.Cache
        var drop1: Tensor<Scalar>?
        var norm2: LayerNormCache<Scalar>
        var normalized2: Tensor<Scalar>
        var gelu: (Tensor<Scalar>, Tensor<Scalar>)
        var drop2: Tensor<Scalar>?
    }

    /// Weights N(0, std²), except the two projections into the residual
    /// stream: std/√(2·layers), with `layers` the model's depth (GPT-2), so the
    /// stream's variance does not grow with depth.
    public init(width: Int, heads: Int, layers: Int, bias: Bool = true, dropout: Double = 0, seed: UInt64 = 0,
                std: Double = 0.02, rng: inout SeededRandom, backend: Backend = .simd) throws {
        let residualStd = std / (2 * Double(max(layers, 1))).squareRoot()
        self.backend = backend

        norm1 = try LayerNorm(width: width, bias: bias, backend: backend)
        attention = try MultiHeadAttention(width: width, heads: heads, bias: bias, std: std, outputStd: residualStd, rng: &rng, backend: backend)
        norm2 = try LayerNorm(width: width, bias: bias, backend: backend)
        expand = try GPTInitialization.linear(inputs: width, outputs: 4 * width, std: std, bias: bias, rng: &rng, backend: backend)
        gelu = Activation(.gelu, backend: backend)
        contract = try GPTInitialization.linear(inputs: 4 * width, outputs: width, std: residualStd, bias: bias, rng: &rng, backend: backend)
        dropout1 = try Dropout(dropout, seed: seed &+ 1, backend: backend)
        dropout2 = try Dropout(dropout, seed: seed &+ 2, backend: backend)
    }

    /// (name, parameter) pairs in a fixed order, PyTorch-like names (no
    /// ".bias" entries in a bias-free block).
    public var namedParameters: [(String, Parameter<Scalar>)] {
        let all: [(String, Parameter<Scalar>, isBias: Bool)] = [
            ("ln1.weight", norm1.gamma, false), ("ln1.bias", norm1.beta, true),
            ("attn.qkv.weight", attention.qkv.weight, false), ("attn.qkv.bias", attention.qkv.bias, true),
            ("attn.proj.weight", attention.output.weight, false), ("attn.proj.bias", attention.output.bias, true),
            ("ln2.weight", norm2.gamma, false), ("ln2.bias", norm2.beta, true),
            ("mlp.fc.weight", expand.weight, false), ("mlp.fc.bias", expand.bias, true),
            ("mlp.proj.weight", contract.weight, false), ("mlp.proj.bias", contract.bias, true)]
        return all.filter { !$0.isBias || norm1.hasBias }.map { ($0.0, $0.1) }
    }
    public var parameters: [Parameter<Scalar>] { namedParameters.map(\.1) }
    public var summary: String { "TransformerBlock(\(norm1.width), \(attention.heads) heads)" }

    /// x [B, T, C] → z [B, T, C].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Cache) {
        let (n1, c1) = try norm1.forward(x, mode: mode)                                // [B, T, C]
        let (a, ca) = try attention.forward(n1, mode: mode)                            // [B, T, C]
        let (ad, d1) = try dropout1.forward(a, mode: mode)
        let u = try x.adding(ad, backend: backend)                                     // residual
        let (n2, c2) = try norm2.forward(u, mode: mode)                                // [B, T, C]
        let h = try expand.forward(n2, mode: mode).output                              // [B, T, 4C]
        let (g, cg) = try gelu.forward(h, mode: mode)                                  // [B, T, 4C]
        let m = try contract.forward(g, mode: mode).output                             // [B, T, C]
        let (md, d2) = try dropout2.forward(m, mode: mode)
        let z = try u.adding(md, backend: backend)                                     // residual
        return (z, Cache(norm1: c1, attention: ca, drop1: d1, norm2: c2, normalized2: n2, gelu: cg, drop2: d2))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dz: Tensor<Scalar>, cache: Cache) throws -> Tensor<Scalar> {
        let dm = try dropout2.backward(dz, cache: cache.drop2)
        let dg = try contract.backward(dm, cache: cache.gelu.1)                      // [B, T, 4C]
        let dh = try gelu.backward(dg, cache: cache.gelu)                            // [B, T, 4C]
        let dn2 = try expand.backward(dh, cache: cache.normalized2)                  // [B, T, C]
        let du = try dz.adding(try norm2.backward(dn2, cache: cache.norm2), backend: backend)
        let da = try dropout1.backward(du, cache: cache.drop1)
        let dn1 = try attention.backward(da, cache: cache.attention)                 // [B, T, C]
        return try du.adding(try norm1.backward(dn1, cache: cache.norm1), backend: backend)
    }
}
