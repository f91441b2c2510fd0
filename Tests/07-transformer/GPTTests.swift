// The whole model: PyTorch fixtures (logits, loss, every gradient; a few
// AdamW steps with the schedule), the parameter-count formula, KV-cache
// decoding against full recomputation, checkpoints, generation.

import BackpropCore
import Figures
import Foundation
import Storage
import Backpropagation
import RecurrentNetworks
import TestSupport
import Testing
@testable import Transformer

/// The fixture's tiny GPT; `bias` says whether it has biases (`ch7_model`,
/// `ch7_training`) or not (`ch7_model_nobias`, `ch7_training_nobias`).
func tinyModel(_ f: Fixture, backend: Backend, bias: Bool) throws -> GPT<Double> {
    let vocabulary = try CharacterVocabulary(characters: Array("abcdefghijklmnop".prefix(Int(try f.scalar("vocabulary")))))
    let config = try GPTConfig(vocabulary: vocabulary, context: Int(try f.scalar("context")), layers: Int(try f.scalar("layers")),
                               heads: Int(try f.scalar("heads")), width: Int(try f.scalar("width")), bias: bias)
    let model = try GPT<Double>(config: config, seed: 1, backend: backend)
    for (name, p) in model.namedParameters { p.value = try f.tensor("param:" + name) }
    return model
}

@Suite struct GPTModelTests {
    @Test("The tiny GPT, with and without biases, matches PyTorch: logits, loss and every parameter gradient",
          arguments: [Backend.naive, .simd], [true, false])
    func modelFixture(backend: Backend, bias: Bool) throws {
        let f = try fixture(bias ? "ch7_model" : "ch7_model_nobias")
        let model = try tinyModel(f, backend: backend, bias: bias)
        // 2 embeddings + 2 layers × 12 + final γ, β with biases; 2 + 2 × 6 + 1 without.
        #expect(model.namedParameters.count == (bias ? 28 : 15))
        #expect(model.namedParameters.contains { $0.name.hasSuffix(".bias") } == bias)
        let tokens = labels(try f.tensor("tokens")), targets = labels(try f.tensor("targets"))
        let (b, t) = (Int(try f.scalar("batch")), Int(try f.scalar("length")))
        let (logits, _) = try model.forward(tokens, batch: b, length: t)
        #expect(maxRelativeDifference(logits, try f.tensor("logits")) < 1e-12)
        model.zeroGrad()
        let loss = try model.loss(inputs: tokens, targets: targets, batch: b, length: t)
        #expect(abs(loss - (try f.scalar("loss"))) < 1e-12)
        for (name, p) in model.namedParameters {
            #expect(maxRelativeDifference(p.grad, try f.tensor("grad:" + name)) < 1e-11, "\(name)")
        }
    }

    @Test("Six AdamW steps (decay on matrices, warm-up + cosine, clipping) track PyTorch's losses, on both backends, with and without biases",
          arguments: Backend.allCases, [true, false])
    func trainingFixture(backend: Backend, bias: Bool) throws {
        let f = try fixture(bias ? "ch7_training" : "ch7_training_nobias")
        let model = try tinyModel(f, backend: backend, bias: bias)
        var options = GPTTrainingOptions()
        options.steps = Int(try f.scalar("steps"))
        options.warmup = Int(try f.scalar("warmup"))
        options.learningRate = try f.scalar("lr")
        options.minimumLearningRate = try f.scalar("min_lr")
        options.weightDecay = try f.scalar("weight_decay")
        let optimizers = try GPTTrainer.optimizers(for: model, options: options)
        let schedule = GPTTrainer.schedule(options)
        let inputs: Tensor<Double> = try f.tensor("inputs"), targets: Tensor<Double> = try f.tensor("targets")
        let n = inputs.shape[1], b = Int(try f.scalar("batch"))
        let losses: Tensor<Double> = try f.tensor("losses"), rates: Tensor<Double> = try f.tensor("rates")
        for t in 0..<options.steps {
            let rate = schedule.rate(at: t, base: options.learningRate)
            #expect(abs(rate - rates.scalars[t]) < 1e-15)
            let x = labels(try Tensor(Array(inputs.scalars[(t * n)..<((t + 1) * n)])))
            let y = labels(try Tensor(Array(targets.scalars[(t * n)..<((t + 1) * n)])))
            let loss = try GPTTrainer.step(model, optimizers: optimizers, inputs: x, targets: y, batch: b, learningRate: rate, clip: 1, iteration: t)
            #expect(abs(loss - losses.scalars[t]) < 1e-10, "step \(t)")
        }
        let x0 = labels(try Tensor(Array(inputs.scalars[0..<n]))), y0 = labels(try Tensor(Array(targets.scalars[0..<n])))
        let final = try model.loss(inputs: x0, targets: y0, batch: b, length: n / b, mode: .inference, backward: false)
        #expect(abs(final - (try f.scalar("final_loss"))) < 1e-10)
        #expect(final < losses.scalars[0])
    }

