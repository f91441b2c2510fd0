// Chapter 8's model runs, shared by `backprop train llama`, `tour` and
// `bench llama`: a BPE trained on tinyshakespeare's training part, the
// Llama-style model trained on its tokens with chapter 7's schedule, and
// bits per character on the held-out parts (comparable with chapters 6–7).
//
// Defaults: BPE of 512 tokens, 4 layers, width 128, 4 heads sharing 2
// key/value heads, SwiGLU hidden 344, context 64 tokens (about 180
// characters), tied head: 0.79 M parameters, about the baby GPT's 0.80 M;
// batch 12, 2,000 steps, 10⁻³ decaying to 10⁻⁴ (chapter 7's defaults).
// `architecture` and `tokens` swap pieces back to the GPT's for the
// ablation (LlamaVariants.swift, LlamaAblation.swift).

import BackpropCore
import Backpropagation
import Datasets
import Foundation
import RecurrentNetworks
import Transformer

public struct LlamaRunOptions: Sendable {
    /// BPE vocabulary size (256 bytes + merges); nil: GPT-2's tokenizer.
    public var vocabularySize: Int? = 512
    public var layers = 4, heads = 4, kvHeads = 2, width = 128, context = 64
    /// RoPE, SwiGLU, RMSNorm by default.
    public var architecture = LlamaArchitecture.llama
    /// BPE (`vocabularySize`) or characters.
    public var tokens = LlamaTokens.bpe
    public var backend: Backend = .simd
    public var training = GPTTrainingOptions()

    public init(seed: UInt64 = 1337) { training.seed = seed }

    /// The tour's short run: BPE 384, 2 layers of width 64, 300 steps.
    public static func tour(seed: UInt64) -> LlamaRunOptions {
        var o = LlamaRunOptions(seed: seed)
        o.vocabularySize = 384
        o.layers = 2; o.width = 64; o.heads = 4; o.kvHeads = 2; o.context = 32
        o.training.steps = 300
        o.training.batch = 16
        o.training.learningRate = 2e-3
        o.training.minimumLearningRate = 2e-4
        o.training.warmup = 30
        o.training.evaluationInterval = 100
        return o
    }

    func config(vocabularySize: Int) throws -> LlamaConfig {
        try LlamaConfig(vocabularySize: vocabularySize, context: context, layers: layers, width: width, heads: heads, kvHeads: kvHeads,
                        architecture: architecture)
    }
}

public struct LlamaRun {
    public let model: Llama<Float>
    public let corpus: TokenCorpus
    public let result: LlamaTrainingResult
    public let summary: RunSummary
}

extension Chapter8 {
    /// Trains a Llama on tinyshakespeare (or `text`), its BPE trained first on the training part.
    public static func runLlama(
        _ o: LlamaRunOptions, text: String? = nil,
        progress: (_ iteration: Int, _ loss: Double, _ tokensPerSecond: Double) -> Void = { _, _, _ in },
        evaluated: (LlamaLossPoint) -> Void = { _ in }
    ) throws -> LlamaRun {
        let tokenizing = Date()
        let text = try text ?? BundledData.shakespeare()
        let corpus = o.tokens == .chars ? try TokenCorpus.characters(text) : try TokenCorpus.make(text, vocabularySize: o.vocabularySize)
        let tokenizerSeconds = Date().timeIntervalSince(tokenizing)
        let vocabulary = try corpus.tokenizer.make().vocabularySize
        let model = try Llama<Float>(config: try o.config(vocabularySize: vocabulary), seed: o.training.seed, backend: o.backend)
        model.tokenizer = corpus.tokenizer
        let result = try LlamaTrainer.train(model, corpus: corpus, options: o.training, progress: progress, evaluated: evaluated)
        let summary = RunSummary(
            chapter: 8, model: "llama", dataset: "tinyshakespeare",
            metrics: (result.testBitsPerCharacter.map { [("test_bits_per_char", $0)] } ?? [])
                + [("val_bits_per_char", result.validationBitsPerCharacter), ("val_nats_per_token", result.validationLoss),
                   ("train_loss", result.history.last?.trainLoss ?? .nan)],
            seconds: result.seconds + tokenizerSeconds,
            details: [("parameters", .integer(model.parameterCount)), ("tokenizer", .string(corpus.tokenizer.name)),
                      ("positions", .string(o.architecture.positions.rawValue)), ("mlp", .string(o.architecture.mlp.rawValue)),
                      ("norm", .string(o.architecture.norm.rawValue)), ("layers", .integer(o.layers)), ("heads", .integer(o.heads)), ("kv_heads", .integer(o.kvHeads)),
                      ("width", .integer(o.width)), ("hidden", .integer(model.config.hidden)), ("context", .integer(o.context)),
                      ("batch", .integer(o.training.batch)), ("steps", .integer(o.training.steps)),
                      ("train_tokens", .integer(corpus.train.count)), ("test_tokens", .integer(corpus.test.count)),
                      ("tokenizer_seconds", .number((tokenizerSeconds * 100).rounded() / 100)),
                      ("ms_per_step", .number((result.millisecondsPerStep * 100).rounded() / 100)),
                      ("tokens_per_second", .number(result.tokensPerSecond.rounded()))])
        return LlamaRun(model: model, corpus: corpus, result: result, summary: summary)
    }

