// ModelInfo: what a loaded model says about itself: its checkpoint's model
// kind, its number of trainable scalars and its architecture config, as
// stored in the checkpoint. `GET /v1/model` answers with `json`:
//
//   {"kind": "mlp", "parameters": 85002, "config": {"inputs": 64, "hidden": [256, 256], …}}

import BackpropCore
import Storage

public struct ModelInfo: Sendable {
    /// "perceptron", "logistic", "mlp", "cnn", "char-rnn", "gpt"…
    public var kind: String
    public var parameterCount: Int
    /// Architecture settings, as in the checkpoint.
    public var config: [(String, JSONValue)]

    public init(kind: String, parameterCount: Int, config: [(String, JSONValue)] = []) {
        self.kind = kind
        self.parameterCount = parameterCount
        self.config = config
    }

    /// The kind and config a checkpoint stores, with the loaded model's parameter count.
    public init(checkpoint: Checkpoint, parameterCount: Int) {
        self.init(kind: checkpoint.kind, parameterCount: parameterCount, config: checkpoint.config)
    }

    public var json: JSONValue {
        .object([("kind", .string(kind)), ("parameters", .integer(parameterCount)), ("config", .object(config))])
    }
}
