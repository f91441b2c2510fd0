// The switchable halves of a Llama block (LlamaVariants.swift): the norm
// (RMSNorm or chapter 7's LayerNorm) and the MLP (SwiGLU or a GELU MLP).
// Each is an enum over the two layers, so a block holds one kind and its
// cache can only be the matching kind's.
//
// The GELU MLP is chapter 7's (TransformerBlock's expand, GELU, contract),
// built from the same chapter 2 layers (Linear, Activation(.gelu), the exact
// erf GELU), without biases as everything in the Llama:
//
//   forward   x [B, T, C] → y [B, T, C]
//             h = x W₁ᵀ [B, T, H′],  g = GELU(h),  y = g W₂ᵀ
//   backward  dg = dy W₂ (W₂.grad += dyᵀ g),  dh = dg ⊙ GELU′(h),
//             dx = dh W₁ (W₁.grad += dhᵀ x)

import BackpropCore
import Backpropagation
import Transformer

/// W₂ GELU(W₁x), bias-free: GPT-2's MLP without biases.
public final class GELUMLP<Scalar: TensorScalar>: Layer {
    /// W₁ [H′, C]
    public let expand: Linear<Scalar>
    public let gelu: Activation<Scalar>
    /// W₂ [C, H′]
    public let contract: Linear<Scalar>
    /// Input gradients only (LoRA's frozen base; FrozenWeights.swift).
    public var frozen = false
    public var backend: Backend {
        didSet { expand.backend = backend; gelu.backend = backend; contract.backend = backend }
    }
    public var width: Int { expand.inputs }
    public var hidden: Int { expand.outputs }
    public var parameters: [Parameter<Scalar>] { [expand.weight, contract.weight] }
    /// (name, parameter): GPT-J's names for the two projections.
    public var namedParameters: [(String, Parameter<Scalar>)] { [("fc_in.weight", expand.weight), ("fc_out.weight", contract.weight)] }
    public var summary: String { "GELUMLP(\(width) → \(hidden) → \(width))" }

    public struct Cache {
        var x: Tensor<Scalar>
        /// GELU's cache: (GELU′(h), g); g is W₂'s input.
        var gelu: (Tensor<Scalar>, Tensor<Scalar>)
    }

    /// W₁ N(0, std²), W₂ N(0, outputStd²).
    public init(width: Int, hidden: Int, std: Double = 0.02, outputStd: Double = 0.02, rng: inout SeededRandom, backend: Backend = .simd) throws {
        expand = try LlamaInitialization.linear(inputs: width, outputs: hidden, std: std, rng: &rng, backend: backend)
        gelu = Activation(.gelu, backend: backend)
        contract = try LlamaInitialization.linear(inputs: hidden, outputs: width, std: outputStd, rng: &rng, backend: backend)
        self.backend = backend
    }

    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Cache) {
        let h = try expand.forward(x, mode: mode).output                   // [B, T, H′]
        let (g, cg) = try gelu.forward(h, mode: mode)                      // [B, T, H′]
        let y = try contract.forward(g, mode: mode).output                 // [B, T, C]
        return (y, Cache(x: x, gelu: cg))
    }

    public func backward(_ dy: Tensor<Scalar>, cache: Cache) throws -> Tensor<Scalar> {
        let dg = try contract.backward(dy, cache: cache.gelu.1, frozen: frozen)   // [B, T, H′]
        let dh = try gelu.backward(dg, cache: cache.gelu)                        // [B, T, H′]
        return try expand.backward(dh, cache: cache.x, frozen: frozen)           // [B, T, C]
    }
}

/// A block's (or the final) norm: RMSNorm or LayerNorm.
public enum LlamaNormLayer<Scalar: TensorScalar> {
    case rms(RMSNorm<Scalar>)
    case layer(LayerNorm<Scalar>)

    public enum Cache {
        case rms(RMSNormCache<Scalar>)
        case layer(LayerNormCache<Scalar>)
    }