    /// Text sampled from a model that records its tokenizer, after `prompt`.
    public static func sample(_ model: Llama<Float>, prompt: String, tokens: Int, sampling: LlamaSampling, seed: UInt64) throws -> String {
        guard let recorded = model.tokenizer else { throw TextError.emptyText("the model's tokenizer (none recorded)") }
        let tokenizer = try recorded.make()
        var ids = tokenizer.encode(prompt)
        if ids.isEmpty { ids = tokenizer.encode("\n") }
        var rng = SeededRandom(seed: seed)
        return try tokenizer.decode(try model.generateTokens(prompt: ids, count: tokens, sampling: sampling, rng: &rng))
    }

    /// The tour's model run: a short Llama on Shakespeare and a sample.
    public static func llamaTour(seed: UInt64) -> (name: String, run: () throws -> RunSummary) {
        ("Llama-style model on Shakespeare's BPE tokens", {
            let run = try runLlama(LlamaRunOptions.tour(seed: seed))
            let text = try sample(run.model, prompt: "ROMEO:", tokens: 60, sampling: try LlamaSampling(temperature: 0.8, topP: 0.95), seed: seed)
            print("\n  sample (temperature 0.8, top-p 0.95):\n" + ("ROMEO:" + text).split(separator: "\n", omittingEmptySubsequences: false)
                .map { "    " + $0 }.joined(separator: "\n"))
            return run.summary
        })
    }
}

/// `backprop bench llama`: one AdamW step of the default model (BPE 512,
/// L4 C128 H4 H_kv2, T64, batch 12) on each kernel set, one LoRA step
/// (rank 4 on q and v) with the base frozen and with its weight gradients
/// computed and thrown away (as before `freezesBase`), and generation of
/// 256 tokens with and without the KV cache.
public enum LlamaBenchmark {
    static func config() throws -> LlamaConfig { try LlamaRunOptions().config(vocabularySize: 512) }
    public static let shape = "V512 L4 C128 H4 Hkv2 T64 batch 12 adamw"

    /// Milliseconds per training step (forward, loss, backward, clipping, AdamW), best of repeated runs.
    public static func msPerTrainingStep(backend: Backend, config given: LlamaConfig? = nil, batch: Int = 12, minSeconds: Double = 1,
                                         minRuns: Int = 5) throws -> Double {
        let config = try given ?? config()
        let v = config.vocabularySize
        let model = try Llama<Float>(config: config, seed: 1, backend: backend)
        let optimizers = try LlamaTrainer.optimizers(for: model, options: GPTTrainingOptions())
        var rng = SeededRandom(seed: 2)
        let n = batch * config.context
        let inputs = (0..<n).map { _ in rng.integer(below: v) }, targets = (0..<n).map { _ in rng.integer(below: v) }
        var t = 0
        let seconds = try Benchmark.bestTime(minSeconds: minSeconds, minRuns: minRuns) {
            try LlamaTrainer.step(model, optimizers: optimizers, inputs: inputs, targets: targets, batch: batch, learningRate: 1e-4, clip: 1, iteration: t)
            t += 1
        }
        return seconds * 1000
    }

