// ModelInfo: what a loaded model says about itself: its checkpoint's model
// kind, its number of trainable scalars and its architecture config, as
// stored in the checkpoint. `GET /v1/model` answers with `json`:
//
//   {"kind": "mlp", "parameters": 85002, "config": {"inputs": 64, "hidden": [256, 256], …}}
//
// A model served with quantized weights (`serve --quantize int8`) adds
// "quantization": {"scheme": "int8", "weight_bytes": …, "float32_weight_bytes": …}.

import BackpropCore
import Storage

public struct ModelInfo: Sendable {
    /// "perceptron", "logistic", "mlp", "cnn", "char-rnn", "gpt"…
    public var kind: String
    public var parameterCount: Int
    /// Architecture settings, as in the checkpoint.
    public var config: [(String, JSONValue)]
    /// How the weights are stored when not all float32 (nil: float32).
    public var quantization: Quantization?

    /// Quantized weights: the scheme and the bytes they take, against float32.
    public struct Quantization: Sendable {
        public var scheme: String
        public var weightBytes: Int
        public var floatWeightBytes: Int
        public init(scheme: String, weightBytes: Int, floatWeightBytes: Int) {
            (self.scheme, self.weightBytes, self.floatWeightBytes) = (scheme, weightBytes, floatWeightBytes)
        }
    }

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
        var fields: [(String, JSONValue)] = [("kind", .string(kind)), ("parameters", .integer(parameterCount)), ("config", .object(config))]
        if let q = quantization {
            fields.append(("quantization", .object([("scheme", .string(q.scheme)), ("weight_bytes", .integer(q.weightBytes)),
                                                    ("float32_weight_bytes", .integer(q.floatWeightBytes))])))
        }
        return .object(fields)
    }
}
