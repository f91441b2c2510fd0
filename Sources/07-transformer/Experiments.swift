// Chapter 7's runs, shared by `backprop train gpt`, `tour` and `figures`:
// the baby GPT on tinyshakespeare (character level, 90/10 split).

import BackpropCore
import Foundation
import Backpropagation
import RecurrentNetworks

/// The sizes and training knobs of one run (defaults: the baby GPT).
public struct GPTRunOptions: Sendable {
    public var layers = 4, heads = 4, width = 128, context = 64
    public var dropout = 0.0
    /// Biases in the Linears and LayerNorms (the reference baby GPT has none;
    /// without them our runs were no better: chapters/07-transformer.md).
    public var bias = true
    /// The weights' spread at initialisation; nil: 1/√width (`GPTInitialization.widthScaled`).
    public var initialization: GPTInitialization?
    public var backend: Backend = .simd
    public var training = GPTTrainingOptions()

    public init(seed: UInt64 = 1337) { training.seed = seed }

    /// A short run for the tour (about 6 s in release; validation loss about 2.05): a smaller, shorter model.
    public static func tour(seed: UInt64) -> GPTRunOptions {
        var o = GPTRunOptions(seed: seed)
        o.layers = 2; o.width = 64; o.heads = 4; o.context = 32
        o.training.steps = 1000
        o.training.batch = 16
        o.training.learningRate = 2e-3
        o.training.warmup = 50
        o.training.evaluationInterval = 250
        return o
    }
}

public struct GPTRun {
    public let model: GPT<Float>
    public let corpus: CharacterCorpus
    public let result: GPTTrainingResult
    public let summary: RunSummary
}

public enum Chapter7 {
    /// Trains a GPT on tinyshakespeare.
    public static func run(
        _ o: GPTRunOptions,
        progress: (_ iteration: Int, _ loss: Double, _ tokensPerSecond: Double) -> Void = { _, _, _ in },
        evaluated: (GPTLossPoint) -> Void = { _ in }
    ) throws -> GPTRun {
        let corpus = try CharacterCorpus.shakespeare()
        let config = try GPTConfig(vocabulary: corpus.vocabulary, context: o.context, layers: o.layers, heads: o.heads,
                                   width: o.width, dropout: o.dropout, bias: o.bias)
        let model = try GPT<Float>(config: config, seed: o.training.seed, initialization: o.initialization, backend: o.backend)
        let result = try GPTTrainer.train(model, corpus: corpus, options: o.training, progress: progress, evaluated: evaluated)
        let summary = RunSummary(
            chapter: 7, model: "gpt", dataset: "tinyshakespeare",
            metrics: [("val_loss", result.validationLoss)] + (result.testLoss.map { [("test_loss", $0)] } ?? [])
                + [("train_loss", result.history.last?.trainLoss ?? .nan)],
            seconds: result.seconds,
            details: [("parameters", .integer(model.parameterCount)), ("layers", .integer(o.layers)), ("heads", .integer(o.heads)),
                      ("width", .integer(o.width)), ("context", .integer(o.context)), ("bias", .bool(o.bias)),
                      ("init_std", .number((o.initialization ?? .widthScaled(o.width)).std)), ("batch", .integer(o.training.batch)),
                      ("steps", .integer(o.training.steps)),
                      ("ms_per_step", .number((result.millisecondsPerStep * 100).rounded() / 100)),
                      ("tokens_per_second", .number(result.tokensPerSecond.rounded()))])
        return GPTRun(model: model, corpus: corpus, result: result, summary: summary)
    }

    /// The tour's entry: a short GPT run and a sample.
    public static func tour(seed: UInt64) -> [(name: String, run: () throws -> RunSummary)] {
        [("GPT on Shakespeare", {
            let run = try run(GPTRunOptions.tour(seed: seed))
            var rng = SeededRandom(seed: seed)
            let sample = try run.model.generate(prompt: "ROMEO:", maxTokens: 120, sampling: try SamplingOptions(temperature: 0.8), rng: &rng) { _ in }
            print("\n  sample (temperature 0.8):\n" + ("ROMEO:" + sample).split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
            return run.summary
        })]
    }
}