    @Test("The parameter-count formulas V·C + T·C + L(12C² + 2C) + C (no biases) and V·C + T·C + L(12C² + 13C) + 2C equal the model's count",
          arguments: [(65, 64, 4, 4, 128), (7, 6, 2, 2, 8), (30, 16, 3, 1, 12)], [false, true])
    func parameterCount(shape: (Int, Int, Int, Int, Int), bias: Bool) throws {
        let (v, t, l, h, c) = shape
        let vocabulary = try CharacterVocabulary(characters: (0..<v).map { Character(UnicodeScalar(48 + $0)!) })
        let config = try GPTConfig(vocabulary: vocabulary, context: t, layers: l, heads: h, width: c, bias: bias)
        let model = try GPT<Float>(config: config, seed: 1)
        #expect(model.parameterCount == config.parameterCount)
        let formula = bias ? v * c + t * c + l * (12 * c * c + 13 * c) + 2 * c : v * c + t * c + l * (12 * c * c + 2 * c) + c
        #expect(config.parameterCount == formula)
        if (v, t, l, c) == (65, 64, 4, 128) { #expect(config.parameterCount == (bias ? 809_856 : 804_096)) }
    }

    @Test("The whole-split validation loss predicts every token after the first exactly once, whatever the batch",
          arguments: [23, 24, 25, 9])
    func evaluateAll(count: Int) throws {
        let model = try GenerationTests.model()                 // context 8, vocabulary 7
        let tokens = (0..<count).map { ($0 * 5 + $0 / 3) % 7 }
        // From the definition: slide a cursor through the text; at each window
        // of up to 8 inputs, the loss of every target is −log softmax(logits)[target].
        var sum = 0.0, predicted = 0, start = 0
        while start < tokens.count - 1 {
            let length = min(8, tokens.count - 1 - start)
            let logits = try model.forward(Array(tokens[start..<start + length]), batch: 1, length: length).logits
            for i in 0..<length {
                let row = (0..<7).map { logits.scalars[i * 7 + $0] }
                let top = row.max()!
                let logZ = top + log(row.map { exp($0 - top) }.reduce(0, +))
                sum += logZ - row[tokens[start + i + 1]]
                predicted += 1
            }
            start += length
        }
        #expect(predicted == count - 1)
        for batch in [1, 2, 64] {
            let got = try GPTTrainer.evaluateAll(model, tokens: tokens, batch: batch)
            #expect(abs(got - sum / Double(predicted)) < 1e-12, "batch \(batch): \(got) vs \(sum / Double(predicted))")
        }
        #expect(throws: TrainingError.self) { try GPTTrainer.evaluateAll(model, tokens: [3], batch: 4) }
    }

    @Test("A fresh GPT's weights have the initialisation's spread: std for embeddings, QKV and W₁, std/√(2L) for the projections into the stream",
          arguments: [nil, 0.02])
    func initialization(std: Double?) throws {
        let config = try GPTConfig(vocabulary: try CharacterVocabulary(characters: Array("abcdefghijklmnopqrstuvwxyz")),
                                   context: 32, layers: 2, heads: 2, width: 64)
        let model = try GPT<Double>(config: config, seed: 5, initialization: try std.map(GPTInitialization.init(std:)))
        let s = std ?? 1.0 / 8                                   // default 1/√C, C = 64
        func spread(_ t: Tensor<Double>) -> (mean: Double, std: Double) {
            let n = Double(t.scalars.count), mean = t.scalars.reduce(0, +) / n
            return (mean, (t.scalars.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / n).squareRoot())
        }
        for (name, p) in model.namedParameters {
            let (mean, got) = spread(p.value)
            if p.value.rank == 1 {
                let gain = name.hasSuffix(".weight")                      // LayerNorm γ starts at 1, every bias at 0
                #expect(p.value.scalars.allSatisfy { $0 == (gain ? 1 : 0) }, "\(name)")
                continue
            }
            let want = name.hasSuffix("proj.weight") ? s / 2 : s     // √(2L) = 2 for L = 2
            // n ≥ 1,664 draws per matrix: the sample std is within 10% of σ with overwhelming probability.
            #expect(abs(got / want - 1) < 0.1, "\(name): std \(got), expected \(want)")
            #expect(abs(mean) < 4 * want / Double(p.value.scalars.count).squareRoot(), "\(name): mean \(mean)")
        }
        #expect(throws: TrainingError.self) { try GPTInitialization(std: 0) }
        #expect(throws: TrainingError.self) { try GPTInitialization(std: .nan) }
    }

    @Test("Bad configurations and inputs throw typed errors")
    func errors() throws {
        let vocabulary = try CharacterVocabulary(characters: Array("abc"))
        #expect(throws: TrainingError.self) { try GPTConfig(vocabulary: vocabulary, heads: 3, width: 8) }
        #expect(throws: TrainingError.self) { try GPTConfig(vocabulary: vocabulary, layers: 0) }
        let model = try GPT<Double>(config: try GPTConfig(vocabulary: vocabulary, context: 4, layers: 1, heads: 2, width: 4), seed: 1)
        #expect(throws: TrainingError.self) { try model.forward([0, 1, 2, 0, 1], batch: 1, length: 5) }
        #expect(throws: TextError.self) { try model.forward([0, 1, 7, 0], batch: 1, length: 4) }
        var rng = SeededRandom(seed: 1)
        #expect(throws: TextError.self) { try model.generate(prompt: "abz", maxTokens: 3, sampling: .greedy, rng: &rng) { _ in } }
    }
}

@Suite struct GenerationTests {
    static func model(backend: Backend = .simd, bias: Bool = true) throws -> GPT<Double> {
        let config = try GPTConfig(vocabulary: try CharacterVocabulary(characters: Array("abcdefg")), context: 8, layers: 2, heads: 2, width: 8, bias: bias)
        let model = try GPT<Double>(config: config, seed: 651, backend: backend)
        for (i, p) in model.parameters.enumerated() {   // larger weights than the init, so positions matter
            p.value = try p.value.adding(randomTensor(p.value.shape, seed: 652 + UInt64(i), scale: 0.4))
        }
        return model
    }

