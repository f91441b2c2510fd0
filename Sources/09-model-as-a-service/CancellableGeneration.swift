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

    /// The char-LSTM's generation with the prompt read in chunks (see the file header): the same text as
    /// `CharRNN.generate` for the same prompt, options and rng.
    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         isCancelled: () -> Bool, onToken: (String) throws -> Void) throws -> String {
        try validate(prompt: prompt)
        let vocabulary = model.vocabulary
        var tokens = try vocabulary.encode(prompt)
        if tokens.isEmpty { tokens = [(try? vocabulary.encode("\n"))?.first ?? 0] }
        var state: RecurrentState?
        var logits: [Float] = []
        for start in stride(from: 0, to: tokens.count, by: Self.promptChunk) {
            if isCancelled() { throw ServingError.cancelled }
            logits = try read(Array(tokens[start..<min(start + Self.promptChunk, tokens.count)]), state: &state)
        }
        var text = ""
        for _ in 0..<max(0, maxTokens) {
            if isCancelled() { throw ServingError.cancelled }
            let next = TokenSampler.sample(logits, options: sampling, rng: &rng)
            let piece = try vocabulary.decode([next])
            text += piece
            try onToken(piece)
            logits = try read([next], state: &state)
        }
        return text
    }

    /// The hidden (and, for an LSTM, cell) state carried from one piece of text to the next.
    struct RecurrentState {
        var h: [Float]
        var c: [Float]?
    }

    /// The logits after reading `tokens` from `state` (nil: zeros), which becomes the state after them.
    func read(_ tokens: [Int], state: inout RecurrentState?) throws -> [Float] {
        let e = try model.embedding.forward(try Embedding.ids(tokens), mode: .inference).output
        let cache = try model.rnn.forwardTimeMajor(e.scalars, batch: 1, h0: state?.h, c0: state?.c)
        state = RecurrentState(h: cache.finalH, c: cache.finalC)
        return try model.head(Tensor(shape: [1, model.config.hiddenSize], scalars: cache.finalH)).scalars
    }
}
