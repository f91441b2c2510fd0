// Saving and restoring a Sequential model's tensors: its parameters under
// their qualified names ("0.weight") and the non-trainable state some layers
// keep (batch normalisation's running statistics, "1.running_mean"), and the
// multilayer perceptron's checkpoint, which records everything needed to
// rebuild it from the file alone:
//
//   model   "mlp"
//   config  inputs, hidden [widths], outputs, activation (+ activation_slope
//           for leaky-relu), dropout, class_names, input_preprocessing
//   tensors "0.weight" [h₁, inputs], "0.bias" [h₁], … (f32), input.mean/std

import BackpropCore
import Datasets
import Foundation
import Storage

/// A layer with tensors that are not trained by gradients but must be saved
/// (e.g. running statistics).
/// State travels as Double, which holds Float values exactly.
public protocol StatefulLayer: AnyObject {
    /// The state tensors by name.
    var state: [(name: String, tensor: Tensor<Double>)] { get }
    /// Replaces one state tensor (same shape).
    func setState(_ name: String, _ tensor: Tensor<Double>) throws
}

extension Sequential {
    /// Every tensor to save: parameters, then layer state, with qualified names.
    public var namedTensors: [(name: String, tensor: Tensor<Scalar>)] {
        var out = namedParameters.map { (name: $0.name, tensor: $0.parameter.value) }
        for (i, layer) in layers.enumerated() {
            if let s = layer as? any StatefulLayer { out += s.state.map { ("\(i).\($0.name)", $0.tensor.converted()) } }
        }
        return out
    }

    /// A checkpoint of this model, its tensors stored in the model's own
    /// precision (f32 for Float models).
    public func checkpoint(model: String, config: [(String, JSONValue)] = [], metadata: [(String, JSONValue)] = []) -> Checkpoint {
        Checkpoint(model: model, config: config, metadata: metadata, dtype: .of(Scalar.self),
                   tensors: namedTensors.map { ($0.name, $0.tensor.converted()) })
    }

    /// Loads every tensor of this model from a checkpoint, checking names and
    /// shapes first so that a bad file changes nothing.
    /// - Throws: `CheckpointError` naming the missing or misshapen tensor.
    public func load(_ checkpoint: Checkpoint, path: String = "") throws {
        let wanted = namedTensors
        let values: [Tensor<Scalar>] = try wanted.map { try checkpoint.tensor($0.name, shape: $0.tensor.shape, path: path) }
        for ((name, _), value) in zip(wanted, values) {
            if let p = parameter(named: name) {
                p.value = value
            } else {
                let dot = name.firstIndex(of: ".")!
                let index = Int(name[..<dot])!
                let layer = layers[index] as! any StatefulLayer
                try layer.setState(String(name[name.index(after: dot)...]), value.converted())
            }
        }
    }
}

extension UnaryFunction {
    /// The name stored in checkpoints (and accepted by `train mlp --activation`).
    public var checkpointName: String {
        switch self {
        case .relu: return "relu"
        case .leakyRelu: return "leaky-relu"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .exp: return "exp"
        case .gelu: return "gelu"
        case .geluTanh: return "gelu-tanh"
        }
    }

    /// Config entries for an activation (the leaky slope too).
    public var checkpointConfig: [(String, JSONValue)] {
        if case .leakyRelu(let slope) = self { return [("activation", .string(checkpointName)), ("activation_slope", .number(slope))] }
        return [("activation", .string(checkpointName))]
    }

    /// The activation a checkpoint's config names.
    public init(checkpoint c: Checkpoint, path: String = "") throws {
        let name = try c.configString("activation", path: path)
        switch name {
        case "relu": self = .relu
        case "leaky-relu": self = .leakyRelu(slope: try c.configDouble("activation_slope", path: path))
        case "sigmoid": self = .sigmoid
        case "tanh": self = .tanh
        case "exp": self = .exp
        case "gelu": self = .gelu
        case "gelu-tanh": self = .geluTanh
        default:
            throw CheckpointError.badConfig(path: path, key: "activation",
                                            reason: "is '\(name)'; known: relu, leaky-relu, sigmoid, tanh, exp, gelu, gelu-tanh")
        }
    }
}

extension MultilayerPerceptron {
    /// A checkpoint of an MLP built by `make`, with its class names and preprocessing.
    public static func checkpoint(
        _ model: Sequential<Float>, inputs: Int, hidden: [Int], outputs: Int, activation: UnaryFunction, dropout: Double,
        classNames: [String], preprocessing: InputPreprocessing, metadata: [(String, JSONValue)] = []
    ) -> Checkpoint {
        let config: [(String, JSONValue)] = [("inputs", .integer(inputs)), ("hidden", .array(hidden.map { .integer($0) })),
                                             ("outputs", .integer(outputs))]
            + activation.checkpointConfig
            + [("dropout", .number(dropout)), ("class_names", .array(classNames.map { .string($0) }))]
            + preprocessing.checkpointConfig
        var c = model.checkpoint(model: "mlp", config: config, metadata: metadata)
        c.tensors += preprocessing.checkpointTensors
        return c
    }

    /// Rebuilds an MLP from its checkpoint alone: architecture from the
    /// config (bounded by the stored tensors), then every tensor, checked.
    /// - Throws: `CheckpointError`; nothing is half-built.
    public static func restore(_ c: Checkpoint, path: String = "") throws -> (model: Sequential<Float>, inputs: Int, classNames: [String], preprocessing: InputPreprocessing) {
        try c.require(model: "mlp", path: path)
        let limit = max(c.storedScalarCount, 1)
        let inputs = try c.configInt("inputs", in: 1...limit, path: path)
        let hidden = try c.configInts("hidden", in: 1...limit, path: path)
        let outputs = try c.configInt("outputs", in: 1...limit, path: path)
        let widths = [inputs] + hidden + [outputs]
        var parameters: Int? = 0
        for (a, b) in zip(widths, widths.dropFirst()) {
            let (ab, o1) = b.multipliedReportingOverflow(by: a + 1)  // weights b·a + biases b
            let (sum, o2) = (parameters ?? 0).addingReportingOverflow(ab)
            parameters = o1 || o2 || parameters == nil ? nil : sum
        }
        try c.requireStored(parameters: parameters, key: "hidden", path: path)
        let activation = try UnaryFunction(checkpoint: c, path: path)
        let dropout = try c.configDropout(path: path)
        let classNames = try c.configStrings("class_names", path: path)
        guard classNames.count == outputs else {
            throw CheckpointError.badConfig(path: path, key: "class_names", reason: "names \(classNames.count) classes for \(outputs) outputs")
        }
        let preprocessing = try InputPreprocessing(checkpoint: c, inputs: inputs, path: path)
        let model: Sequential<Float> = try make(inputs: inputs, hidden: hidden, outputs: outputs, activation: activation,
                                                dropout: dropout, seed: 0)
        try model.load(c, path: path)
        return (model, inputs, classNames, preprocessing)
    }
}