    @Test("KV-cache decoding gives the logits of full recomputation, also after the window slides", arguments: [Backend.naive, .simd], [true, false])
    func cacheMatchesRecompute(backend: Backend, bias: Bool) throws {
        let model = try Self.model(backend: backend, bias: bias)
        var rng = SeededRandom(seed: 653)
        let tokens = (0..<21).map { _ in rng.integer(below: 7) }    // 21 > context 8: slides twice
        let cached = try model.logitsAfterEachToken(tokens, useKVCache: true)
        let full = try model.logitsAfterEachToken(tokens, useKVCache: false)
        for (i, (a, b)) in zip(cached, full).enumerated() {
            #expect(maxRelativeDifference(Tensor(a), Tensor(b)) < 1e-12, "after token \(i)")
        }
        // Within the context, the full pass's row i is the prefix's logits.
        let (logits, _) = try model.forward(Array(tokens[0..<8]), batch: 1, length: 8)
        #expect(maxRelativeDifference(Tensor(Array(logits.scalars[(7 * 7)...])), Tensor(full[7])) < 1e-12)
    }

    /// The batched refill must store the keys and values that token-by-token
    /// decoding stores, and give the same logits; a prompt appended at once
    /// must give the logits of appending it token by token.
    @Test("Prefill fills the cache as decoding step by step does", arguments: [Backend.naive, .simd])
    func prefillMatchesSteps(backend: Backend) throws {
        let model = try Self.model(backend: backend)
        let window = [3, 1, 4, 1, 5, 2, 6]
        var stepped = KVCache<Double>(layers: 2, context: 8, width: 8), filled = stepped
        var last: [Double] = []
        for t in window { last = try model.decodeStep(t, cache: &stepped) }
        let prefilled = try model.prefill(window, cache: &filled)
        #expect(filled.count == window.count && stepped.count == window.count)
        for l in 0..<2 {
            let rows = window.count * 8
            #expect(maxRelativeDifference(Tensor(Array(filled.keys[l][..<rows])), Tensor(Array(stepped.keys[l][..<rows]))) < 1e-12)
            #expect(maxRelativeDifference(Tensor(Array(filled.values[l][..<rows])), Tensor(Array(stepped.values[l][..<rows]))) < 1e-12)
        }
        #expect(maxRelativeDifference(Tensor(prefilled), Tensor(last)) < 1e-12)
        // A 20-token prompt at once (it outgrows the context of 8) against one token at a time.
        let prompt = (0..<20).map { ($0 * 5 + 1) % 7 }
        var whole = GPTDecoder(model: model), single = GPTDecoder(model: model)
        let a = try whole.append(contentsOf: prompt)
        var b: [Double] = []
        for t in prompt { b = try single.append(t) }
        #expect(maxRelativeDifference(Tensor(a), Tensor(b)) < 1e-12)
        #expect(whole.start == single.start && whole.tokens == single.tokens)
        #expect(throws: TextError.self) { _ = try whole.append(contentsOf: [1, 99]) }
    }

