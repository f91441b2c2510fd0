// Classifier: what offline inference (`backprop predict`) and the service
// (`POST /v1/predict`) ask of any trained classifier, whatever chapter it
// comes from. `predict` takes raw inputs (one row per example, as a user
// would send them), checks their width, applies the preprocessing saved with
// the model (standardisation, pixel scaling), runs one batched forward pass
// in inference mode (dropout off, batch norm on its running statistics) and
// returns, per row, the class, its name and a probability per class.
//
//   inputs [n][d] → preprocess → model → scores [n, K] → class, probabilities
//
// Threads: the service calls `predict` from several batch workers at once.
// A forward pass in inference mode only reads the weights, so conformers
// keep no per-call state in shared properties (and a served model must not
// be trained at the same time).

import BackpropCore
import Foundation

/// One row's answer.
public struct ClassPrediction: Sendable, Equatable {
    /// The predicted class index.
    public var `class`: Int
    /// The class's name, if the model knows it.
    public var label: String?
    /// One probability per class, summing to 1.
    public var probabilities: [Double]

    public init(class k: Int, label: String?, probabilities: [Double]) {
        self.class = k
        self.label = label
        self.probabilities = probabilities
    }

    /// False when the model's scores overflowed (probabilities NaN): the
    /// answer is meaningless and must not be sent (`InferenceError.nonFiniteOutput`).
    public var isFinite: Bool { !probabilities.isEmpty && probabilities.allSatisfy(\.isFinite) }

    /// The answer as JSON fields, as the service sends it and `backprop
    /// predict --json` prints it: "label" only when the model names its classes.
    public var jsonFields: [(String, JSONValue)] {
        [("class", .integer(`class`))] + (label.map { [("label", .string($0))] } ?? [])
            + [("probabilities", .array(probabilities.map { .number($0) }))]
    }
}

/// Why a model could not run on the inputs it was given.
public enum InferenceError: Error, CustomStringConvertible, Equatable, Sendable {
    case wrongWidth(row: Int, expected: Int, got: Int)
    case nonFiniteInput(row: Int, column: Int)
    /// Every input was finite, but the model's scores were not (they overflowed Float).
    case nonFiniteOutput(row: Int)
    /// A text generator cannot continue this prompt (empty, unknown characters…).
    case invalidPrompt(String)

    /// The problem without the row number (for messages that name the row their own way).
    public var reason: String {
        switch self {
        case .nonFiniteOutput:
            return "the model's scores are not finite (they overflow 32-bit floats: the values are far outside the range "
                + "the model was trained on), so no class or probabilities can be given"
        default: return description
        }
    }

    public var description: String {
        switch self {
        case let .wrongWidth(row, expected, got):
            return "input \(row) has \(got) values; the model expects \(expected)"
        case let .nonFiniteInput(row, column):
            return "input \(row), value \(column) is not a finite number (as a 32-bit float)"
        case let .nonFiniteOutput(row):
            return "input \(row): \(reason)"
        case let .invalidPrompt(reason):
            return reason
        }
    }
}

/// A trained classifier ready to serve.
public protocol Classifier: Sendable {
    /// Kind ("mlp", "cnn", "logistic", "perceptron"), parameter count and config.
    var info: ModelInfo { get }
    /// Values per input row.
    var inputWidth: Int { get }
    /// Class names, indexed by class.
    var classNames: [String] { get }
    /// Predictions for a batch of raw inputs, in one forward pass.
    /// - Throws: `InferenceError` for a row of the wrong width or a non-finite value.
    func predict(_ inputs: [[Double]]) throws -> [ClassPrediction]
}

enum InferenceInput {
    /// Rows → a Float matrix [n, width], checked.
    static func matrix(_ inputs: [[Double]], width: Int) throws -> Tensor<Float> {
        var scalars: [Float] = []
        scalars.reserveCapacity(inputs.count * width)
        for (r, row) in inputs.enumerated() {
            guard row.count == width else { throw InferenceError.wrongWidth(row: r, expected: width, got: row.count) }
            for (c, x) in row.enumerated() {
                let f = Float(x)
                guard f.isFinite else { throw InferenceError.nonFiniteInput(row: r, column: c) }
                scalars.append(f)
            }
        }
        return try Tensor(shape: [inputs.count, width], scalars: scalars)
    }

    /// softmax of one row of scores, computed in Double (max subtracted first).
    static func softmax<S: Sequence>(_ scores: S) -> [Double] where S.Element == Float {
        let z = scores.map(Double.init)
        let m = z.max() ?? 0
        let e = z.map { Foundation.exp($0 - m) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }

    /// The index of the first largest score.
    static func argmax<C: Collection>(_ scores: C) -> Int where C.Element == Float, C.Index == Int {
        var best = scores.startIndex
        for i in scores.indices where scores[i] > scores[best] { best = i }
        return best - scores.startIndex
    }
}
