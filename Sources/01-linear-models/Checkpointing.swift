// Saving and restoring chapter 1's models. A classifier is stored as K rows
// of weights, one per binary model (K = 1 for two classes, K = classes for
// one-versus-rest), so the perceptron and logistic regression share a layout:
//
//   kind    "perceptron" | "logistic"
//   config  inputs, class_names, strategy ("binary" | "one-versus-rest"),
//           input_preprocessing (InputPreprocessing.swift)
//   tensors weight [K, d], bias [K] (f32), input.mean/input.std if standardised
//
// Linear regression: kind "linear", config inputs, tensors weight [1, d] and
// bias [1]. Restoring builds the same model types the training code used, so
// predictions after a reload are bit-identical.

import BackpropCore
import Datasets
import Storage

/// A binary linear model whose parameters are one weight row and one bias.
public protocol SavableLinearModel: BinaryLinearClassifier {
    /// The checkpoint kind of a classifier built from such models.
    static var checkpointKind: String { get }
    var weightRow: [Float] { get }
    var biasValue: Float { get }
    init(weightRow: [Float], bias: Float) throws
}

extension Perceptron: SavableLinearModel {
    public static var checkpointKind: String { "perceptron" }
    public var weightRow: [Float] { weights }
    public var biasValue: Float { bias }
    public init(weightRow: [Float], bias: Float) {
        self.init(features: weightRow.count)
        self.weights = weightRow
        self.bias = bias
    }
}

extension LogisticRegression: SavableLinearModel where T == Float {
    public static var checkpointKind: String { "logistic" }
    public var weightRow: [Float] { weight.scalars }
    public var biasValue: Float { bias.scalars[0] }
    public init(weightRow: [Float], bias: Float) throws {
        try self.init(features: weightRow.count)
        self.weight = try Tensor(shape: [1, weightRow.count], scalars: weightRow)
        self.bias = Tensor([bias])
    }
}

extension OneVersusRest {
    /// Wraps already trained binary models, one per class.
    public init(models: [Model]) {
        self.models = models
        self.histories = models.map { _ in [] }
    }
}

/// A restored chapter-1 classifier: either one binary model or one per class.
public enum LinearClassifierModels<Model: SavableLinearModel>: Sendable {
    case binary(Model)
    case oneVersusRest(OneVersusRest<Model>)
}

/// A trained chapter-1 classifier: one binary model for two classes, or one
/// per class (one-versus-rest), with its class names and the preprocessing
/// its inputs need. This is what a checkpoint of kind "perceptron" or
/// "logistic" holds.
public struct LinearClassifier<Model: SavableLinearModel>: CheckpointModel, Sendable {
    public let models: LinearClassifierModels<Model>
    public let classNames: [String]
    public let inputs: Int
    public let preprocessing: InputPreprocessing

    public static var checkpointKind: String { Model.checkpointKind }

    /// The binary models, one for two classes or one per class.
    public var binaryModels: [Model] {
        switch models {
        case .binary(let m): return [m]
        case .oneVersusRest(let o): return o.models
        }
    }

    /// Trained binary models: one for two classes, else one per class.
    /// - Throws: `TrainingError.invalidOption` for no models, or models of
    ///   different widths.
    public init(models: [Model], classNames: [String], preprocessing: InputPreprocessing) throws {
        guard let first = models.first, models.allSatisfy({ $0.weightRow.count == first.weightRow.count }) else {
            throw TrainingError.invalidOption(name: "models", value: "\(models.count)", reason: "needs at least one model, all of one width")
        }
        self.models = models.count == 1 ? .binary(first) : .oneVersusRest(OneVersusRest(models: models))
        self.classNames = classNames
        self.inputs = first.weightRow.count
        self.preprocessing = preprocessing
    }

    //   kind    "perceptron" | "logistic"
    //   config  inputs, class_names, strategy, input_preprocessing
    //   tensors weight [K, d], bias [K] (f32), input.mean/input.std if standardised
    public func checkpoint(metadata: [(String, JSONValue)] = []) throws -> Checkpoint {
        let rows = binaryModels
        let weight = try Tensor<Double>(shape: [rows.count, inputs], scalars: rows.flatMap { $0.weightRow.map(Double.init) })
        let bias = Tensor(rows.map { Double($0.biasValue) })
        let config: [(String, JSONValue)] = [
            ("inputs", .integer(inputs)), ("class_names", .array(classNames.map { .string($0) })),
            ("strategy", .string(rows.count == 1 ? "binary" : "one-versus-rest")),
        ] + preprocessing.checkpointConfig
        return Checkpoint(kind: Self.checkpointKind, config: config, metadata: metadata, dtype: .float32,
                          tensors: [("weight", weight), ("bias", bias)] + preprocessing.checkpointTensors)
    }

    public init(checkpoint c: Checkpoint) throws {
        try c.require(kind: Self.checkpointKind)
        let inputs = try c.configInt("inputs", in: 1...Int.max)
        let classNames = try c.configStrings("class_names")
        guard classNames.count >= 2 else {
            throw CheckpointError.badConfig(path: c.path, key: "class_names", reason: "must name at least two classes")
        }
        let strategy = try c.configString("strategy")
        let k: Int
        switch strategy {
        case "binary":
            guard classNames.count == 2 else {
                throw CheckpointError.badConfig(path: c.path, key: "class_names", reason: "must name two classes for a binary model")
            }
            k = 1
        case "one-versus-rest": k = classNames.count
        default: throw CheckpointError.badConfig(path: c.path, key: "strategy", reason: "is '\(strategy)'; known: binary, one-versus-rest")
        }
        // Shapes first (bounded by the file), then models.
        let weight: Tensor<Float> = try c.tensor("weight", shape: [k, inputs])
        let bias: Tensor<Float> = try c.tensor("bias", shape: [k])
        let preprocessing = try InputPreprocessing(checkpoint: c, inputs: inputs)
        let models = try (0..<k).map { r in
            try Model(weightRow: Array(weight.scalars[(r * inputs)..<((r + 1) * inputs)]), bias: bias.scalars[r])
        }
        self.models = k == 1 ? .binary(models[0]) : .oneVersusRest(OneVersusRest(models: models))
        self.classNames = classNames
        self.inputs = inputs
        self.preprocessing = preprocessing
    }
}

// Linear regression: kind "linear", config inputs and outputs (1), tensors
// weight [1, d] and bias [1] (f32).
extension LinearRegression: CheckpointModel where T == Float {
    public static var checkpointKind: String { "linear" }

    public func checkpoint(metadata: [(String, JSONValue)] = []) -> Checkpoint {
        Checkpoint(kind: Self.checkpointKind, config: [("inputs", .integer(weight.shape[1])), ("outputs", .integer(1))],
                   metadata: metadata, dtype: .float32,
                   tensors: [("weight", weight.converted()), ("bias", bias.converted())])
    }

    public init(checkpoint c: Checkpoint) throws {
        try c.require(kind: Self.checkpointKind)
        let inputs = try c.configInt("inputs", in: 1...Int.max)
        let weight: Tensor<Float> = try c.tensor("weight", shape: [1, inputs])
        let bias: Tensor<Float> = try c.tensor("bias", shape: [1])
        try self.init(features: inputs)
        self.weight = weight
        self.bias = bias
    }
}
