// BoundedWork: how ModelServer keeps each generation's cost bounded and
// stops work nobody will read (issue 20, item 1).
//
// - Prompt length. Reading a prompt costs time and memory in proportion to
//   its length (a 10⁶-character prompt kept the char-LSTM busy for 97 s at
//   7 GB). Every text route checks two limits before any model work: bytes
//   (`maxPromptBytes`, checked first, so counting tokens is itself bounded),
//   then tokens as the model counts them (`TextGenerating.promptTokenCount`:
//   characters for the book's character models, BPE tokens for the Llama).
//   Over either, the answer is 413 on /v1/generate and 400
//   `context_length_exceeded` in the OpenAI routes, naming the limit.
// - Waiting. A generation waits for a slot at most until the request's queue
//   deadline (received + `http.queueTimeout`), then is a 503 with Retry-After,
//   decided before any response head.
// - Leaving. `HTTPRequest.isCancelled` says whether the client has closed
//   its connection. A waiting generation checks it every 20 ms, a running
//   one before every token (and the char-LSTM between 256-character chunks
//   of its prompt, CancellableGeneration.swift); either stops with
//   `ServingError.cancelled`. A streamed one also stops at its first failed write.

import Foundation

extension ModelServer {
    /// Checks `prompt` against the byte and token limits.
    /// - Throws: `ServingError.promptTooLong` naming the limit.
    func checkPromptLength(_ prompt: String, generator: any TextGenerating) throws {
        let bytes = prompt.utf8.count
        if bytes > configuration.maxPromptBytes {
            throw ServingError.promptTooLong("the prompt has \(bytes) bytes; this server's limit is \(configuration.maxPromptBytes) bytes")
        }
        let tokens = generator.promptTokenCount(prompt)
        if tokens > configuration.maxPromptTokens {
            throw ServingError.promptTooLong("the prompt has \(tokens) tokens; the limit for model '\(modelID)' is "
                + "\(configuration.maxPromptTokens) tokens")
        }
    }

    /// When a request received at `receivedAt` (uptime ns) stops waiting for a generation slot.
    func queueDeadline(_ request: HTTPRequest) -> Double {
        let received = request.receivedAt > 0 ? Double(request.receivedAt) / 1e9 : Clock.now
        return received + configuration.http.queueTimeout
    }

    /// A slot for `request`'s generation: waits until its queue deadline, gives up if the client leaves.
    func admit(_ request: HTTPRequest) throws -> AdmissionGate.Ticket {
        try generations.enter(deadline: queueDeadline(request), isCancelled: request.isCancelled)
    }

    /// Throws `ServingError.cancelled` once the client has gone (called before each token).
    static func checkClient(_ request: HTTPRequest) throws {
        if request.isCancelled() { throw ServingError.cancelled }
    }
}
