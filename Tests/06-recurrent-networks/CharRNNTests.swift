// Tests for the character language model: learning a tiny text, checkpoints
// (bit-exact round trip, typed errors), seeded sampling, concurrent
// generation, and NaN detection. Tiny sizes: debug builds are slow.

import BackpropCore
import Backpropagation
import Dispatch
import Foundation
import Storage
import Testing
import TestSupport
@testable import RecurrentNetworks

@Suite struct CharRNNTests {
    static let text = String(repeating: "the cat sat on the mat. ", count: 40)

    static func tinyOptions(_ cell: CellKind) -> CharRNNOptions {
        var o = CharRNNOptions(cell: cell, seed: 550)
        o.model.embeddingSize = 8
        o.model.hiddenSize = 16
        o.context = 8
        o.batch = 4
        o.learningRate = 1e-2
        return o
    }

    /// (The other cells are exercised by the fixtures and gradient checks;
    /// one training run is enough here, debug builds being slow.)
    @Test("a char-LSTM learns a tiny text on either backend", arguments: Backend.allCases)
    func learnsATinyText(backend: Backend) throws {
        let cell = CellKind.lstm
        var o = Self.tinyOptions(cell)
        o.backend = backend
        o.steps = 25
        o.learningRate = 3e-2
        let corpus = try CharacterCorpus(text: Self.text)
        let run = try Chapter6.trainCharRNN(o, corpus: corpus)
        // Uniform guessing over the 11 characters costs ln 11 ≈ 2.40 nats.
        #expect(run.trainLosses.first! > 2.2)
        #expect(run.validationLoss < 1.5, "\(cell): validation loss \(run.validationLoss)")
        #expect(run.summary.model == "char-\(cell.rawValue)")
    }