    @Test("The sliding window: start 0 until the context is full, then multiples of half the context")
    func windowStart() {
        let starts = (1...20).map { GPTDecoder<Float>.windowStart($0, context: 8) }
        #expect(starts == [0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12])
        for n in 1...40 {
            let s = GPTDecoder<Float>.windowStart(n, context: 8)
            #expect(n - s <= 8 && (n <= 8 || n - s > 4))
        }
    }

    @Test("Generation with and without the cache samples the same text; greedy is deterministic")
    func generate() throws {
        let model = try Self.model()
        var r1 = SeededRandom(seed: 654), r2 = SeededRandom(seed: 654)
        let sampling = try SamplingOptions(temperature: 0.8, topK: 4)
        let a = try model.generateTokens(prompt: [1, 2], count: 20, sampling: sampling, rng: &r1, useKVCache: true)
        let b = try model.generateTokens(prompt: [1, 2], count: 20, sampling: sampling, rng: &r2, useKVCache: false)
        #expect(a == b && a.count == 20)
        var streamed = ""
        var r3 = SeededRandom(seed: 1)
        let text = try model.generate(prompt: "", maxTokens: 12, sampling: .greedy, rng: &r3) { streamed += $0 }
        #expect(text == streamed && text.count == 12)
    }

    @Test("Concurrent generation from one model gives the same text as sequential generation")
    func concurrent() throws {
        let model = try Self.model()
        let sampling = try SamplingOptions(temperature: 1)
        @Sendable func run(_ seed: UInt64) throws -> String {
            var rng = SeededRandom(seed: seed)
            return try model.generate(prompt: "ab", maxTokens: 15, sampling: sampling, rng: &rng) { _ in }
        }
        let expected = try (0..<4).map { try run(UInt64($0)) }
        nonisolated(unsafe) var results = [String](repeating: "", count: 4)
        DispatchQueue.concurrentPerform(iterations: 4) { i in results[i] = (try? run(UInt64(i))) ?? "failed" }
        #expect(results == expected)
    }
}

@Suite struct GPTCheckpointTests {
    @Test("A checkpoint round trip (through a file) restores the config (biases or not) and every parameter bit for bit", arguments: [true, false])
    func roundTrip(bias: Bool) throws {
        let config = try GPTConfig(vocabulary: try CharacterVocabulary(characters: Array("ab\n c\"é")), context: 5, layers: 2, heads: 2, width: 8, bias: bias)
        let model = try GPT<Float>(config: config, seed: 661)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ch7-gpt-\(UInt32.random(in: 0...UInt32.max)).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.checkpoint().write(to: url)
        let restored = try GPT<Float>(checkpoint: try Checkpoint.load(url))
        #expect(restored.config == model.config)
        for (a, b) in zip(model.namedParameters, restored.namedParameters) {
            #expect(a.name == b.name && a.parameter.value.scalars.map(\.bitPattern) == b.parameter.value.scalars.map(\.bitPattern))
        }
    }

