// Saving and restoring chapter 1's models. A classifier is stored as K rows
// of weights, one per binary model (K = 1 for two classes, K = classes for
// one-versus-rest), so the perceptron and logistic regression share a layout:
//
//   model   "perceptron" | "logistic"
//   config  inputs, class_names, strategy ("binary" | "one-versus-rest"),
//           input_preprocessing (InputPreprocessing.swift)
//   tensors weight [K, d], bias [K] (f32), input.mean/input.std if standardised
//
// Linear regression: model "linear", config inputs, tensors weight [1, d] and
// bias [1]. Restoring builds the same model types the training code used, so
// predictions after a reload are bit-identical.

import BackpropCore
import Datasets
import Storage

/// A binary linear model whose parameters are one weight row and one bias.
public protocol SavableLinearModel: BinaryLinearClassifier {
    /// The checkpoint's model kind.
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

public enum LinearCheckpoint {
    /// A checkpoint of binary models (one for two classes, else one per class).
    public static func make<M: SavableLinearModel>(
        _ models: [M], classNames: [String], preprocessing: InputPreprocessing, metadata: [(String, JSONValue)] = []
    ) throws -> Checkpoint {
        let d = models.first?.weightRow.count ?? 0
        let weight = try Tensor<Double>(shape: [models.count, d], scalars: models.flatMap { $0.weightRow.map(Double.init) })
        let bias = Tensor(models.map { Double($0.biasValue) })
        let config: [(String, JSONValue)] = [
            ("inputs", .integer(d)), ("class_names", .array(classNames.map { .string($0) })),
            ("strategy", .string(models.count == 1 ? "binary" : "one-versus-rest")),
        ] + preprocessing.checkpointConfig
        return Checkpoint(model: M.checkpointKind, config: config, metadata: metadata, dtype: .float32,
                          tensors: [("weight", weight), ("bias", bias)] + preprocessing.checkpointTensors)
    }

    /// Restores the classifier saved by `make`.
    /// - Throws: `CheckpointError` naming what does not fit.
    public static func classifier<M: SavableLinearModel>(
        _ c: Checkpoint, as: M.Type = M.self, path: String = ""
    ) throws -> (models: LinearClassifierModels<M>, classNames: [String], inputs: Int, preprocessing: InputPreprocessing) {
        try c.require(model: M.checkpointKind, path: path)
        let inputs = try c.configInt("inputs", in: 1...Int.max, path: path)
        let classNames = try c.configStrings("class_names", path: path)
        guard classNames.count >= 2 else {
            throw CheckpointError.badConfig(path: path, key: "class_names", reason: "must name at least two classes")
        }
        let strategy = try c.configString("strategy", path: path)
        let k: Int
        switch strategy {
        case "binary":
            guard classNames.count == 2 else {
                throw CheckpointError.badConfig(path: path, key: "class_names", reason: "must name two classes for a binary model")
            }
            k = 1
        case "one-versus-rest": k = classNames.count
        default: throw CheckpointError.badConfig(path: path, key: "strategy", reason: "is '\(strategy)'; known: binary, one-versus-rest")
        }
        // Shapes first (bounded by the file), then models.
        let weight: Tensor<Float> = try c.tensor("weight", shape: [k, inputs], path: path)
        let bias: Tensor<Float> = try c.tensor("bias", shape: [k], path: path)
        let preprocessing = try InputPreprocessing(checkpoint: c, inputs: inputs, path: path)
        let models = try (0..<k).map { r in
            try M(weightRow: Array(weight.scalars[(r * inputs)..<((r + 1) * inputs)]), bias: bias.scalars[r])
        }
        return (k == 1 ? .binary(models[0]) : .oneVersusRest(OneVersusRest(models: models)), classNames, inputs, preprocessing)
    }

    /// A checkpoint of a linear regression (model "linear").
    public static func make(_ model: LinearRegression<Float>, metadata: [(String, JSONValue)] = []) -> Checkpoint {
        Checkpoint(model: "linear", config: [("inputs", .integer(model.weight.shape[1])), ("outputs", .integer(1))],
                   metadata: metadata, dtype: .float32,
                   tensors: [("weight", model.weight.converted()), ("bias", model.bias.converted())])
    }

    /// Restores a linear regression.
    public static func linearRegression(_ c: Checkpoint, path: String = "") throws -> LinearRegression<Float> {
        try c.require(model: "linear", path: path)
        let inputs = try c.configInt("inputs", in: 1...Int.max, path: path)
        let weight: Tensor<Float> = try c.tensor("weight", shape: [1, inputs], path: path)
        let bias: Tensor<Float> = try c.tensor("bias", shape: [1], path: path)
        var model = try LinearRegression<Float>(features: inputs)
        model.weight = weight
        model.bias = bias
        return model
    }
}
