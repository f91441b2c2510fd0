// The OpenAI-compatible routes of ModelServer (requests and errors in
// OpenAIRequests.swift):
//
//   GET  /v1/models            {"object": "list", "data": [{"id", "object": "model", "created", "owned_by"}]}
//   GET  /v1/models/{id}       {"id", "object": "model", "created", "owned_by"} (404 model_not_found for another id)
//   POST /v1/completions       → {"id": "cmpl-…", "object": "text_completion", "created", "model",
//                                 "choices": [{"index": 0, "text", "logprobs": null, "finish_reason"}], "usage"}
//   POST /v1/chat/completions  → {"id": "chatcmpl-…", "object": "chat.completion", …,
//                                 "choices": [{"index": 0, "message": {"role": "assistant", "content"}, …}], "usage"}
//
// With "stream": true the answer is server-sent events, one `data: {chunk}`
// per piece of text in OpenAI's chunk format ("text_completion" chunks, or
// "chat.completion.chunk" with a `delta`: the role first, then the content),
// a last chunk carrying finish_reason, with stream_options.include_usage one
// more with `usage` and no choices, and then `data: [DONE]`.
//
// finish_reason is "stop" when a stop sequence ended the text (the text ends
// before it) and "length" at max_tokens. usage counts tokens, which for the
// book's character-level models are characters: prompt_tokens are the
// prompt's (for chat, the rendered template's), completion_tokens the ones
// the model generated (a stop sequence's included, though not returned).
// As on /v1/generate, a request is validated and admitted to a generation
// slot before the head is sent: refusals are statuses (400, 404, 503), never
// an error inside a 200 stream.

import BackpropCore
import Foundation
import RecurrentNetworks
import TokensAndTheModernLLM

/// Thrown from a token callback to end generation at a stop sequence.
struct StopGeneration: Error {}

extension ModelServer {
    /// The id clients name in "model": `configuration.modelName`, else the checkpoint's kind.
    public var modelID: String { configuration.modelName ?? generator?.info.kind ?? classifier?.info.kind ?? "model" }

    var modelObject: AnyJSON {
        .object([("id", .string(modelID)), ("object", .string("model")), ("created", .integer(startedAt)), ("owned_by", .string("backprop"))])
    }

    func openAIModels() -> HTTPResponse {
        Self.json(200, .object([("object", .string("list")), ("data", .array(generator == nil ? [] : [modelObject]))]))
    }

