// Saving and restoring a Sequential model's tensors: its parameters under
// their qualified names ("0.weight") and the non-trainable state some layers
// keep (batch normalisation's running statistics, "1.running_mean"); and the
// multilayer perceptron as a checkpoint model (the contract is
// Storage/CheckpointModel.swift), which records everything needed to rebuild
// it from the file alone.

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
    public func checkpoint(kind: String, config: [(String, JSONValue)] = [], metadata: [(String, JSONValue)] = []) -> Checkpoint {
        Checkpoint(kind: kind, config: config, metadata: metadata, dtype: .of(Scalar.self),
                   tensors: namedTensors.map { ($0.name, $0.tensor.converted()) })
    }

    /// Loads every tensor of this model from a checkpoint, checking names and
    /// shapes first so that a bad file changes nothing.
    /// - Throws: `CheckpointError` naming the missing or misshapen tensor.
    public func load(_ checkpoint: Checkpoint) throws {
        let wanted = namedTensors
        let values: [Tensor<Scalar>] = try wanted.map { try checkpoint.tensor($0.name, shape: $0.tensor.shape) }
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
    public init(checkpoint c: Checkpoint) throws {
        let name = try c.configString("activation")
        switch name {
        case "relu": self = .relu
        case "leaky-relu": self = .leakyRelu(slope: try c.configDouble("activation_slope"))
        case "sigmoid": self = .sigmoid
        case "tanh": self = .tanh
        case "exp": self = .exp
        case "gelu": self = .gelu
        case "gelu-tanh": self = .geluTanh
        default:
            throw CheckpointError.badConfig(path: c.path, key: "activation",
                                            reason: "is '\(name)'; known: relu, leaky-relu, sigmoid, tanh, exp, gelu, gelu-tanh")
        }
    }
}

/// A trained multilayer perceptron as a classifier: the network, its
/// architecture, its class names and the preprocessing its inputs need. This
/// is what a checkpoint of kind "mlp" holds.
///
///   kind    "mlp"
///   config  inputs, hidden [widths], outputs, activation (+ activation_slope
///           for leaky-relu), dropout, class_names, input_preprocessing
///   tensors "0.weight" [h₁, inputs], "0.bias" [h₁], … (f32), input.mean/std
public final class MLPClassifier: CheckpointModel, @unchecked Sendable {
    public static var checkpointKind: String { "mlp" }

    public let model: Sequential<Float>
    public let inputs: Int, hidden: [Int], outputs: Int
    public let activation: UnaryFunction
    public let dropout: Double
    public let classNames: [String]
    public let preprocessing: InputPreprocessing

    /// A network built by `MultilayerPerceptron.make` with these settings.
    public init(model: Sequential<Float>, inputs: Int, hidden: [Int], outputs: Int, activation: UnaryFunction, dropout: Double,
                classNames: [String], preprocessing: InputPreprocessing) {
        self.model = model
        self.inputs = inputs; self.hidden = hidden; self.outputs = outputs
        self.activation = activation; self.dropout = dropout
        self.classNames = classNames; self.preprocessing = preprocessing
    }

    public func checkpoint(metadata: [(String, JSONValue)] = []) -> Checkpoint {
        let config: [(String, JSONValue)] = [("inputs", .integer(inputs)), ("hidden", .array(hidden.map { .integer($0) })),
                                             ("outputs", .integer(outputs))]
            + activation.checkpointConfig
            + [("dropout", .number(dropout)), ("class_names", .array(classNames.map { .string($0) }))]
            + preprocessing.checkpointConfig
        var c = model.checkpoint(kind: Self.checkpointKind, config: config, metadata: metadata)
        c.tensors += preprocessing.checkpointTensors
        return c
    }

    /// Rebuilds an MLP from its checkpoint alone: architecture from the
    /// config (bounded by the stored tensors), then every tensor, checked.
    /// - Throws: `CheckpointError`; nothing is half-built.
    public convenience init(checkpoint c: Checkpoint) throws {
        try c.require(kind: Self.checkpointKind)
        let limit = max(c.storedScalarCount, 1)
        let inputs = try c.configInt("inputs", in: 1...limit)
        let hidden = try c.configInts("hidden", in: 1...limit)
        let outputs = try c.configInt("outputs", in: 1...limit)
        let widths = [inputs] + hidden + [outputs]
        var parameters: Int? = 0
        for (a, b) in zip(widths, widths.dropFirst()) {
            let (ab, o1) = b.multipliedReportingOverflow(by: a + 1)  // weights b·a + biases b
            let (sum, o2) = (parameters ?? 0).addingReportingOverflow(ab)
            parameters = o1 || o2 || parameters == nil ? nil : sum
        }
        try c.requireStored(parameters: parameters, key: "hidden")
        let activation = try UnaryFunction(checkpoint: c)
        let dropout = try c.configDropout()
        let classNames = try c.configStrings("class_names")
        guard classNames.count == outputs else {
            throw CheckpointError.badConfig(path: c.path, key: "class_names", reason: "names \(classNames.count) classes for \(outputs) outputs")
        }
        let preprocessing = try InputPreprocessing(checkpoint: c, inputs: inputs)
        let model: Sequential<Float> = try MultilayerPerceptron.make(inputs: inputs, hidden: hidden, outputs: outputs,
                                                                     activation: activation, dropout: dropout, seed: 0)
        try model.load(c)
        self.init(model: model, inputs: inputs, hidden: hidden, outputs: outputs, activation: activation, dropout: dropout,
                  classNames: classNames, preprocessing: preprocessing)
    }
}
