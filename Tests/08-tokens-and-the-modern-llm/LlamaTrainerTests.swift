// The Llama trainer: a few steps lower the loss on a tiny corpus, the
// corpus is cut where chapter 7's is, and bits per character is the total
// loss over the characters the predicted tokens spell, over ln 2.

import BackpropCore
import Foundation
import RecurrentNetworks
import Transformer
import Testing
@testable import TokensAndTheModernLLM

@Suite struct LlamaTrainerTests {
    static let text = String(repeating: "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n", count: 12)

    @Test("The text is cut at chapter 7's characters (90 / 5 / 5)")
    func split() throws {
        let parts = TokenCorpus.split(Self.text)
        let chars = try CharacterCorpus(text: Self.text, trainFraction: 0.9, testFraction: 0.05)
        #expect(parts.train.count == chars.train.count && parts.validation.count == chars.validation.count && parts.test.count == chars.test.count)
        #expect(parts.train + parts.validation + parts.test == Self.text)
    }

    @Test("Bits per character: total nats over the predicted tokens / their characters / ln 2 (a uniform model gives log₂ V · tokens/chars)")
    func bitsPerCharacter() throws {
        let corpus = try TokenCorpus.make(Self.text, vocabularySize: 280)
        let config = try LlamaConfig(vocabularySize: 280, context: 8, layers: 1, width: 8, heads: 2, kvHeads: 1, hidden: 8)
        let model = try Llama<Double>(config: config, seed: 920)
        for p in model.parameters where p.value.rank == 2 { p.value = try Tensor(shape: p.value.shape, repeating: 0) }   // uniform logits
        let tokens = corpus.validation
        let (bits, perToken) = try LlamaTrainer.bitsPerCharacter(model, tokens: tokens, corpus: corpus)
        #expect(abs(perToken - log(280)) < 1e-12)
        let characters = try corpus.predictedCharacters(tokens)
        #expect(characters > tokens.count - 1)   // merges: a token spells more than one character
        #expect(abs(bits - Double(tokens.count - 1) * log2(280) / Double(characters)) < 1e-9)
    }

    @Test("Twenty steps of chapter 7's schedule lower the loss; the result reports bits per character")
    func trains() throws {
        let corpus = try TokenCorpus.make(Self.text, vocabularySize: 300)
        let config = try LlamaConfig(vocabularySize: 300, context: 8, layers: 1, width: 16, heads: 2, kvHeads: 1)
        let model = try Llama<Float>(config: config, seed: 921)
        var options = GPTTrainingOptions()
        options.batch = 4
        options.fitSchedule(steps: 20, learningRate: 1e-2)
        options.evaluationBatches = 2
        let result = try LlamaTrainer.train(model, corpus: corpus, options: options)
        let first = result.history.prefix(3).map(\.trainLoss).reduce(0, +) / 3, last = result.history.suffix(3).map(\.trainLoss).reduce(0, +) / 3
        #expect(last < first - 0.5, "\(first) → \(last)")
        #expect(result.validationBitsPerCharacter.isFinite && result.validationBitsPerCharacter > 0)
        #expect(result.testBitsPerCharacter != nil)
    }
}
