// Saving and loading a GPT: model kind "gpt"; the config holds the sizes and
// the vocabulary (its characters in token order), so a checkpoint alone can
// rebuild the model, encode a prompt and decode a sample. Tensors are the
// parameters under their PyTorch-like names (GPT.namedParameters), as Double,
// which holds Float values exactly: a Float model round-trips bit for bit.

import BackpropCore
import Storage
import Backpropagation
import RecurrentNetworks

extension GPT: CheckpointModel {
    public static var checkpointKind: String { "gpt" }

    /// The model's sizes, vocabulary and parameters.
    public func checkpoint(metadata: [(String, JSONValue)] = []) -> Checkpoint {
        Checkpoint(kind: Self.checkpointKind, config: [
            ("vocabulary", .string(config.vocabulary.string)), ("context", .integer(config.context)),
            ("layers", .integer(config.layers)), ("heads", .integer(config.heads)),
            ("width", .integer(config.width)), ("dropout", .number(config.dropout)), ("bias", .bool(config.bias)),
        ], metadata: metadata, tensors: namedParameters.map { ($0.name, $0.parameter.value.converted()) })
    }

    /// `init(checkpoint:backend:)` on the SIMD backend (chapter 9's server).
    public convenience init(checkpoint: Checkpoint) throws {
        try self.init(checkpoint: checkpoint, backend: .simd)
    }

    /// Rebuilds a model from `checkpoint()`'s output.
    /// - Throws: `CheckpointError` naming the file: another model kind, a
    ///   missing or invalid config entry, a missing or misshapen tensor.
    public convenience init(checkpoint c: Checkpoint, backend: Backend) throws {
        try c.require(kind: Self.checkpointKind)
        let characters = try c.configString("vocabulary")
        let limit = max(c.storedScalarCount, 1)
        let dropout = c.configValue("dropout") == nil ? 0 : try c.configDropout()
        let bias = c.configValue("bias") == nil ? true : try c.configBool("bias")  // files from before the option have biases
        let (context, layers) = (try c.configInt("context", in: 1...limit), try c.configInt("layers", in: 1...limit))
        let (heads, width) = (try c.configInt("heads", in: 1...limit), try c.configInt("width", in: 1...limit))
        // GPTConfig.parameterCount without biases (the smaller count), in
        // Double so that a corrupted size cannot overflow.
        let (w, l) = (Double(width), Double(layers))
        let size = Double(characters.count + context) * w + l * (12 * w * w + 2 * w) + w
        try c.requireStored(parameters: size <= Double(limit) ? 0 : nil, key: "width")
        let config: GPTConfig
        do {
            config = try GPTConfig(vocabulary: try CharacterVocabulary(characters: Array(characters)), context: context,
                                   layers: layers, heads: heads, width: width, dropout: dropout, bias: bias)
        } catch {
            throw CheckpointError.badConfig(path: c.path, key: "config", reason: "does not describe a GPT: \(error)")
        }
        try self.init(config: config, seed: 0, backend: backend)
        let wanted = namedParameters
        let values: [Tensor<Scalar>] = try wanted.map { try c.tensor($0.name, shape: $0.parameter.value.shape) }
        for (p, v) in zip(wanted, values) { p.parameter.value = v }
    }
}