    /// Milliseconds per LoRA fine-tuning step (rank 4, α 8 on q and v; AdamW
    /// on the adapters only), with the base's weight gradients skipped
    /// (`frozen`, the default since LoRA sets it) or computed as a full step would.
    public static func msPerLoRAStep(frozen: Bool, batch: Int = 12, minSeconds: Double = 1, minRuns: Int = 5) throws -> Double {
        let config = try config()
        let model = try Llama<Float>(config: config, seed: 1)
        try model.addLoRA(rank: 4, alpha: 8, seed: 1)
        model.freezesBase = frozen
        let trainable = model.loraParameters.map(\.parameter)
        let optimizers = try LlamaTrainer.optimizers(for: model, options: GPTTrainingOptions(), parameters: trainable)
        var rng = SeededRandom(seed: 2)
        let n = batch * config.context
        let inputs = (0..<n).map { _ in rng.integer(below: 512) }, targets = (0..<n).map { _ in rng.integer(below: 512) }
        var t = 0
        let seconds = try Benchmark.bestTime(minSeconds: minSeconds, minRuns: minRuns) {
            try LlamaTrainer.step(model, optimizers: optimizers, inputs: inputs, targets: targets, batch: batch, learningRate: 1e-4, clip: 1,
                                  iteration: t, parameters: trainable)
            t += 1
        }
        return seconds * 1000
    }

    /// Generated tokens per second for `count` tokens after a one-token prompt (greedy).
    public static func generationTokensPerSecond(useKVCache: Bool, count: Int = 256, minRuns: Int = 3) throws -> Double {
        let model = try Llama<Float>(config: try config(), seed: 1)
        let seconds = try Benchmark.bestTime(minSeconds: 0, minRuns: minRuns) {
            var rng = SeededRandom(seed: 3)
            _ = try model.generateTokens(prompt: [0], count: count, sampling: .greedy, rng: &rng, useKVCache: useKVCache)
        }
        return Double(count) / seconds
    }

    public static func run(quick: Bool = false) throws -> [BenchRow] {
        let naive = try msPerTrainingStep(backend: .naive, minSeconds: 0, minRuns: quick ? 1 : 2)
        let simd = try msPerTrainingStep(backend: .simd, minSeconds: quick ? 0 : 2, minRuns: quick ? 1 : 5)
        let loraAll = try msPerLoRAStep(frozen: false, minSeconds: quick ? 0 : 2, minRuns: quick ? 1 : 5)
        let loraFrozen = try msPerLoRAStep(frozen: true, minSeconds: quick ? 0 : 2, minRuns: quick ? 1 : 5)
        let count = quick ? 32 : 256
        let cached = try generationTokensPerSecond(useKVCache: true, count: count, minRuns: quick ? 1 : 3)
        let recomputed = try generationTokensPerSecond(useKVCache: false, count: count, minRuns: quick ? 1 : 3)
        return [
            BenchRow(kernel: "llama train step", shape: shape, variant: "naive", msPerStep: naive, vsNaive: 1),
            BenchRow(kernel: "llama train step", shape: shape, variant: "simd", msPerStep: simd, vsNaive: naive / simd),
            BenchRow(kernel: "llama lora step", shape: shape + " lora r4 q,v base weight grads", variant: "simd", msPerStep: loraAll, vsNaive: 1),
            BenchRow(kernel: "llama lora step", shape: shape + " lora r4 q,v base frozen", variant: "simd", msPerStep: loraFrozen,
                     vsNaive: loraAll / loraFrozen),
            BenchRow(kernel: "llama generate", shape: "\(count) tokens batch 1 recompute", variant: "simd",
                     msPerStep: 1000 / recomputed, vsNaive: 1, tokensPerSecond: recomputed),
            BenchRow(kernel: "llama generate", shape: "\(count) tokens batch 1 kv-cache (Hkv 2 of 4)", variant: "simd",
                     msPerStep: 1000 / cached, vsNaive: cached / recomputed, tokensPerSecond: cached),
        ]
    }
}
