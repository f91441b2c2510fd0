// What the server needs from a model, independent of how it was built or
// loaded: a classifier answers batches of rows, a generator continues a
// prompt token by token. Adapters for the book's models conform to these
// (MLPClassifier here; the char-LSTM and GPT expose `generate` directly).
//
// Contract
// - Both are called from several threads at once: an implementation keeps
//   no per-call state in shared properties (the forward pass reads the
//   weights only; each generation keeps its own state, its own KV cache or
//   recurrent state, in locals).
// - Bad input is reported with `ServingError.invalidInput` (answered 400);
//   any other error is answered 500.

import BackpropCore
import Foundation
import RecurrentNetworks

/// What `GET /v1/model` reports.
public struct ModelInfo: Sendable {
    /// "mlp", "cnn", "char-lstm", "gpt"…
    public var kind: String
    public var parameterCount: Int
    /// Architecture settings, as in the checkpoint.
    public var config: [(String, JSONValue)]

    public init(kind: String, parameterCount: Int, config: [(String, JSONValue)] = []) {
        self.kind = kind
        self.parameterCount = parameterCount
        self.config = config
    }

    public var json: JSONValue {
        .object([("kind", .string(kind)), ("parameters", .integer(parameterCount)), ("config", .object(config))])
    }
}

/// One classified row: the most likely class and every class's probability.
public struct Prediction: Sendable, Equatable {
    public var classIndex: Int
    public var probabilities: [Double]

    public init(classIndex: Int, probabilities: [Double]) {
        self.classIndex = classIndex
        self.probabilities = probabilities
    }

    /// The prediction for one row of probabilities (first maximum wins).
    public init(probabilities: [Double]) {
        var best = 0
        for (i, p) in probabilities.enumerated() where p > probabilities[best] { best = i }
        self.init(classIndex: best, probabilities: probabilities)
    }
}

/// A classifier served by `POST /v1/predict`.
public protocol BatchPredictor: Sendable {
    /// Values per input row.
    var inputWidth: Int { get }
    var info: ModelInfo { get }
    /// One prediction per row; batch [n][inputWidth] → n predictions, in order.
    func predict(_ batch: [[Double]]) throws -> [Prediction]
}

/// A text model served by `POST /v1/generate`.
public protocol TextGenerating: Sendable {
    var info: ModelInfo { get }
    /// Checks a prompt before generation starts (so a streamed answer can
    /// still be refused with 400). Throws `ServingError.invalidInput`.
    func validate(prompt: String) throws
    /// Continues `prompt` by up to `maxTokens` tokens, calling `onToken` with
    /// each token's text as it is produced; returns the continuation.
    /// If `onToken` throws (the client went away), generation stops and the
    /// error propagates.
    func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                  onToken: (String) throws -> Void) throws -> String
}

extension TextGenerating {
    public func validate(prompt: String) throws {}
}

/// Errors the service answers with a status other than 500.
public enum ServingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The request is wrong (400).
    case invalidInput(String)
    /// A queue is full (503): the client should retry later.
    case overloaded(String)
    /// The server is shutting down (503).
    case stopping

    public var description: String {
        switch self {
        case .invalidInput(let message): return message
        case .overloaded(let message): return message
        case .stopping: return "the server is shutting down"
        }
    }
}
