// The OpenAI wire format's requests and errors, for the text models the
// service serves (the API that the `openai` client, llama.cpp's server and
// vLLM speak):
//
//   POST /v1/completions       {"model", "prompt", "max_tokens", "temperature", "top_p",
//                               "n", "stream", "stream_options", "stop", "seed", "user"}
//   POST /v1/chat/completions  {"model", "messages": [{"role", "content", "name"}], the same
//                               options, "max_completion_tokens" as another name for max_tokens}
//
// Rules: "model" must be the id `GET /v1/models` lists (404 model_not_found);
// max_tokens 1…the server's limit (default 64); temperature 0…2 (default 1;
// 0 is greedy); top_p in (0, 1] (default 1); n = 1 only; stop a string or a
// list of at most 4 strings; seed any integer (default: drawn by the server);
// unknown fields are refused (400 naming the field), as OpenAI does. Errors
// are OpenAI's error object, {"error": {"message", "type", "param", "code"}}.

import BackpropCore
import Foundation
import RecurrentNetworks

/// Any JSON value, as read from a request or written in a response (with null,
/// which the book's `JSONValue` has no need for).
indirect enum AnyJSON: Decodable, Sendable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([AnyJSON])
    case object([(String, AnyJSON)])

    init(from decoder: Decoder) throws {
        if let c = try? decoder.container(keyedBy: AnyKey.self) {
            self = .object(try c.allKeys.map { ($0.stringValue, try c.decode(AnyJSON.self, forKey: $0)) })
            return
        }
        if var c = try? decoder.unkeyedContainer() {
            var items: [AnyJSON] = []
            while !c.isAtEnd { items.append(try c.decode(AnyJSON.self)) }
            self = .array(items)
            return
        }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .integer(i) }
        else if let x = try? c.decode(Double.self) { self = .number(x) }
        else { self = .string(try c.decode(String.self)) }
    }

    var rendered: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .number(let x): return JSONValue.number(x).rendered
        case .string(let s): return JSONValue.string(s).rendered
        case .array(let a): return "[" + a.map(\.rendered).joined(separator: ",") + "]"
        case .object(let o): return "{" + o.map { JSONValue.string($0.0).rendered + ":" + $0.1.rendered }.joined(separator: ",") + "}"
        }
    }

    subscript(key: String) -> AnyJSON? {
        guard case .object(let o) = self else { return nil }
        return o.first { $0.0 == key }?.1
    }
}

/// An error in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
public struct OpenAIError: Error, CustomStringConvertible, Sendable {
    public var status: Int
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?

    public var description: String { message }

    static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIError {
        OpenAIError(status: 400, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// Any error thrown while answering, in OpenAI's terms.
    static func from(_ error: Error) -> OpenAIError {
        switch error {
        case let e as OpenAIError: return e
        case ServingError.invalidInput(let m): return .invalid(m)
        case ServingError.overloaded(let m): return OpenAIError(status: 503, message: m, type: "server_error", param: nil, code: "overloaded")
        case ServingError.stopping: return OpenAIError(status: 503, message: ServingError.stopping.description, type: "server_error",
                                                       param: nil, code: "overloaded")
        case let e as InferenceError: return .invalid(e.description, param: "prompt")
        case ServingError.promptTooLong(let m): return .invalid(m, param: "prompt", code: "context_length_exceeded")
        case ServingError.cancelled: return OpenAIError(status: 499, message: ServingError.cancelled.description, type: "server_error",
                                                        param: nil, code: nil)
        default: return OpenAIError(status: 500, message: "internal error: \(error)", type: "server_error", param: nil, code: nil)
        }
    }

    var json: AnyJSON {
        .object([("error", .object([("message", .string(message)), ("type", .string(type)),
                                    ("param", param.map { .string($0) } ?? .null), ("code", code.map { .string($0) } ?? .null)]))])
    }

    var response: HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + (status == 503 ? [("Retry-After", "1")] : []),
                     body: Array((json.rendered + "\n").utf8))
    }
}

/// A completion or chat completion request, validated; `prompt` is the text the model continues.
struct OpenAIGenerationRequest {
    var model: String
    var prompt: String
    var maxTokens: Int
    var sampling: SamplingOptions
    var topP: Double
    var stop: [String]
    var seed: UInt64?
    var stream: Bool
    var includeUsage: Bool

