// Sampling text from a CharRNN, and saving and loading it.
//
// generate: the prompt is run through the network in one forward pass
// (T = prompt length, B = 1), or in passes of `promptChunk` characters with
// the state carried between them (the same recurrence; memory bounded by the
// chunk, as chapter 9's service reads long prompts); then, one character at
// a time, the last logits
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
        try generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling, rng: &rng, promptChunk: .max,
                     isCancelled: { false }, onToken: onToken)
    }

    /// As `generate`, reading the prompt `promptChunk` characters at a time
    /// and asking `isCancelled()` before each chunk and each new character.
    /// - Throws: also `CancellationError` once `isCancelled()` is true.
    public func generate(
        prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
        promptChunk: Int, isCancelled: () -> Bool, onToken: (String) throws -> Void
    ) throws -> String {
        precondition(promptChunk > 0, "generate: promptChunk must be positive")
        var tokens = try vocabulary.encode(prompt)
        if tokens.isEmpty { tokens = [(try? vocabulary.encode("\n"))?.first ?? 0] }
        var state: CarriedState? = nil
        var logits: [Float] = []
        var start = 0
        while start < tokens.count {
            if isCancelled() { throw CancellationError() }
            let count = min(promptChunk, tokens.count - start)
            logits = try lastLogits(Array(tokens[start..<(start + count)]), state: &state)
            start += count
        }
        var text = ""
        for _ in 0..<max(0, maxTokens) {
            if isCancelled() { throw CancellationError() }
            let next = TokenSampler.sample(logits, options: sampling, rng: &rng)
            let piece = try vocabulary.decode([next])
            text += piece
            try onToken(piece)
            logits = try lastLogits([next], state: &state)
        }
        return text
    }

    /// The logits after reading `tokens` (one sequence) from `state`.
    public func lastLogits(_ tokens: [Int], state: inout CarriedState?) throws -> [Float] {
        let e = try embedding.forward(try Embedding.ids(tokens), mode: .inference).output
        let cache = try rnn.forwardTimeMajor(e.scalars, batch: 1, h0: state?.h, c0: state?.c)
        let last = cache.finalH
        state = CarriedState(h: last, c: cache.finalC)
        return try head(Tensor(shape: [1, config.hiddenSize], scalars: last)).scalars
    }

    // MARK: Checkpoints (the contract: Storage/CheckpointModel.swift)

    public static var checkpointKind: String { "char-rnn" }

    /// The model as a checkpoint: config (cell, sizes, vocabulary) and tensors.
    public func checkpoint(metadata: [(String, JSONValue)] = []) -> Checkpoint {
        Checkpoint(kind: Self.checkpointKind, config: [
            ("cell", .string(config.cell.rawValue)), ("embedding", .integer(config.embeddingSize)),
            ("hidden", .integer(config.hiddenSize)), ("vocabulary", .string(vocabulary.string)),
        ], metadata: metadata, tensors: [
            ("embedding.weight", embedding.weight.value.converted()),
            ("rnn.weight_ih", rnn.weightIH.value.converted()), ("rnn.weight_hh", rnn.weightHH.value.converted()),
            ("rnn.bias_ih", rnn.biasIH.value.converted()), ("rnn.bias_hh", rnn.biasHH.value.converted()),
            ("head.weight", head.weight.value.converted()), ("head.bias", head.bias.value.converted()),
        ])
    }

    /// Rebuilds a model from `checkpoint()`'s output on the SIMD backend.
    public convenience init(checkpoint: Checkpoint) throws {
        try self.init(checkpoint: checkpoint, backend: .simd)
    }

    /// Rebuilds a model from `checkpoint()`'s output.
    /// - Throws: `CheckpointError` for another model kind, a missing or
    ///   malformed config entry, or a tensor of the wrong shape.
    public convenience init(checkpoint c: Checkpoint, backend: Backend) throws {
        try c.require(kind: Self.checkpointKind)
        let cellName = try c.configString("cell")
        guard let cell = CellKind(rawValue: cellName) else {
            throw CheckpointError.badConfig(path: c.path, key: "cell", reason: "is '\(cellName)'; known: rnn, lstm, gru")
        }
        let vocabulary: CharacterVocabulary
        do { vocabulary = try CharacterVocabulary(characters: Array(try c.configString("vocabulary"))) } catch let e as CheckpointError { throw e } catch {
            throw CheckpointError.badConfig(path: c.path, key: "vocabulary", reason: "is unusable: \(error)")
        }
        let limit = max(c.storedScalarCount, 1)
        let config = CharRNNConfig(cell: cell, embeddingSize: try c.configInt("embedding", in: 1...limit),
                                   hiddenSize: try c.configInt("hidden", in: 1...limit))
        let (v, e, h, g) = (vocabulary.count, config.embeddingSize, config.hiddenSize, cell.gateCount * config.hiddenSize)
        // Shapes first, from the file alone; then the model.
        let tensors: [Tensor<Float>] = try [("embedding.weight", [v, e]), ("rnn.weight_ih", [g, e]), ("rnn.weight_hh", [g, h]),
                                            ("rnn.bias_ih", [g]), ("rnn.bias_hh", [g]), ("head.weight", [v, h]), ("head.bias", [v])]
            .map { try c.tensor($0.0, shape: $0.1) }
        var rng = SeededRandom(seed: 0)
        try self.init(config, vocabulary: vocabulary, rng: &rng, backend: backend)
        for (p, t) in zip([embedding.weight, rnn.weightIH, rnn.weightHH, rnn.biasIH, rnn.biasHH, head.weight, head.bias], tensors) {
            p.value = t
        }
    }

    /// Loads a "char-rnn" checkpoint file.
    public static func load(_ url: URL, backend: Backend) throws -> CharRNN {
        try CharRNN(checkpoint: try Checkpoint.load(url), backend: backend)
    }
}