    @Test("Loading another model kind or a checkpoint with a missing tensor throws")
    func badCheckpoints() throws {
        #expect(throws: CheckpointError.self) { try GPT<Float>(checkpoint: Checkpoint(kind: "mlp", tensors: [])) }
        let config = try GPTConfig(vocabulary: try CharacterVocabulary(characters: Array("ab")), context: 3, layers: 1, heads: 1, width: 4)
        var c = try GPT<Float>(config: config, seed: 1).checkpoint()
        c.tensors.removeLast()
        #expect(throws: CheckpointError.self) { try GPT<Float>(checkpoint: c) }
        var badFlag = try GPT<Float>(config: config, seed: 1).checkpoint()
        badFlag.config = badFlag.config.map { $0.0 == "bias" ? ($0.0, .string("no")) : $0 }
        #expect(throws: CheckpointError.self) { try GPT<Float>(checkpoint: badFlag) }
    }

    @Test("A checkpoint without a 'bias' entry (written before the option) loads as a model with biases")
    func oldCheckpoint() throws {
        let config = try GPTConfig(vocabulary: try CharacterVocabulary(characters: Array("ab")), context: 3, layers: 1, heads: 1, width: 4, bias: true)
        var c = try GPT<Float>(config: config, seed: 1).checkpoint()
        c.config.removeAll { $0.0 == "bias" }
        #expect(try GPT<Float>(checkpoint: c).config.bias)
        let biasFree = try GPT<Float>(config: try GPTConfig(vocabulary: config.vocabulary, context: 3, layers: 1, heads: 1, width: 4, bias: false), seed: 1)
        var d = biasFree.checkpoint()
        d.config.removeAll { $0.0 == "bias" }
        #expect(throws: CheckpointError.self) { try GPT<Float>(checkpoint: d) }   // it lacks the bias tensors
    }
}

@Suite struct FigureDataTests {
    @Test("The attention map's rows are causal probability distributions")
    func attentionMap() throws {
        let config = try GPTConfig(vocabulary: try CharacterVocabulary(characters: Array("ab cdefg:\nhiklmnoprstuwBEMOR,")), context: 32, layers: 1, heads: 2, width: 8)
        let plot = try Chapter7Figures.attentionMap(try GPT<Float>(config: config, seed: 671))
        #expect(plot.values.count == 27)   // "ROMEO:\nBut soft, what light"
        for (i, row) in plot.values.enumerated() {
            #expect(abs(row.reduce(0, +) - 1) < 1e-5)
            #expect(row[(i + 1)...].allSatisfy { $0 == 0 })
        }
    }
}
