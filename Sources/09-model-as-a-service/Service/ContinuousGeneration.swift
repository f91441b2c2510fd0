// ContinuousGeneration: chapter 7's GPT served through a ContinuousBatcher
// (`serve --batching continuous`, the default), behind the same
// `TextGenerating` interface as GPTGenerator, so /v1/generate and the
// OpenAI routes need no change: each request's worker thread waits in
// `generate` while the scheduler thread runs every stream's steps together.
// The text is GPTGenerator's for the same prompt, options and seed (tested).

import BackpropCore
import RecurrentNetworks
import Transformer

/// A generator that batches its requests; the server adds its counters to /metrics.
public protocol ContinuouslyBatching {
    var batchingStatistics: ContinuousBatchingStatistics { get }
}

/// A character-level text generator (`base`) whose requests share the steps
/// of one ContinuousBatcher over its model; the float GPT's and the int8
/// GPT's (QuantizedBatching.swift) are this type.
public struct ContinuousGenerator<Base: TextGenerating, Model: BatchedWindowedDecoding & Sendable>: TextGenerating, ContinuouslyBatching
where Model.Scalar == Float {
    public let base: Base
    public let batcher: ContinuousBatcher<Model>
    let vocabulary: CharacterVocabulary
    public var info: ModelInfo { base.info }

    /// `base` served by a batcher over `model` (the model `base` decodes with), whose ids are `vocabulary`'s.
    public init(base: Base, model: Model, vocabulary: CharacterVocabulary, policy: ContinuousBatcher<Model>.Policy = .init()) {
        self.base = base
        self.vocabulary = vocabulary
        batcher = ContinuousBatcher(model: model, policy: policy)
    }

    public var batchingStatistics: ContinuousBatchingStatistics { batcher.statistics }

    public func validate(prompt: String) throws { try base.validate(prompt: prompt) }

    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         onToken: (String) throws -> Void) throws -> String {
        try generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling, rng: &rng, isCancelled: { false }, onToken: onToken)
    }

    /// As the base's `generate` (an empty prompt starts from a newline, or token 0), batched with the other requests.
    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         isCancelled: () -> Bool, onToken: (String) throws -> Void) throws -> String {
        try generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling, rng: &rng, isCancelled: isCancelled,
                     onToken: onToken, onPause: {})
    }

    /// As above, `onPause` called after each group of tokens the request's thread takes from the batcher.
    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         isCancelled: () -> Bool, onToken: (String) throws -> Void, onPause: () throws -> Void) throws -> String {
        try validate(prompt: prompt)
        var start = try vocabulary.encode(prompt)
        if start.isEmpty { start = [(try? vocabulary.encode("\n"))?.first ?? 0] }
        let tokens = try batcher.generate(prompt: start, maxTokens: maxTokens, sampling: sampling, rng: &rng,
                                          isCancelled: isCancelled, onToken: { t in try onToken(try vocabulary.decode([t])) },
                                          onPause: onPause)
        return try vocabulary.decode(tokens)
    }
}

/// The GPT through a continuous batcher.
public typealias ContinuousGPTGenerator = ContinuousGenerator<GPTGenerator, GPT<Float>>

extension ContinuousGenerator where Base == GPTGenerator, Model == GPT<Float> {
    public init(_ base: GPTGenerator, policy: ContinuousBatcher<GPT<Float>>.Policy = .init()) {
        self.init(base: base, model: base.model, vocabulary: base.model.config.vocabulary, policy: policy)
    }
}

/// Generation scheduling for `serve --batching`.
public enum GenerationBatching: String, Sendable, CaseIterable {
    /// One request per slot, each with its own decoding loop.
    case off
    /// Every running request in one batched step (ContinuousBatcher).
    case continuous

    /// `generator` batched as this mode says (models without a batched step are served as they are).
    public func apply(to generator: any TextGenerating, maxActive: Int) -> any TextGenerating {
        if self == .continuous, let int8 = generator as? QuantizedGPTGenerator {      // the int8 GPT (QuantizedBatching.swift)
            return ContinuousQuantizedGPTGenerator(int8, policy: .init(maxActive: maxActive))
        }
        guard self == .continuous, let gpt = generator as? GPTGenerator, gpt.usesKVCache else { return generator }
        return ContinuousGPTGenerator(gpt, policy: .init(maxActive: maxActive))
    }
}

extension ContinuousGenerator: LogitStepping where Base: LogitStepping {
    /// Top-p and other caller-chosen sampling (the OpenAI routes' `top_p`)
    /// run outside the batch, as GPTGenerator does: the caller's `choose`
    /// and its random generator live on the caller's thread.
    public func generate(prompt: String, maxTokens: Int, choose: ([Float]) -> Int, onToken: (String) throws -> Void) throws -> String {
        try base.generate(prompt: prompt, maxTokens: maxTokens, choose: choose, onToken: onToken)
    }
}
