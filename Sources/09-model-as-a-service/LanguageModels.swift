// LanguageModels: chapter 6's char-LSTM and chapter 7's GPT as registry
// entries ("char-rnn", "gpt") that the service and `backprop generate` use
// through `TextGenerating`:
//
//   checkpoint → (sizes checked against the tensor table) → model → adapter
//   prompt → validate (every character in the vocabulary, else 400) → generate
//
// The adapters only hold the model and forward to its own `generate`, so a
// served answer is exactly what the model gives when called directly with
// the same prompt, options and seed. Both models keep their decoding state
// (recurrent state, KV cache) in locals of each call: concurrent requests
// share only the read-only weights.
//
// Loading is guarded before anything is allocated: the config's sizes must
// match the shapes in the checkpoint's tensor table (a corrupted "width":
// 10⁹ must not allocate gigabytes before the shape check rejects it), and
// any other error of the model's own init becomes a `CheckpointError`.

import BackpropCore
import RecurrentNetworks
import Transformer

/// Shared by both adapters: a prompt's characters must be in the vocabulary.
enum PromptValidation {
    static func validate(_ prompt: String, vocabulary: CharacterVocabulary) throws {
        do { _ = try vocabulary.encode(prompt) } catch let error as TextError {
            throw InferenceError.invalidPrompt("\(error) (\(String(reflecting: vocabulary.string)))")
        }
    }
}

/// Shared by both adapters: a checkpoint's tensors must have the shapes its
/// config implies before the model is built, and the model's own loader
/// fails only with `CheckpointError`.
enum CheckpointShapeCheck {
    /// The tensor `name`'s shape in the checkpoint's table, which must be `expected`.
    static func requireShape(_ checkpoint: Checkpoint, _ name: String, _ expected: [Int], path: String) throws {
        guard let entry = checkpoint.tensors.first(where: { $0.name == name }) else {
            throw CheckpointError.missingTensor(path: path, name: name)
        }
        guard entry.tensor.shape == expected else {
            throw CheckpointError.shapeMismatch(path: path, name: name, found: entry.tensor.shape, expected: expected)
        }
    }

    /// Runs a model's own loader, turning its non-checkpoint errors into `CheckpointError.malformed`.
    static func load<T>(path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as CheckpointError { throw error } catch {
            throw CheckpointError.malformed(path: path, reason: "\(error)")
        }
    }
}

/// Chapter 6's character RNN (kind "char-rnn") as a text generator.
public struct CharRNNGenerator: TextGenerating {
    public let model: CharRNN
    public let info: ModelInfo

    public init(model: CharRNN) {
        self.model = model
        info = ModelInfo(checkpoint: model.checkpoint(), parameterCount: model.parameters.reduce(0) { $0 + $1.value.count })
    }

    /// - Throws: `CheckpointError` for a wrong kind, a config that does not
    ///   match the tensors, or a missing or misshapen tensor.
    public init(checkpoint: Checkpoint, path: String = "") throws {
        try checkpoint.require(model: CharRNN.modelName, path: path)
        let vocabulary = Array(try checkpoint.requireConfig("vocabulary", path: path).stringValue ?? "")
        let e = try checkpoint.configInt("embedding", in: 1...1 << 20, path: path)
        let h = try checkpoint.configInt("hidden", in: 1...1 << 20, path: path)
        try CheckpointShapeCheck.requireShape(checkpoint, "embedding.weight", [vocabulary.count, e], path: path)
        try CheckpointShapeCheck.requireShape(checkpoint, "head.weight", [vocabulary.count, h], path: path)
        let model = try CheckpointShapeCheck.load(path: path) { try CharRNN(checkpoint: checkpoint, path: path) }
        self.model = model
        info = ModelInfo(checkpoint: checkpoint, parameterCount: model.parameters.reduce(0) { $0 + $1.value.count })
    }

    public func validate(prompt: String) throws {
        try PromptValidation.validate(prompt, vocabulary: model.vocabulary)
    }

    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         onToken: (String) throws -> Void) throws -> String {
        try validate(prompt: prompt)
        return try model.generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling, rng: &rng, onToken: onToken)
    }
}

/// Chapter 7's GPT (kind "gpt") as a text generator, with or without the KV
/// cache (without: every token recomputes the whole window; same text).
public struct GPTGenerator: TextGenerating {
    public let model: GPT<Float>
    public let info: ModelInfo
    public var usesCache: Bool

    public init(model: GPT<Float>, usesCache: Bool = true) {
        self.model = model
        self.usesCache = usesCache
        info = ModelInfo(checkpoint: model.checkpoint(), parameterCount: model.parameterCount)
    }

    /// - Throws: `CheckpointError` for a wrong kind, a config that does not
    ///   match the tensors, or a missing or misshapen tensor.
    public init(checkpoint: Checkpoint, path: String = "", usesCache: Bool = true) throws {
        try checkpoint.require(model: GPT<Float>.checkpointKind, path: path)
        let vocabulary = Array(try checkpoint.requireConfig("vocabulary", path: path).stringValue ?? "")
        let width = try checkpoint.configInt("width", in: 1...1 << 20, path: path)
        let context = try checkpoint.configInt("context", in: 1...1 << 20, path: path)
        let layers = try checkpoint.configInt("layers", in: 1...1 << 16, path: path)
        try CheckpointShapeCheck.requireShape(checkpoint, "token_embedding.weight", [vocabulary.count, width], path: path)
        try CheckpointShapeCheck.requireShape(checkpoint, "position_embedding.weight", [context, width], path: path)
        guard checkpoint.tensors.contains(where: { $0.name.hasPrefix("blocks.\(layers - 1).") }) else {
            throw CheckpointError.badConfig(path: path, key: "layers", reason: "is \(layers) but the checkpoint has no tensors for block \(layers - 1)")
        }
        let model = try CheckpointShapeCheck.load(path: path) { try GPT<Float>(checkpoint: checkpoint) }
        self.init(model: model, usesCache: usesCache, info: ModelInfo(checkpoint: checkpoint, parameterCount: model.parameterCount))
    }

    init(model: GPT<Float>, usesCache: Bool, info: ModelInfo) {
        self.model = model
        self.usesCache = usesCache
        self.info = info
    }

    public func validate(prompt: String) throws {
        try PromptValidation.validate(prompt, vocabulary: model.config.vocabulary)
    }

    /// As `GPT.generate`, with the cache on or off.
    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         onToken: (String) throws -> Void) throws -> String {
        try validate(prompt: prompt)
        if usesCache { return try model.generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling, rng: &rng, onToken: onToken) }
        let vocabulary = model.config.vocabulary
        var start = try vocabulary.encode(prompt)
        if start.isEmpty { start = [(try? vocabulary.encode("\n"))?.first ?? 0] }
        let tokens = try model.generateTokens(prompt: start, count: maxTokens, sampling: sampling, rng: &rng, useCache: false) { t in
            try onToken(try vocabulary.decode([t]))
        }
        return try vocabulary.decode(tokens)
    }
}
