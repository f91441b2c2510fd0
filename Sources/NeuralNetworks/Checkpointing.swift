// Saving and restoring a Sequential model's tensors: its parameters under
// their qualified names ("0.weight") and the non-trainable state some layers
// keep (batch normalisation's running statistics, "1.running_mean").

import BackpropCore
import Foundation

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

    /// A checkpoint of this model.
    public func checkpoint(model: String, config: [(String, JSONValue)] = []) -> Checkpoint {
        Checkpoint(model: model, config: config, tensors: namedTensors.map { ($0.name, $0.tensor.converted()) })
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