    /// RMSNorm with gain 1, or LayerNorm with γ = 1 and β = 0.
    public init(_ kind: LlamaNormKind, width: Int, epsilon: Double, backend: Backend) throws {
        switch kind {
        case .rmsnorm: self = .rms(try RMSNorm(width: width, epsilon: epsilon, backend: backend))
        case .layernorm: self = .layer(try LayerNorm(width: width, bias: true, epsilon: epsilon, backend: backend))
        }
    }

    public var kind: LlamaNormKind {
        switch self {
        case .rms: return .rmsnorm
        case .layer: return .layernorm
        }
    }

    /// (name, parameter): "weight" (the gain or γ) and, for LayerNorm, "bias" (β).
    public var namedParameters: [(String, Parameter<Scalar>)] {
        switch self {
        case .rms(let n): return [("weight", n.gain)]
        case .layer(let n): return [("weight", n.gamma), ("bias", n.beta)]
        }
    }

    func setBackend(_ backend: Backend) {
        switch self {
        case .rms(let n): n.backend = backend
        case .layer(let n): n.backend = backend
        }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Cache) {
        switch self {
        case .rms(let n):
            let (y, c) = try n.forward(x, mode: mode)
            return (y, .rms(c))
        case .layer(let n):
            let (y, c) = try n.forward(x, mode: mode)
            return (y, .layer(c))
        }
    }

    /// - Throws: `TensorError.invalidValue` for the other kind's cache.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: Cache) throws -> Tensor<Scalar> {
        switch (self, cache) {
        case let (.rms(n), .rms(c)): return try n.backward(dy, cache: c)
        case let (.layer(n), .layer(c)): return try n.backward(dy, cache: c)
        default: throw TensorError.invalidValue(operation: "norm backward", reason: "the cache is another kind of norm's")
        }
    }
}

/// A block's MLP: SwiGLU or the GELU MLP.
public enum LlamaMLP<Scalar: TensorScalar> {
    case swiglu(SwiGLU<Scalar>)
    case gelu(GELUMLP<Scalar>)

    /// The SwiGLU MLP (the default), or nil for the ablation's GELU MLP.
    public var swiGLU: SwiGLU<Scalar>? {
        if case .swiglu(let m) = self { return m }
        return nil
    }

    public enum Cache {
        case swiglu(SwiGLU<Scalar>.Cache)
        case gelu(GELUMLP<Scalar>.Cache)
    }

    public init(_ kind: LlamaMLPKind, width: Int, hidden: Int, std: Double, outputStd: Double, rng: inout SeededRandom, backend: Backend) throws {
        switch kind {
        case .swiglu: self = .swiglu(try SwiGLU(width: width, hidden: hidden, std: std, outputStd: outputStd, rng: &rng, backend: backend))
        case .gelu: self = .gelu(try GELUMLP(width: width, hidden: hidden, std: std, outputStd: outputStd, rng: &rng, backend: backend))
        }
    }

    public var kind: LlamaMLPKind {
        switch self {
        case .swiglu: return .swiglu
        case .gelu: return .gelu
        }
    }

    public var hidden: Int {
        switch self {
        case .swiglu(let m): return m.hidden
        case .gelu(let m): return m.hidden
        }
    }

    public var namedParameters: [(String, Parameter<Scalar>)] {
        switch self {
        case .swiglu(let m): return m.namedParameters
        case .gelu(let m): return m.namedParameters
        }
    }

    func set(backend: Backend, frozen: Bool) {
        switch self {
        case .swiglu(let m): m.backend = backend; m.frozen = frozen
        case .gelu(let m): m.backend = backend; m.frozen = frozen
        }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Cache) {
        switch self {
        case .swiglu(let m):
            let (y, c) = try m.forward(x, mode: mode)
            return (y, .swiglu(c))
        case .gelu(let m):
            let (y, c) = try m.forward(x, mode: mode)
            return (y, .gelu(c))
        }
    }

    /// - Throws: `TensorError.invalidValue` for the other kind's cache.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: Cache) throws -> Tensor<Scalar> {
        switch (self, cache) {
        case let (.swiglu(m), .swiglu(c)): return try m.backward(dy, cache: c)
        case let (.gelu(m), .gelu(c)): return try m.backward(dy, cache: c)
        default: throw TensorError.invalidValue(operation: "MLP backward", reason: "the cache is another kind of MLP's")
        }
    }
}
