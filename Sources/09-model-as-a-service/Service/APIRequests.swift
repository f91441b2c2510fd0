// The JSON bodies of the service's POST routes, decoded with Foundation's
// JSONDecoder (after refusing the trailing commas it lets through) and validated; every problem becomes
// `ServingError.invalidInput` with a message naming the field.
//
//   POST /v1/predict   {"inputs": [[x₀, x₁, …], …]}          n rows × inputWidth
//   POST /v1/generate  {"prompt": "…", "max_tokens": 64, "temperature": 1.0,
//                       "top_k": 5, "seed": 42, "stream": false}
//
// Unknown fields are refused (a typo such as "max_token" should not be
// silently ignored).

import BackpropCore
import Foundation
import RecurrentNetworks

/// A coding key for any field name (to list and check the fields sent).
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
}

enum RequestBody {
    /// Decodes `T` from a body, turning decoding errors into messages.
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws -> T {
        guard !body.isEmpty else { throw ServingError.invalidInput("the request body is empty; send a JSON object") }
        // Foundation's decoder accepts a trailing comma ("[[1, 2],]", "{\"a\": 1,}"), which
        // RFC 8259 does not (Storage's JSONParser, the checkpoints', already refuses it).
        if let offset = trailingComma(body) {
            throw ServingError.invalidInput("malformed JSON: a trailing comma at byte \(offset) (a ',' must be followed by a value)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            throw ServingError.invalidInput(describe(error))
        }
    }

    /// The offset of the first ',' (outside strings) whose next non-space byte ends an array or object.
    static func trailingComma(_ body: [UInt8]) -> Int? {
        var inString = false, escaped = false
        var i = 0
        while i < body.count {
            let b = body[i]
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
            } else if b == UInt8(ascii: "\"") {
                inString = true
            } else if b == UInt8(ascii: ",") {
                var j = i + 1
                while j < body.count, [32, 9, 10, 13].contains(body[j]) { j += 1 }
                if j < body.count, body[j] == UInt8(ascii: "]") || body[j] == UInt8(ascii: "}") { return i }
            }
            i += 1
        }
        return nil
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            var out = ""
            for key in keys {
                if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
            }
            return out
        }
        func kind(_ type: Any.Type) -> String {
            switch type {
            case is Double.Type, is Float.Type: return "a number"
            case is Int.Type, is UInt64.Type: return "an integer"
            case is String.Type: return "a string"
            case is Bool.Type: return "true or false"
            case is [Any].Type, is [[Double]].Type, is [Double].Type: return "an array"
            default: return "a JSON object"
            }
        }
        switch error {
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            if context.codingPath.isEmpty {
                return "malformed JSON: \(underlying ?? context.debugDescription)"
            }
            return "field '\(path(context.codingPath))': \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "missing field '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return "the request body must be a JSON object" }
            return "field '\(path(context.codingPath))' must be \(kind(type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' must be \(kind(type)), not null"
        @unknown default:
            return "invalid request body"
        }
    }

    /// An optional integer field. (Foundation's decoder reports a number that
    /// is not an integer, such as 2.5 or −3 for an unsigned field, as "not
    /// valid JSON"; decoding it again as a Double tells the cases apart.)
    static func integer(_ c: KeyedDecodingContainer<AnyKey>, _ name: String) throws -> Int? {
        let key = AnyKey(name)
        guard c.contains(key) else { return nil }
        if let value = try? c.decode(Int.self, forKey: key) { return value }
        if let x = try? c.decode(Double.self, forKey: key) {
            throw ServingError.invalidInput("'\(name)' must be an integer, got \(x)")
        }
        return try c.decode(Int.self, forKey: key)  // throws the type error (a string, null…)
    }

    /// Throws for any field not in `allowed`.
    static func checkFields(_ container: KeyedDecodingContainer<AnyKey>, allowed: [String]) throws {
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            throw ServingError.invalidInput("unknown field '\(key.stringValue)'; expected \(allowed.joined(separator: ", "))")
        }
    }
}

