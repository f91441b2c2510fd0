// `backprop bench gpt`: the baby GPT (4 layers, 4 heads, width 128, context
// 64, vocabulary 65) — one AdamW training step at batch 12 on each kernel
// set, and generation speed for 256 characters with and without the KV cache.
//
// Flops per training step are counted as 6 · (multiply-adds of one forward
// pass) · batch (`GPTConfig.forwardMultiplyAdds`: weight matrices, the tied
// head, and attention's two products over the full T×T score matrix): 2 for
// the forward pass and 4 for the backward. LayerNorm, GELU, softmax and the
// optimizer are not counted.

import BackpropCore
import Foundation
import Backpropagation
import RecurrentNetworks

public enum GPTBenchmark {
    static func babyConfig() throws -> GPTConfig {
        try GPTConfig(vocabulary: try CharacterVocabulary(characters: (0..<65).map { Character(UnicodeScalar(40 + $0)!) }))
    }

    /// Milliseconds per training step (forward, loss, backward, clipping, AdamW), best of repeated runs.
    public static func msPerTrainingStep(backend: Backend, batch: Int = 12, minSeconds: Double = 1, minRuns: Int = 5) throws -> Double {
        let config = try babyConfig()
        let model = try GPT<Float>(config: config, seed: 1, backend: backend)
        let options = GPTTrainingOptions()
        let optimizers = try GPTTrainer.optimizers(for: model, options: options)
        var rng = SeededRandom(seed: 2)
        let n = batch * config.context
        let inputs = (0..<n).map { _ in rng.integer(below: 65) }, targets = (0..<n).map { _ in rng.integer(below: 65) }
        var t = 0
        let seconds = try Benchmark.bestTime(minSeconds: minSeconds, minRuns: minRuns) {
            try GPTTrainer.step(model, optimizers: optimizers, inputs: inputs, targets: targets, batch: batch,
                                learningRate: 1e-4, clip: 1, iteration: t)
            t += 1
        }
        return seconds * 1000
    }

    /// Generated tokens per second for `count` tokens after a one-token prompt.
    public static func generationTokensPerSecond(useKVCache: Bool, count: Int = 256, minRuns: Int = 3) throws -> Double {
        let model = try GPT<Float>(config: try babyConfig(), seed: 1)
        let seconds = try Benchmark.bestTime(minSeconds: 0, minRuns: minRuns) {
            var rng = SeededRandom(seed: 3)
            _ = try model.generateTokens(prompt: [0], count: count, sampling: .greedy, rng: &rng, useKVCache: useKVCache)
        }
        return Double(count) / seconds
    }

    /// The SIMD rows only (`backprop bench gpt-simd`): the training step and
    /// cached generation, for profiling and quick before/after comparisons.
    public static func runSIMD(peakGflops: Double, quick: Bool = false) throws -> [BenchRow] {
        let config = try babyConfig()
        let flops = 6 * Double(config.forwardMultiplyAdds(length: config.context)) * 12
        let simd = try msPerTrainingStep(backend: .simd, batch: 12, minSeconds: quick ? 0 : 3, minRuns: quick ? 1 : 10)
        let count = quick ? 32 : 256
        let cached = try generationTokensPerSecond(useKVCache: true, count: count, minRuns: quick ? 1 : 10)
        return [
            BenchRow(kernel: "gpt train step", shape: "L4 H4 C128 T64 batch 12 adamw", variant: "simd", gflops: flops / simd / 1e6,
                     msPerStep: simd, vsPeak: flops / simd / 1e6 / peakGflops),
            BenchRow(kernel: "gpt generate", shape: "\(count) tokens batch 1 kv-cache", variant: "simd",
                     msPerStep: 1000 / cached, tokensPerSecond: cached),
        ]
    }

    public static func run(peakGflops: Double, quick: Bool = false) throws -> [BenchRow] {
        let config = try babyConfig()
        let batch = 12
        let flops = 6 * Double(config.forwardMultiplyAdds(length: config.context)) * Double(batch)
        let naive = try msPerTrainingStep(backend: .naive, batch: batch, minSeconds: 0, minRuns: quick ? 1 : 2)
        let simd = try msPerTrainingStep(backend: .simd, batch: batch, minSeconds: quick ? 0 : 2, minRuns: quick ? 1 : 5)
        let shape = "L4 H4 C128 T64 batch 12 adamw"
        let count = quick ? 32 : 256
        let cached = try generationTokensPerSecond(useKVCache: true, count: count, minRuns: quick ? 1 : 3)
        let recomputed = try generationTokensPerSecond(useKVCache: false, count: count, minRuns: quick ? 1 : 3)
        return [
            BenchRow(kernel: "gpt train step", shape: shape, variant: "naive", gflops: flops / naive / 1e6, msPerStep: naive, vsNaive: 1,
                     vsPeak: flops / naive / 1e6 / peakGflops),
            BenchRow(kernel: "gpt train step", shape: shape, variant: "simd", gflops: flops / simd / 1e6, msPerStep: simd, vsNaive: naive / simd,
                     vsPeak: flops / simd / 1e6 / peakGflops),
            BenchRow(kernel: "gpt generate", shape: "\(count) tokens batch 1 recompute", variant: "simd",
                     msPerStep: 1000 / recomputed, vsNaive: 1, tokensPerSecond: recomputed),
            BenchRow(kernel: "gpt generate", shape: "\(count) tokens batch 1 kv-cache", variant: "simd",
                     msPerStep: 1000 / cached, vsNaive: cached / recomputed, tokensPerSecond: cached),
        ]
    }
}