    static let commonFields = ["model", "max_tokens", "temperature", "top_p", "n", "stream", "stream_options", "stop", "seed", "user",
                               "presence_penalty", "frequency_penalty", "logprobs"]

    /// The body as a JSON object (after refusing trailing commas, which Foundation's decoder allows).
    static func object(_ body: [UInt8]) throws -> AnyJSON {
        guard !body.isEmpty else { throw OpenAIError.invalid("the request body is empty; send a JSON object") }
        if let offset = RequestBody.trailingComma(body) {
            throw OpenAIError.invalid("malformed JSON: a trailing comma at byte \(offset)")
        }
        let value: AnyJSON
        do { value = try JSONDecoder().decode(AnyJSON.self, from: Data(body)) } catch {
            throw OpenAIError.invalid("malformed JSON: \(error)")
        }
        guard case .object = value else { throw OpenAIError.invalid("the request body must be a JSON object") }
        return value
    }

    /// Reads the fields every generation request shares; `prompt` comes from the caller.
    static func parse(_ json: AnyJSON, allowed: [String], prompt: String, maxTokensLimit: Int, modelID: String) throws -> OpenAIGenerationRequest {
        guard case .object(let fields) = json else { throw OpenAIError.invalid("the request body must be a JSON object") }
        for (key, _) in fields where !allowed.contains(key) {
            throw OpenAIError.invalid("unrecognized request argument '\(key)'", param: key)
        }
        func number(_ key: String) throws -> Double? {
            switch json[key] {
            case nil, .null?: return nil
            case .integer(let i)?: return Double(i)
            case .number(let x)?: return x
            default: throw OpenAIError.invalid("'\(key)' must be a number", param: key)
            }
        }
        func integer(_ key: String) throws -> Int? {
            switch json[key] {
            case nil, .null?: return nil
            case .integer(let i)?: return i
            default: throw OpenAIError.invalid("'\(key)' must be an integer", param: key)
            }
        }
        func bool(_ key: String) throws -> Bool? {
            switch json[key] {
            case nil, .null?: return nil
            case .bool(let b)?: return b
            default: throw OpenAIError.invalid("'\(key)' must be true or false", param: key)
            }
        }
        guard case .string(let model)? = json["model"] else { throw OpenAIError.invalid("'model' is required (a string)", param: "model") }
        guard model == modelID else {
            throw OpenAIError(status: 404, message: "The model '\(model)' does not exist; this server serves '\(modelID)' (GET /v1/models)",
                              type: "invalid_request_error", param: "model", code: "model_not_found")
        }
        let maxKey = json["max_completion_tokens"] != nil ? "max_completion_tokens" : "max_tokens"
        let maxTokens = try integer(maxKey) ?? min(64, maxTokensLimit)
        guard (1...maxTokensLimit).contains(maxTokens) else {
            throw OpenAIError.invalid("'\(maxKey)' must be in 1…\(maxTokensLimit), got \(maxTokens)", param: maxKey)
        }
        let temperature = try number("temperature") ?? 1
        guard temperature.isFinite, (0...2).contains(temperature) else {
            throw OpenAIError.invalid("'temperature' must be in 0…2 (0 is greedy), got \(temperature)", param: "temperature")
        }
        let topP = try number("top_p") ?? 1
        guard topP.isFinite, topP > 0, topP <= 1 else {
            throw OpenAIError.invalid("'top_p' must be in (0, 1], got \(topP)", param: "top_p")
        }
        if let n = try integer("n"), n != 1 {
            throw OpenAIError.invalid("'n' must be 1: this server generates one choice per request, got \(n)", param: "n")
        }
        for key in ["presence_penalty", "frequency_penalty"] {
            if let x = try number(key), x != 0 { throw OpenAIError.invalid("'\(key)' is not supported (only 0)", param: key) }
        }
        if let logprobs = json["logprobs"], !(logprobs == .null || logprobs == .bool(false)) {
            throw OpenAIError.invalid("'logprobs' is not supported", param: "logprobs")
        }
        if let user = json["user"], !(user.isString || user == .null) { throw OpenAIError.invalid("'user' must be a string", param: "user") }
        var stop: [String] = []
        switch json["stop"] {
        case nil, .null?: break
        case .string(let s)?: stop = [s]
        case .array(let items)?:
            for item in items {
                guard case .string(let s) = item else { throw OpenAIError.invalid("'stop' must be a string or a list of strings", param: "stop") }
                stop.append(s)
            }
        default: throw OpenAIError.invalid("'stop' must be a string or a list of strings", param: "stop")
        }
        guard stop.count <= 4 else { throw OpenAIError.invalid("'stop' holds at most 4 sequences, got \(stop.count)", param: "stop") }
        let stream = try bool("stream") ?? false
        var includeUsage = false
        switch json["stream_options"] {
        case nil, .null?: break
        case .object(let options)?:
            for (key, value) in options {
                guard key == "include_usage", case .bool(let b) = value else {
                    throw OpenAIError.invalid("'stream_options' accepts only include_usage (true or false)", param: "stream_options")
                }
                includeUsage = b
            }
            guard stream else { throw OpenAIError.invalid("'stream_options' is only allowed with stream: true", param: "stream_options") }
        default: throw OpenAIError.invalid("'stream_options' must be an object", param: "stream_options")
        }
        let seed = try integer("seed").map { UInt64(bitPattern: Int64($0)) }
        let sampling: SamplingOptions
        do { sampling = try SamplingOptions(temperature: temperature) } catch {
            throw OpenAIError.invalid("\(error)", param: "temperature")
        }
        return OpenAIGenerationRequest(model: model, prompt: prompt, maxTokens: maxTokens, sampling: sampling, topP: topP, stop: stop,
                                       seed: seed, stream: stream, includeUsage: includeUsage)
    }
}