/// `{"inputs": [[…], …]}`
public struct PredictRequest: Decodable, Sendable {
    public var inputs: [[Double]]

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        try RequestBody.checkFields(c, allowed: ["inputs"])
        inputs = try c.decode([[Double]].self, forKey: AnyKey("inputs"))
    }

    /// Decodes and checks the shape: 1…maxRows rows of exactly `width`
    /// numbers, each finite as a Float (the models compute in Float; one bad
    /// row must not fail the batch it would share with other requests).
    public static func parse(_ body: [UInt8], width: Int, maxRows: Int) throws -> PredictRequest {
        let request = try RequestBody.decode(PredictRequest.self, from: body)
        guard !request.inputs.isEmpty else { throw ServingError.invalidInput("'inputs' is empty; send at least one row") }
        guard request.inputs.count <= maxRows else {
            throw ServingError.invalidInput("'inputs' has \(request.inputs.count) rows; at most \(maxRows) per request")
        }
        for (i, row) in request.inputs.enumerated() {
            guard row.count == width else {
                throw ServingError.invalidInput("inputs[\(i)] has \(row.count) values; the model expects \(width)")
            }
            if let j = row.firstIndex(where: { !Float($0).isFinite }) {
                throw ServingError.invalidInput("inputs[\(i)][\(j)] is not a finite number (as a 32-bit float)")
            }
        }
        return request
    }
}

/// `{"prompt", "max_tokens", "temperature", "top_k", "seed", "stream"}`
public struct GenerateRequest: Decodable, Sendable {
    public var prompt: String
    /// nil: 64, or the server's limit if that is lower.
    public var maxTokens: Int?
    public var temperature: Double
    public var topK: Int?
    /// nil: the server draws one (and reports it, so the answer can be reproduced).
    public var seed: Int?
    public var stream: Bool

    static let fields = ["prompt", "max_tokens", "temperature", "top_k", "seed", "stream"]

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        try RequestBody.checkFields(c, allowed: Self.fields)
        prompt = try c.decode(String.self, forKey: AnyKey("prompt"))
        maxTokens = try RequestBody.integer(c, "max_tokens")
        temperature = try c.decodeIfPresent(Double.self, forKey: AnyKey("temperature")) ?? 1
        topK = try RequestBody.integer(c, "top_k")
        seed = try RequestBody.integer(c, "seed")
        stream = try c.decodeIfPresent(Bool.self, forKey: AnyKey("stream")) ?? false
    }

    /// The sampling options, validated.
    public var sampling: SamplingOptions {
        get throws {
            guard temperature.isFinite, temperature >= 0 else {
                throw ServingError.invalidInput("'temperature' must be a finite number ≥ 0 (0 means greedy), got \(temperature)")
            }
            if let k = topK, k < 1 { throw ServingError.invalidInput("'top_k' must be at least 1, got \(k)") }
            return try SamplingOptions(temperature: temperature, topK: topK)
        }
    }

    /// Decodes and checks ranges: 1 ≤ max_tokens ≤ `maxTokens`, temperature ≥ 0, top_k ≥ 1.
    public static func parse(_ body: [UInt8], maxTokens limit: Int) throws -> (GenerateRequest, SamplingOptions) {
        var request = try RequestBody.decode(GenerateRequest.self, from: body)
        let maxTokens = request.maxTokens ?? min(64, limit)
        guard (1...limit).contains(maxTokens) else {
            throw ServingError.invalidInput("'max_tokens' must be in 1…\(limit), got \(maxTokens)")
        }
        request.maxTokens = maxTokens
        if let seed = request.seed, seed < 0 {
            throw ServingError.invalidInput("'seed' must be in 0…\(Int.max), got \(seed)")
        }
        return (request, try request.sampling)
    }
}
