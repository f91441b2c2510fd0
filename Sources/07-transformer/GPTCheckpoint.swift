// Saving and loading a GPT: model kind "gpt"; the config holds the sizes and
// the vocabulary (its characters in token order), so a checkpoint alone can
// rebuild the model, encode a prompt and decode a sample. Tensors are the
// parameters under their PyTorch-like names (GPT.namedParameters), as Double,
// which holds Float values exactly: a Float model round-trips bit for bit.

import BackpropCore
import Storage
import Backpropagation
import RecurrentNetworks

extension GPT {
    public static var checkpointKind: String { "gpt" }

    /// The model's sizes, vocabulary and parameters.
    public func checkpoint() -> Checkpoint {
        Checkpoint(model: Self.checkpointKind, config: [
            ("vocabulary", .string(config.vocabulary.string)), ("context", .integer(config.context)),
            ("layers", .integer(config.layers)), ("heads", .integer(config.heads)),
            ("width", .integer(config.width)), ("dropout", .number(config.dropout)), ("bias", .bool(config.bias)),
        ], tensors: namedParameters.map { ($0.name, $0.parameter.value.converted()) })
    }

    /// Rebuilds a model from `checkpoint()`'s output.
    /// - Throws: `CheckpointError` for another model kind, a missing or
    ///   misshapen tensor, or a missing or invalid config entry.
    public convenience init(checkpoint: Checkpoint, backend: Backend = .simd) throws {
        guard checkpoint.model == Self.checkpointKind else {
            throw CheckpointError.malformed(path: "", reason: "the checkpoint holds a '\(checkpoint.model)' model, not a 'gpt'")
        }
        func entry(_ name: String) throws -> JSONValue {
            guard let v = checkpoint.config.first(where: { $0.0 == name })?.1 else {
                throw CheckpointError.malformed(path: "", reason: "the config has no '\(name)'")
            }
            return v
        }
        func integer(_ name: String) throws -> Int {
            switch try entry(name) {
            case .integer(let i): return i
            case .number(let x) where x == x.rounded() && abs(x) < 1e9: return Int(x)
            default: throw CheckpointError.malformed(path: "", reason: "config '\(name)' must be a whole number")
            }
        }
        guard case .string(let characters) = try entry("vocabulary") else {
            throw CheckpointError.malformed(path: "", reason: "config 'vocabulary' must be a string")
        }
        var dropout = 0.0
        if case .number(let p)? = checkpoint.config.first(where: { $0.0 == "dropout" })?.1 { dropout = p }
        var bias = true                        // checkpoints written before the option existed have biases
        switch checkpoint.config.first(where: { $0.0 == "bias" })?.1 {
        case nil: break
        case .bool(let b)?: bias = b
        default: throw CheckpointError.malformed(path: "", reason: "config 'bias' must be true or false")
        }
        let config = try GPTConfig(
            vocabulary: try CharacterVocabulary(characters: Array(characters)), context: try integer("context"),
            layers: try integer("layers"), heads: try integer("heads"), width: try integer("width"), dropout: dropout, bias: bias)
        try self.init(config: config, seed: 0, backend: backend)
        let wanted = namedParameters
        let values: [Tensor<Scalar>] = try wanted.map { try checkpoint.tensor($0.name, shape: $0.parameter.value.shape) }
        for (p, v) in zip(wanted, values) { p.parameter.value = v }
    }

    /// `init(checkpoint:backend:)` with the SIMD kernels (chapter 9's server).
    public convenience init(checkpoint: Checkpoint) throws {
        try self.init(checkpoint: checkpoint, backend: .simd)
    }
}