extension AnyJSON: Equatable {
    static func == (a: AnyJSON, b: AnyJSON) -> Bool { a.rendered == b.rendered }
    var isString: Bool { if case .string = self { return true } else { return false } }
}

/// The chat template: how a conversation becomes the text a character-level
/// Shakespeare model continues. Each message is a speech in the play's own
/// layout (a speaker's name and a colon on one line, the speech, a blank line):
///
///   system / developer:   the content, then a blank line (a stage direction)
///   user:                 "USER:\n" + content + "\n\n"      ("name" replaces USER)
///   assistant:            "ASSISTANT:\n" + content + "\n\n"  ("name" replaces ASSISTANT)
///
/// and the prompt ends with the assistant's cue, "ASSISTANT:\n". The reply
/// ends where the speech ends: at a blank line ("\n\n", always a stop
/// sequence for chat), or at a client's own stop sequence, or at max_tokens.
public enum ChatTemplate {
    public static let userName = "USER"
    public static let assistantName = "ASSISTANT"
    /// The end of a speech: generation stops before it.
    public static let endOfTurn = "\n\n"

    /// The prompt for `messages` (role, content, optional name).
    public static func render(_ messages: [(role: String, content: String, name: String?)]) -> String {
        var text = ""
        for m in messages {
            switch m.role {
            case "system", "developer": text += m.content + "\n\n"
            case "user": text += "\(m.name ?? userName):\n\(m.content)\n\n"
            default: text += "\(m.name ?? assistantName):\n\(m.content)\n\n"
            }
        }
        return text + "\(assistantName):\n"
    }

    /// The messages of a chat request, checked.
    static func messages(_ json: AnyJSON?) throws -> [(role: String, content: String, name: String?)] {
        guard case .array(let items)? = json, !items.isEmpty else {
            throw OpenAIError.invalid("'messages' must be a non-empty list of {role, content}", param: "messages")
        }
        return try items.enumerated().map { i, item in
            guard case .string(let role)? = item["role"] else {
                throw OpenAIError.invalid("messages[\(i)].role is required", param: "messages[\(i)].role")
            }
            guard ["system", "developer", "user", "assistant"].contains(role) else {
                throw OpenAIError.invalid("messages[\(i)].role '\(role)' is not supported (system, developer, user, assistant)",
                                          param: "messages[\(i)].role")
            }
            var content = ""
            switch item["content"] {
            case .string(let s)?: content = s
            case .array(let parts)?:
                for part in parts {
                    guard case .string("text")? = part["type"], case .string(let t)? = part["text"] else {
                        throw OpenAIError.invalid("messages[\(i)].content: only text parts are supported", param: "messages[\(i)].content")
                    }
                    content += t
                }
            case .null? where role == "assistant": content = ""
            default: throw OpenAIError.invalid("messages[\(i)].content must be a string", param: "messages[\(i)].content")
            }
            var name: String? = nil
            if case .string(let n)? = item["name"] { name = n }
            return (role, content, name)
        }
    }
}
