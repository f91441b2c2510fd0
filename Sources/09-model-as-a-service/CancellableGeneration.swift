// CancellableGeneration: generation that stops when nobody is waiting for
// it. The service passes each request's `isCancelled` (has the client closed
// its connection?) and the model asks it between pieces of work:
//
//   prompt → [chunk of 256 tokens → isCancelled?] … → token → isCancelled? → token …
//
// - By default (any `TextGenerating`) it is asked before every new token;
//   the prompt is read by the model's own `generate` in one go. That is
//   enough for the GPT and the Llama, which read only the last window of a
//   long prompt (at most their context).
// - Chapter 6's char-LSTM reads every character of its prompt, in one
//   forward pass whose memory grows with the prompt (a 10⁶-character prompt
//   took 7.1 GB). Its adapter reads the prompt in chunks of 256 characters
//   instead, carrying the recurrent state from one to the next and asking
//   between them; memory is then bounded by the chunk, and a client that
//   leaves stops the reading within one chunk. The recurrence is the same
//   computation either way (a test checks that the text is the model's own
//   for a prompt of several chunks).

import BackpropCore
import Backpropagation
import RecurrentNetworks

extension TextGenerating {
    /// As `generate`, stopping with `ServingError.cancelled` once `isCancelled()` is true.
    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         isCancelled: () -> Bool, onToken: (String) throws -> Void) throws -> String {
        if isCancelled() { throw ServingError.cancelled }
        return try generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling, rng: &rng) { token in
            if isCancelled() { throw ServingError.cancelled }
            try onToken(token)
        }
    }
}

extension CharRNNGenerator {
    /// Prompt characters read per forward pass.
    static let promptChunk = 256

    /// The char-LSTM's generation with the prompt read in chunks (see the file header;
    /// `CharRNN.generate(…promptChunk:isCancelled:)`): the same text as without chunks
    /// for the same prompt, options and rng.
    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         isCancelled: () -> Bool, onToken: (String) throws -> Void) throws -> String {
        try validate(prompt: prompt)
        do {
            return try model.generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling, rng: &rng,
                                      promptChunk: Self.promptChunk, isCancelled: isCancelled, onToken: onToken)
        } catch is CancellationError {
            throw ServingError.cancelled
        }
    }
}
