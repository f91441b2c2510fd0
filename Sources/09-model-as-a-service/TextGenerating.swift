// TextGenerating: what `backprop generate` and the service
// (`POST /v1/generate`) ask of a text model: continue a prompt token by
// token. Chapter 6's char-LSTM and chapter 7's GPT expose exactly this
// `generate`; their registry adapters add `info` (ModelInfo(checkpoint:…))
// and, if the vocabulary is closed, `validate(prompt:)`.
//
//   prompt → tokens → (state) → logits → sample (temperature, top-k, rng) → token → onToken …
//
// Contract
// - Called from several threads at once: each generation keeps its own
//   state (its KV cache or recurrent state) in locals; the weights are only
//   read.
// - A prompt the model cannot continue is `InferenceError.invalidPrompt`
//   (the service answers 400), thrown by `validate` before anything is sent.
// - The same prompt, options and rng seed give the same text.

import BackpropCore
import RecurrentNetworks

public protocol TextGenerating: Sendable {
    /// Kind ("char-rnn", "gpt"…), parameter count and config.
    var info: ModelInfo { get }
    /// Checks a prompt before generation starts (so a streamed answer can
    /// still be refused with 400). Throws `InferenceError.invalidPrompt`.
    func validate(prompt: String) throws
    /// Continues `prompt` by up to `maxTokens` tokens, calling `onToken` with
    /// each token's text as it is produced; returns the continuation.
    /// If `onToken` throws (the client went away), generation stops and the
    /// error propagates.
    func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                  onToken: (String) throws -> Void) throws -> String
    /// The prompt's length in the model's tokens (the service's prompt limit
    /// counts these); by default its characters, as for the character models.
    func promptTokenCount(_ prompt: String) -> Int
    /// As `generate`, asking `isCancelled` between pieces of work and stopping
    /// with `ServingError.cancelled` once it is true (CancellableGeneration.swift).
    func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                  isCancelled: () -> Bool, onToken: (String) throws -> Void) throws -> String
    /// As `generate(…isCancelled:onToken:)`, with `onPause` called after each
    /// group of tokens given to `onToken`, when the generator is about to
    /// wait for more: where a streaming caller sends what it has gathered
    /// (one socket write per group instead of one per token). By default
    /// every token is a group of one; the continuous batcher hands over
    /// the tokens a stream's thread finds waiting when it wakes.
    func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                  isCancelled: () -> Bool, onToken: (String) throws -> Void, onPause: () throws -> Void) throws -> String
}

extension TextGenerating {
    public func validate(prompt: String) throws {}
    public func promptTokenCount(_ prompt: String) -> Int { prompt.count }

    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         isCancelled: () -> Bool, onToken: (String) throws -> Void, onPause: () throws -> Void) throws -> String {
        try generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling, rng: &rng, isCancelled: isCancelled) { token in
            try onToken(token)
            try onPause()
        }
    }
}