    @Test func checkpointRoundTripIsBitExact() throws {
        var o = Self.tinyOptions(.gru)
        o.steps = 3
        let run = try Chapter6.trainCharRNN(o, corpus: try CharacterCorpus(text: Self.text))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ch6-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try run.model.checkpoint().write(to: url)
        let loaded = try CharRNN.load(url)
        #expect(loaded.config == run.model.config)
        #expect(loaded.vocabulary == run.model.vocabulary)
        for (a, b) in zip(run.model.parameters, loaded.parameters) {
            #expect(a.value.scalars == b.value.scalars, "\(a.name)")
        }
        let sampling = try SamplingOptions(temperature: 1, topK: 5)
        var r1 = SeededRandom(seed: 551), r2 = SeededRandom(seed: 551)
        #expect(try run.model.generate(prompt: "the ", maxTokens: 20, sampling: sampling, rng: &r1)
                == loaded.generate(prompt: "the ", maxTokens: 20, sampling: sampling, rng: &r2))
    }

    @Test func badCheckpointsAreTypedErrors() throws {
        var rng = SeededRandom(seed: 552)
        let model = try CharRNN(CharRNNConfig(cell: .rnn, embeddingSize: 4, hiddenSize: 8),
                                vocabulary: try CharacterVocabulary(text: "abc"), rng: &rng)
        var c = model.checkpoint()
        c.kind = "cnn"
        #expect(throws: CheckpointError.self) { try CharRNN(checkpoint: c) }
        c = model.checkpoint()
        c.config = c.config.map { $0.0 == "cell" ? ($0.0, .string("transformer")) : $0 }
        #expect(throws: CheckpointError.self) { try CharRNN(checkpoint: c) }
        c = model.checkpoint()
        c.config = c.config.map { $0.0 == "hidden" ? ($0.0, .integer(9)) : $0 }
        #expect(throws: CheckpointError.self) { try CharRNN(checkpoint: c) }
        #expect(throws: CheckpointError.self) { try CharRNN.load(URL(fileURLWithPath: "/nonexistent/model.json")) }
    }

    @Test func samplingIsSeededAndGreedyIsDeterministic() throws {
        var rng = SeededRandom(seed: 553)
        let model = try CharRNN(CharRNNConfig(cell: .lstm, embeddingSize: 4, hiddenSize: 8),
                                vocabulary: try CharacterVocabulary(text: "abcdefgh"), rng: &rng)
        let hot = try SamplingOptions(temperature: 1.5)
        var a = SeededRandom(seed: 7), b = SeededRandom(seed: 7), c = SeededRandom(seed: 8)
        let s1 = try model.generate(prompt: "ab", maxTokens: 40, sampling: hot, rng: &a)
        let s2 = try model.generate(prompt: "ab", maxTokens: 40, sampling: hot, rng: &b)
        let s3 = try model.generate(prompt: "ab", maxTokens: 40, sampling: hot, rng: &c)
        #expect(s1 == s2)
        #expect(s1 != s3)
        #expect(s1.count == 40)
        var pieces: [String] = []
        var d = SeededRandom(seed: 9), e = SeededRandom(seed: 10)
        let g1 = try model.generate(prompt: "", maxTokens: 10, sampling: .greedy, rng: &d) { pieces.append($0) }
        #expect(try model.generate(prompt: "", maxTokens: 10, sampling: .greedy, rng: &e) == g1)
        #expect(pieces.joined() == g1)
        #expect(throws: TextError.unknownCharacter("z", vocabularySize: 8)) {
            try model.generate(prompt: "az", maxTokens: 1, sampling: .greedy, rng: &d)
        }
    }

    @Test func concurrentGenerationMatchesSequential() throws {
        var rng = SeededRandom(seed: 554)
        let model = try CharRNN(CharRNNConfig(cell: .gru, embeddingSize: 4, hiddenSize: 16),
                                vocabulary: try CharacterVocabulary(text: "abcdefgh"), rng: &rng)
        let sampling = try SamplingOptions(temperature: 1)
        let expected = try (0..<4).map { i -> String in
            var r = SeededRandom(seed: UInt64(100 + i))
            return try model.generate(prompt: "abc", maxTokens: 30, sampling: sampling, rng: &r)
        }
        nonisolated(unsafe) var results = [String](repeating: "", count: 4)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            var r = SeededRandom(seed: UInt64(100 + i))
            let s = (try? model.generate(prompt: "abc", maxTokens: 30, sampling: sampling, rng: &r)) ?? "failed"
            lock.lock(); results[i] = s; lock.unlock()
        }
        #expect(results == expected)
    }

    @Test func nanDuringTrainingIsATypedError() throws {
        let o = Self.tinyOptions(.lstm)
        let corpus = try CharacterCorpus(text: Self.text)
        var rng = SeededRandom(seed: 555)
        let model = try CharRNN(o.model, vocabulary: corpus.vocabulary, rng: &rng)
        let trainer = try CharRNNTrainer(model: model, train: corpus.train, options: o)
        try trainer.step()
        model.rnn.weightHH.value.scalars[3] = .nan
        #expect(throws: TrainingError.nonFinite(step: 2, tensor: "loss")) { try trainer.step() }
    }

    @Test func badOptionsAreTypedErrors() throws {
        var o = Self.tinyOptions(.rnn)
        o.batch = 0
        #expect(throws: TrainingError.self) { try Chapter6.trainCharRNN(o, corpus: try CharacterCorpus(text: Self.text)) }
        o = Self.tinyOptions(.rnn)
        o.learningRate = -1
        #expect(throws: TrainingError.self) { try o.validate() }
    }

    /// The loss computed in two halves of the rows (SIMD twin): the gradient
    /// bit-identical to one call over all rows, the loss equal up to rounding.
    @Test func lossInTwoHalvesMatchesOneCall() throws {
        let (n, c) = (1024, 11)
        let logits: Tensor<Float> = randomTensor([n, c], seed: 560, scale: 4).converted()
        var rng = SeededRandom(seed: 561)
        let labels = (0..<n).map { _ in Int(rng.uniform(0, Double(c))) % c }
        let whole = try SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, backend: .simd)
        let halves = try CharRNN.lossAndGradient(logits: logits, labels: labels, backend: .simd)
        #expect(halves.gradient.scalars == whole.gradient.scalars)
        #expect(abs(halves.loss - whole.loss) <= 1e-6 * whole.loss)
    }
}
