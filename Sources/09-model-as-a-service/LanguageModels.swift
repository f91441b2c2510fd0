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
// Loading is the models' own (`CharRNN(checkpoint:)`, `GPT(checkpoint:)`,
// the checkpoint contract): they bound every size by the tensors the file
// holds before allocating anything, so a corrupted "width": 10⁹ is an error,
// not gigabytes.

import BackpropCore
import Storage
import RecurrentNetworks
import Transformer
import TokensAndTheModernLLM

/// Shared by both adapters: the prompt's characters must be in the vocabulary.
enum PromptValidation {
    static func validate(_ prompt: String, vocabulary: CharacterVocabulary) throws {
        do { _ = try vocabulary.encode(prompt) } catch let error as TextError {
            throw InferenceError.invalidPrompt("\(error) (\(String(reflecting: vocabulary.string)))")
        }
    }
}

/// Chapter 6's character RNN (kind "char-rnn") as a text generator.
public struct CharRNNGenerator: TextGenerating {
    public let model: CharRNN
    public let info: ModelInfo

    /// The model, described by its checkpoint's kind and config (`checkpoint`
    /// is the one it was loaded from, else a fresh one is made).
    public init(model: CharRNN, checkpoint: Checkpoint? = nil) {
        self.model = model
        info = ModelInfo(checkpoint: checkpoint ?? model.checkpoint(), parameterCount: model.parameters.reduce(0) { $0 + $1.value.count })
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
    public var usesKVCache: Bool

    /// The model, described by its checkpoint's kind and config (`checkpoint`
    /// is the one it was loaded from, else a fresh one is made).
    public init(model: GPT<Float>, checkpoint: Checkpoint? = nil, usesKVCache: Bool = true) {
        self.model = model
        self.usesKVCache = usesKVCache
        info = ModelInfo(checkpoint: checkpoint ?? model.checkpoint(), parameterCount: model.parameterCount)
    }

    public func validate(prompt: String) throws {
        try PromptValidation.validate(prompt, vocabulary: model.config.vocabulary)
    }

    /// As `GPT.generate`, with the cache on or off.
    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         onToken: (String) throws -> Void) throws -> String {
        try validate(prompt: prompt)
        if usesKVCache { return try model.generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling, rng: &rng, onToken: onToken) }
        let vocabulary = model.config.vocabulary
        var start = try vocabulary.encode(prompt)
        if start.isEmpty { start = [(try? vocabulary.encode("\n"))?.first ?? 0] }
        let tokens = try model.generateTokens(prompt: start, count: maxTokens, sampling: sampling, rng: &rng, useKVCache: false) { t in
            try onToken(try vocabulary.decode([t]))
        }
        return try vocabulary.decode(tokens)
    }
}

/// Chapter 8's Llama: the prompt is encoded with the tokenizer its checkpoint
/// records (a BPE trained for it, or GPT-2's), and the tokens are streamed as
/// text. Any text is a valid prompt (the tokenizers are byte-level).
public struct LlamaGenerator: TextGenerating {
    public let model: Llama<Float>
    public let tokenizer: any TextTokenizer
    public let info: ModelInfo
    public var usesKVCache = true
    /// Nucleus sampling after temperature and top-k (nil: off).
    public var topP: Double?

    /// - Throws: `CheckpointError.badConfig` for a model that records no tokenizer.
    public init(model: Llama<Float>, checkpoint: Checkpoint? = nil) throws {
        self.model = model
        let checkpoint = try checkpoint ?? model.checkpoint()
        guard let recorded = model.tokenizer else {
            throw CheckpointError.badConfig(path: checkpoint.path, key: "tokenizer", reason: "is \"none\": the model cannot read a prompt")
        }
        tokenizer = try recorded.make()
        info = ModelInfo(checkpoint: checkpoint, parameterCount: model.parameterCount)
    }

    /// BPE tokens (the service's prompt limit counts these).
    public func promptTokenCount(_ prompt: String) -> Int { tokenizer.encode(prompt).count }

    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         onToken: (String) throws -> Void) throws -> String {
        var ids = tokenizer.encode(prompt)
        if ids.isEmpty { ids = tokenizer.encode("\n") }
        let options = try LlamaSampling(sampling, topP: topP)
        let out = try model.generateTokens(prompt: ids, count: maxTokens, sampling: options, rng: &rng, useKVCache: usesKVCache) { t in
            try onToken(try tokenizer.decode([t]))
        }
        return try tokenizer.decode(out)
    }
}
