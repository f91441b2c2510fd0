// Sampling text from a CharRNN, and saving and loading it.
//
// generate: the prompt is run through the network in one forward pass
// (T = prompt length, B = 1); then, one character at a time, the last logits
// are turned into a token by `TokenSampler` (temperature, top-k) and fed
// back. The recurrent state lives in local variables, so concurrent calls
// from different threads do not interfere: the model's parameters are only
// read, and the kernels' scratch memory (ScratchPool) is locked.

import BackpropCore
import Foundation
import Storage
import Backpropagation

extension CharRNN {
    /// Continues `prompt` by up to `maxTokens` characters, calling `onToken`
    /// with each new one as it is drawn. An empty prompt starts from a
    /// newline (or the first vocabulary character if there is none).
    /// - Returns: the generated text (without the prompt).
    /// - Throws: `TextError.unknownCharacter` for a prompt character outside
    ///   the vocabulary; whatever `onToken` throws (e.g. to stop early).
    public func generate(
        prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
        onToken: (String) throws -> Void = { _ in }
    ) throws -> String {
        var tokens = try vocabulary.encode(prompt)
        if tokens.isEmpty { tokens = [(try? vocabulary.encode("\n"))?.first ?? 0] }
        var state: CarriedState? = nil
        var logits = try lastLogits(tokens, state: &state)
        var text = ""
        for _ in 0..<max(0, maxTokens) {
            let next = TokenSampler.sample(logits, options: sampling, rng: &rng)
            let piece = try vocabulary.decode([next])
            text += piece
            try onToken(piece)
            logits = try lastLogits([next], state: &state)
        }
        return text
    }

    /// The logits after reading `tokens` (one sequence) from `state`.
    func lastLogits(_ tokens: [Int], state: inout CarriedState?) throws -> [Float] {
        let e = try embedding.forward(try Embedding.ids(tokens), mode: .inference).output
        let cache = try rnn.forwardTimeMajor(e.scalars, batch: 1, h0: state?.h, c0: state?.c)
        let last = cache.finalH
        state = CarriedState(h: last, c: cache.finalC)
        return try head(Tensor(shape: [1, config.hiddenSize], scalars: last)).scalars
    }

    // MARK: Checkpoints

    /// The model as a checkpoint: config (cell, sizes, vocabulary) and tensors.
    public func checkpoint() -> Checkpoint {
        Checkpoint(model: Self.modelName, config: [
            ("cell", .string(config.cell.rawValue)), ("embedding", .integer(config.embeddingSize)),
            ("hidden", .integer(config.hiddenSize)), ("vocabulary", .string(vocabulary.string)),
        ], tensors: [
            ("embedding.weight", embedding.weight.value.converted()),
            ("rnn.weight_ih", rnn.weightIH.value.converted()), ("rnn.weight_hh", rnn.weightHH.value.converted()),
            ("rnn.bias_ih", rnn.biasIH.value.converted()), ("rnn.bias_hh", rnn.biasHH.value.converted()),
            ("head.weight", head.weight.value.converted()), ("head.bias", head.bias.value.converted()),
        ])
    }

    /// Rebuilds a model from `checkpoint()`'s output.
    /// - Throws: `CheckpointError` for another model kind, a missing or
    ///   malformed config entry, or a tensor of the wrong shape.
    public convenience init(checkpoint: Checkpoint, path: String = "", backend: Backend = .simd) throws {
        guard checkpoint.model == Self.modelName else {
            throw CheckpointError.wrongModel(path: path, found: checkpoint.model, expected: Self.modelName)
        }
        func value(_ key: String) -> JSONValue? { checkpoint.config.first { $0.0 == key }?.1 }
        func integer(_ key: String) throws -> Int {
            switch value(key) {
            case .integer(let i)?: return i
            case .number(let d)? where d == d.rounded() && d > 0 && d < 1e9: return Int(d)
            default: throw CheckpointError.malformed(path: path, reason: "config needs a positive whole number '\(key)'")
            }
        }
        func string(_ key: String) throws -> String {
            guard case .string(let s)? = value(key) else { throw CheckpointError.malformed(path: path, reason: "config needs a string '\(key)'") }
            return s
        }
        let cellName = try string("cell")
        guard let cell = CellKind(rawValue: cellName) else {
            throw CheckpointError.malformed(path: path, reason: "unknown cell '\(cellName)' (rnn, lstm or gru)")
        }
        let vocabulary: CharacterVocabulary
        do { vocabulary = try CharacterVocabulary(characters: Array(try string("vocabulary"))) } catch let e as CheckpointError { throw e } catch {
            throw CheckpointError.malformed(path: path, reason: "bad vocabulary: \(error)")
        }
        let config = CharRNNConfig(cell: cell, embeddingSize: try integer("embedding"), hiddenSize: try integer("hidden"))
        var rng = SeededRandom(seed: 0)
        try self.init(config, vocabulary: vocabulary, rng: &rng, backend: backend)
        let (v, e, h, g) = (vocabulary.count, config.embeddingSize, config.hiddenSize, cell.gateCount * config.hiddenSize)
        embedding.weight.value = try checkpoint.tensor("embedding.weight", shape: [v, e], path: path)
        rnn.weightIH.value = try checkpoint.tensor("rnn.weight_ih", shape: [g, e], path: path)
        rnn.weightHH.value = try checkpoint.tensor("rnn.weight_hh", shape: [g, h], path: path)
        rnn.biasIH.value = try checkpoint.tensor("rnn.bias_ih", shape: [g], path: path)
        rnn.biasHH.value = try checkpoint.tensor("rnn.bias_hh", shape: [g], path: path)
        head.weight.value = try checkpoint.tensor("head.weight", shape: [v, h], path: path)
        head.bias.value = try checkpoint.tensor("head.bias", shape: [v], path: path)
    }

    /// Loads a "char-rnn" checkpoint file.
    public static func load(_ url: URL, backend: Backend = .simd) throws -> CharRNN {
        try CharRNN(checkpoint: try Checkpoint.load(url), path: url.path, backend: backend)
    }
}
