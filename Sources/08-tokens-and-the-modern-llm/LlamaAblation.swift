// Which piece buys what: the Llama-style model, then each modern piece
// swapped back to its GPT-era counterpart one at a time, then all of them
// (LlamaVariants.swift), each trained with the main comparison's budget
// (chapter 7's 2,000 steps of 12 windows of 64 tokens, its schedule) over
// several seeds, and compared by test bits per character.
//
// Every row is one command line (`LlamaAblationVariant.command(seed:)`), so
// a reader can reproduce it; `Chapter8.ablation` runs them all in-process.
// What is not swapped: grouped-query attention (2 kv heads of 4), no
// biases in the projections, the tied head, no dropout. The all-GPT-era row
// is therefore chapter 7's GPT with those four differences.

import BackpropCore
import Foundation

/// One row of the ablation: the architecture and the tokens.
public struct LlamaAblationVariant: Sendable, Equatable {
    public var name: String
    public var architecture: LlamaArchitecture
    public var tokens: LlamaTokens

    public init(_ name: String, _ architecture: LlamaArchitecture = .llama, tokens: LlamaTokens = .bpe) {
        (self.name, self.architecture, self.tokens) = (name, architecture, tokens)
    }

    /// The full model, each piece swapped back alone, and all of them.
    public static let all: [LlamaAblationVariant] = [
        LlamaAblationVariant("Llama (BPE, RoPE, SwiGLU, RMSNorm)"),
        LlamaAblationVariant("characters for BPE", tokens: .chars),
        LlamaAblationVariant("learned positions for RoPE", LlamaArchitecture(positions: .learned)),
        LlamaAblationVariant("GELU MLP for SwiGLU", LlamaArchitecture(mlp: .gelu)),
        LlamaAblationVariant("LayerNorm for RMSNorm", LlamaArchitecture(norm: .layernorm)),
        LlamaAblationVariant("all GPT-era (chars, learned, GELU, LayerNorm)", .gptEra, tokens: .chars),
    ]

    /// The run options: the defaults with this row's switches.
    public func options(seed: UInt64) -> LlamaRunOptions {
        var o = LlamaRunOptions(seed: seed)
        o.architecture = architecture
        o.tokens = tokens
        return o
    }

    /// The command that trains this row with `seed` (only the switches that differ from the defaults).
    public func command(seed: UInt64) -> String {
        var words = ["backprop train llama"]
        if tokens != .bpe { words.append("--\(LlamaTokens.optionName) \(tokens.rawValue)") }
        let d = LlamaArchitecture.llama
        if architecture.positions != d.positions { words.append("--\(LlamaPositions.optionName) \(architecture.positions.rawValue)") }
        if architecture.mlp != d.mlp { words.append("--\(LlamaMLPKind.optionName) \(architecture.mlp.rawValue)") }
        if architecture.norm != d.norm { words.append("--\(LlamaNormKind.optionName) \(architecture.norm.rawValue)") }
        words.append("--seed \(seed)")
        return words.joined(separator: " ")
    }
}

/// A row's results over its seeds.
public struct LlamaAblationRow: Sendable {
    public var variant: LlamaAblationVariant
    public var parameters: Int
    public var testBitsPerCharacter: [Double]
    public var millisecondsPerStep: [Double]

    /// Mean and sample standard deviation (n − 1) of the test bits per character.
    public var bits: (mean: Double, std: Double) { Self.meanAndStd(testBitsPerCharacter) }

    public static func meanAndStd(_ xs: [Double]) -> (mean: Double, std: Double) {
        let mean = xs.reduce(0, +) / Double(max(xs.count, 1))
        let variance = xs.count > 1 ? xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1) : 0
        return (mean, variance.squareRoot())
    }
}

/// `backprop bench llama-ablation`: the training step of every row (best of
/// repeated steps, as `bench llama`), on random ids of the row's vocabulary
/// (513 BPE ids, or tinyshakespeare's 65 characters).
public enum LlamaAblationBenchmark {
    public static func run(quick: Bool = false) throws -> [BenchRow] {
        var rows: [BenchRow] = []
        for variant in LlamaAblationVariant.all {
            let o = variant.options(seed: 1)
            let config = try o.config(vocabularySize: variant.tokens == .chars ? 65 : 513)
            let ms = try LlamaBenchmark.msPerTrainingStep(backend: .simd, config: config, minSeconds: quick ? 0 : 2, minRuns: quick ? 1 : 5)
            rows.append(BenchRow(kernel: "llama ablation step", shape: "\(variant.name) V\(config.vocabularySize) \(config.parameterCount) params",
                                 variant: "simd", msPerStep: ms))
        }
        return rows
    }
}

extension Chapter8 {
    /// Trains every variant with every seed (2,000 steps each by default:
    /// about 70 s a run on two cores) and collects test bits per character.
    public static func ablation(_ variants: [LlamaAblationVariant] = LlamaAblationVariant.all, seeds: [UInt64] = [1, 2, 3],
                                steps: Int? = nil, text: String? = nil,
                                finished: (LlamaAblationVariant, UInt64, LlamaRun) -> Void = { _, _, _ in }) throws -> [LlamaAblationRow] {
        try variants.map { variant in
            var row = LlamaAblationRow(variant: variant, parameters: 0, testBitsPerCharacter: [], millisecondsPerStep: [])
            for seed in seeds {
                var o = variant.options(seed: seed)
                if let steps { o.training.fitSchedule(steps: steps, learningRate: o.training.learningRate) }
                let run = try runLlama(o, text: text)
                row.parameters = run.model.parameterCount
                row.testBitsPerCharacter.append(run.result.testBitsPerCharacter ?? .nan)
                row.millisecondsPerStep.append(run.result.millisecondsPerStep)
                finished(variant, seed, run)
            }
            return row
        }
    }
}