    /// GET /v1/models/{id}: OpenAI's "retrieve model".
    func openAIModel(_ request: HTTPRequest, id: String) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return .error(405, "\(request.path) accepts GET, HEAD, not \(request.method)", headers: [("Allow", "GET, HEAD")])
        }
        let name = id.removingPercentEncoding ?? id
        guard generator != nil, name == modelID else {
            return OpenAIError(status: 404, message: "The model '\(name)' does not exist; this server serves "
                + (generator == nil ? "no text model" : "'\(modelID)'"), type: "invalid_request_error", param: "model",
                               code: "model_not_found").response
        }
        return Self.json(200, modelObject)
    }

    static func json(_ status: Int, _ value: AnyJSON) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: Array((value.rendered + "\n").utf8))
    }

    static func randomID(_ prefix: String) -> String {
        prefix + (0..<24).map { _ in String("0123456789abcdef".randomElement()!) }.joined()
    }

    /// POST /v1/completions and /v1/chat/completions.
    func openAICompletion(_ request: HTTPRequest, chat: Bool) -> HTTPReply {
        do {
            guard let generator else {
                throw OpenAIError.invalid("this server's model does not generate text; it classifies on /v1/predict", param: "model")
            }
            let json = try OpenAIGenerationRequest.object(request.body)
            let prompt: String
            var allowed = OpenAIGenerationRequest.commonFields
            if chat {
                allowed += ["messages", "max_completion_tokens"]
                prompt = ChatTemplate.render(try ChatTemplate.messages(json["messages"]))
            } else {
                allowed += ["prompt", "echo"]
                switch json["prompt"] {
                case .string(let s)?: prompt = s
                case .array(let items)? where items.count == 1:
                    guard case .string(let s) = items[0] else { throw OpenAIError.invalid("'prompt' must be a string", param: "prompt") }
                    prompt = s
                case .array?: throw OpenAIError.invalid("'prompt' must be one string: this server completes one prompt per request", param: "prompt")
                default: throw OpenAIError.invalid("'prompt' is required (a string)", param: "prompt")
                }
                if let echo = json["echo"], echo != .null, echo != .bool(false) {
                    throw OpenAIError.invalid("'echo' is not supported", param: "echo")
                }
            }
            var g = try OpenAIGenerationRequest.parse(json, allowed: allowed, prompt: prompt, maxTokensLimit: configuration.maxGenerateTokens,
                                                      modelID: modelID)
            if chat { g.stop.append(ChatTemplate.endOfTurn) }
            do {
                try generator.validate(prompt: prompt)
                try checkPromptLength(prompt, generator: generator)
            } catch let e as InferenceError {
                throw OpenAIError.invalid(e.description, param: chat ? "messages" : "prompt")
            } catch ServingError.promptTooLong(let message) {
                throw OpenAIError.invalid(message, param: chat ? "messages" : "prompt", code: "context_length_exceeded")
            }
            if g.topP < 1 && !(generator is LogitStepping) {
                throw OpenAIError.invalid("'top_p' below 1 is not supported by this model", param: "top_p")
            }
            let ticket = try admit(request)  // a slot, or 503, before any head
            let id = Self.randomID(chat ? "chatcmpl-" : "cmpl-"), created = Int(Date().timeIntervalSince1970)
            let object = chat ? "chat.completion" : "text_completion"
            let base: [(String, AnyJSON)] = [("id", .string(id)), ("object", .string(object)), ("created", .integer(created)),
                                             ("model", .string(modelID))]
            if !g.stream {
                defer { ticket.release() }
                let result = try runGeneration(g, generator: generator, request: request) { _ in }
                let choice: AnyJSON = chat
                    ? .object([("index", .integer(0)), ("message", .object([("role", .string("assistant")), ("content", .string(result.text))])),
                               ("logprobs", .null), ("finish_reason", .string(result.finish))])
                    : .object([("index", .integer(0)), ("text", .string(result.text)), ("logprobs", .null),
                               ("finish_reason", .string(result.finish))])
                return .response(Self.json(200, .object(base + [("choices", .array([choice])),
                                                               ("usage", Self.usage(prompt: prompt, completion: result.tokens))])))
            }
            let chunkBase: [(String, AnyJSON)] = [("id", .string(id)), ("object", .string(chat ? "chat.completion.chunk" : "text_completion")),
                                                  ("created", .integer(created)), ("model", .string(modelID))]
            let includeUsage = g.includeUsage
            @Sendable func chunk(_ piece: String?, delta: [(String, AnyJSON)] = [], finish: String?) -> [UInt8] {
                let choice: AnyJSON = chat
                    ? .object([("index", .integer(0)), ("delta", .object(delta + (piece.map { [("content", .string($0))] } ?? []))),
                               ("logprobs", .null), ("finish_reason", finish.map { .string($0) } ?? .null)])
                    : .object([("index", .integer(0)), ("text", .string(piece ?? "")), ("logprobs", .null),
                               ("finish_reason", finish.map { .string($0) } ?? .null)])
                let usage: [(String, AnyJSON)] = includeUsage ? [("usage", .null)] : []
                return Self.data(AnyJSON.object(chunkBase + [("choices", .array([choice]))] + usage).rendered)
            }
            let generation = g
            let head = HTTPResponse(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
            return .stream(head) { [self] writer in
                defer { ticket.release() }
                do {
                    if chat { try writer.write(chunk("", delta: [("role", .string("assistant"))], finish: nil)) }
                    // Chunks gathered and sent once per group of tokens (as /v1/generate's events).
                    let result = try runGeneration(generation, generator: generator, request: request,
                                                   onPiece: { piece in writer.append(chunk(piece, finish: nil)) }, onPause: writer.flush)
                    try writer.write(chunk(chat ? nil : "", finish: result.finish))
                    if generation.includeUsage {
                        try writer.write(Self.data(AnyJSON.object(chunkBase + [("choices", .array([])),
                                                                               ("usage", Self.usage(prompt: prompt, completion: result.tokens))]).rendered))
                    }
                    try writer.write(Self.data("[DONE]"))
                } catch let error as SocketError {
                    throw error
                } catch ServingError.cancelled {
                    throw ServingError.cancelled  // the client left: nobody reads an error event
                } catch {
                    try writer.write(Self.data(OpenAIError.from(error).json.rendered))  // after the head, only the body can say it
                    try writer.write(Self.data("[DONE]"))
                }
            }
        } catch {
            return .response(OpenAIError.from(error).response)
        }
    }

    static func data(_ text: String) -> [UInt8] { Array("data: \(text)\n\n".utf8) }

    static func usage(prompt: String, completion: Int) -> AnyJSON {
        .object([("prompt_tokens", .integer(prompt.count)), ("completion_tokens", .integer(completion)),
                 ("total_tokens", .integer(prompt.count + completion))])
    }

    /// Runs one generation under the request's options: top-p through
    /// `LogitStepping` (the model's own `generate` when top_p = 1), stop
    /// sequences through `StopSequenceFilter`. `onPiece` gets the text as it
    /// may be given out; `onPause` follows each group of tokens the
    /// generator hands over (`TextGenerating`'s; after every token on the top-p path).
    func runGeneration(_ g: OpenAIGenerationRequest, generator: any TextGenerating, request: HTTPRequest,
                       onPiece: (String) throws -> Void, onPause: () throws -> Void = {}) throws -> (text: String, tokens: Int, finish: String) {
        let receivedAt = request.receivedAt
        var rng = SeededRandom(seed: g.seed ?? UInt64.random(in: 0...UInt64.max))
        var filter = StopSequenceFilter(g.stop)
        var text = ""
        var tokens = 0
        func onToken(_ token: String) throws {
            try Self.checkClient(request)  // stops at the next token once the client has gone
            tokens += 1
            self.metrics.tokenGenerated(first: tokens == 1, receivedAt: receivedAt)
            let out = filter.feed(token)
            if !out.isEmpty {
                text += out
                try onPiece(out)
            }
            if filter.stopped { throw StopGeneration() }
        }
        do {
            if g.topP < 1, let stepper = generator as? LogitStepping {
                let options = try LlamaSampling(g.sampling, topP: g.topP)
                _ = try stepper.generate(prompt: g.prompt, maxTokens: g.maxTokens,
                                         choose: { NucleusSampler.sample($0, options: options, rng: &rng) },
                                         onToken: { try onToken($0); try onPause() })
            } else {
                _ = try generator.generate(prompt: g.prompt, maxTokens: g.maxTokens, sampling: g.sampling, rng: &rng,
                                           isCancelled: request.isCancelled, onToken: onToken, onPause: onPause)
            }
        } catch is StopGeneration {
            return (text, tokens, "stop")
        }
        let rest = filter.flush()
        if !rest.isEmpty {
            text += rest
            try onPiece(rest)
        }
        return (text, tokens, "length")
    }
}
