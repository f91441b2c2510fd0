// The ablation switches of the Llama-style model: each modern piece can be
// swapped back to its GPT-era counterpart (chapter 7), one at a time, to
// measure what it buys.
//
//   positions  rope       RoPE rotates q and k inside attention (RotaryEmbedding.swift)
//              learned    a learned absolute embedding P [context, C] added to
//                         the token embedding, as chapter 7's GPT (x₀ = E[token] + P[t])
//   mlp        swiglu     W₂(silu(W₁x) ⊙ W₃x), hidden H (SwiGLU.swift)
//              gelu       W₂ GELU(W₁x), hidden H′, bias-free (GELUMLP in LlamaBlockParts.swift)
//   norm       rmsnorm    RMSNorm, gain only (RMSNorm.swift)
//              layernorm  chapter 7's LayerNorm with γ and β
//   tokens     bpe        a byte-level BPE trained on the training part (or GPT-2's)
//              chars      one token per character (chapter 7's vocabulary)
//
// Matched MLP parameters. SwiGLU has three C × H matrices, the GELU MLP two,
// so the GELU MLP's hidden width is H′ = 3H/2: 2·C·H′ = 3·C·H. With the
// default H = 344 (C = 128) that is H′ = 516 and 132,096 weights per block
// on both sides (`LlamaMLPKind.defaultHidden`). LayerNorm's β adds C per
// norm ((2L + 1)·C = 1,152 for L = 4); learned positions add context·C
// (8,192 for T = 64); character tokens shrink the embedding from 512·C to 65·C.
//
// Every option has a name on the command line (`backprop train llama
// --positions learned --mlp gelu --norm layernorm --tokens chars`) and in
// the checkpoint's config; an unknown name is `TrainingError.invalidOption`
// naming the option and the known values.

import BackpropCore
import Backpropagation
import RecurrentNetworks

/// An ablation option with a fixed set of names.
public protocol LlamaOption: RawRepresentable, CaseIterable, Sendable, Hashable where RawValue == String {
    /// The option's name in errors, on the command line and in checkpoints ("positions").
    static var optionName: String { get }
}

extension LlamaOption {
    /// The case named `name`.
    /// - Throws: `TrainingError.invalidOption` naming the option and its known values.
    public static func named(_ name: String) throws -> Self {
        guard let value = Self(rawValue: name) else {
            throw TrainingError.invalidOption(name: optionName, value: name,
                                              reason: "must be one of " + allCases.map(\.rawValue).joined(separator: ", "))
        }
        return value
    }

    /// The names, in order ("rope|learned").
    public static var names: [String] { allCases.map(\.rawValue) }
}

/// How attention learns where tokens are.
public enum LlamaPositions: String, LlamaOption {
    /// Rotary embeddings on queries and keys (Llama).
    case rope
    /// A learned absolute embedding added to the input (GPT-2, chapter 7).
    case learned
    public static let optionName = "positions"
}

/// The feed-forward half of a block.
public enum LlamaMLPKind: String, LlamaOption {
    /// W₂(silu(W₁x) ⊙ W₃x) (Llama).
    case swiglu
    /// W₂ GELU(W₁x), bias-free (GPT-2's MLP without its biases).
    case gelu
    public static let optionName = "mlp"

    /// The default hidden width for width C: SwiGLU's ⌈8C/3⌉ (to a multiple
    /// of 8), or for the GELU MLP 3/2 of that, so both have 3·C·H weights.
    public func defaultHidden(width: Int) -> Int {
        let swiglu = SwiGLU<Float>.llamaHidden(width: width)
        return self == .swiglu ? swiglu : 3 * swiglu / 2
    }

    /// Weights of one MLP of hidden width `hidden`: 3·C·H or 2·C·H.
    public func weights(width: Int, hidden: Int) -> Int { (self == .swiglu ? 3 : 2) * width * hidden }
}

/// The normalisation before each half-block and before the head.
public enum LlamaNormKind: String, LlamaOption {
    /// Divide by the root mean square, learned gain (Llama).
    case rmsnorm
    /// Subtract the mean, divide by the standard deviation, learned γ and β (GPT-2, chapter 7).
    case layernorm
    public static let optionName = "norm"

    /// Scalars of one norm of width C: C (gain) or 2C (γ, β).
    public func parameters(width: Int) -> Int { self == .rmsnorm ? width : 2 * width }
}

/// What the text is cut into.
public enum LlamaTokens: String, LlamaOption {
    /// Byte-level BPE tokens (this chapter).
    case bpe
    /// One token per character (chapters 6 and 7).
    case chars
    public static let optionName = "tokens"
}

/// The model's three architectural switches (the tokens are the corpus's).
public struct LlamaArchitecture: Sendable, Equatable, CustomStringConvertible {
    public var positions: LlamaPositions
    public var mlp: LlamaMLPKind
    public var norm: LlamaNormKind

    public init(positions: LlamaPositions = .rope, mlp: LlamaMLPKind = .swiglu, norm: LlamaNormKind = .rmsnorm) {
        (self.positions, self.mlp, self.norm) = (positions, mlp, norm)
    }

    /// RoPE, SwiGLU, RMSNorm.
    public static let llama = LlamaArchitecture()
    /// Learned positions, the GELU MLP, LayerNorm.
    public static let gptEra = LlamaArchitecture(positions: .learned, mlp: .gelu, norm: .layernorm)

    /// "rope swiglu rmsnorm"
    public var description: String { "\(positions.rawValue) \(mlp.rawValue) \(norm.rawValue)" }
}
