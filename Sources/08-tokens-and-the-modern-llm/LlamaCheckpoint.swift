// Saving and loading the Llama-style model: kind "llama". The config holds
// the sizes (vocabulary_size, context, layers, width, heads, kv_heads,
// hidden, tied_head, rope_base, epsilon), the architecture's switches
// (positions "rope" | "learned", mlp "swiglu" | "gelu", norm "rmsnorm" |
// "layernorm"; LlamaVariants.swift) and the tokenizer the model was trained
// with, so a checkpoint alone can encode a prompt and decode a sample:
//
//   tokenizer  "bpe"   a BPE trained here; its merges embedded as "bpe", the
//                      text of BPEFile.swift (`backprop tokenize --tokenizer PATH` reads the same)
//              "gpt2"  GPT-2's tokenizer from the bundled encoder.json and vocab.bpe
//              "chars" one token per character; the characters, in id order, as "characters"
//              "none"  ids only (a model built in a test)
//
// Checkpoints written before the switches existed have none of the three
// keys: each missing key is the default (RoPE, SwiGLU, RMSNorm), which is
// what those models are. A present key with an unknown value is an error.
//
// Tensors are the parameters under Hugging Face's names, as Double (Float
// values round-trip bit for bit). Loading checks the kind, bounds every
// size by the scalars the file stores before anything is allocated (a
// corrupted width cannot ask for gigabytes), builds the config (heads must
// divide the width into even head widths, kv heads must divide the heads),
// checks that the tokenizer has exactly V ids, and checks every tensor's
// shape; every error is a `CheckpointError` naming the file.

import BackpropCore
import Backpropagation
import Foundation
import RecurrentNetworks
import Storage

/// The tokenizer a Llama checkpoint records.
public enum LlamaTokenizer: Sendable, Equatable {
    /// GPT-2's, from the bundled files (50,257 ids).
    case gpt2
    /// A byte-level BPE trained for the model.
    case bpe(BPETokenizer)
    /// One token per character (the ablation's character tokens).
    case characters(CharacterTokenizer)

    /// The tokenizer itself.
    public func make() throws -> any TextTokenizer {
        switch self {
        case .gpt2: return try GPT2Tokenizer.bundled()
        case .bpe(let bpe): return bpe
        case .characters(let chars): return chars
        }
    }

    /// GPT-2's ids: 50,000 merges, 256 bytes and <|endoftext|> (checked against the bundled files in a test).
    public static let gpt2VocabularySize = 50_257

    public var name: String {
        switch self {
        case .gpt2: return "gpt2"
        case .bpe(let b): return "bpe \(b.vocabularySize)"
        case .characters(let c): return "chars \(c.vocabularySize)"
        }
    }

    /// The number of ids.
    public var vocabularySize: Int {
        switch self {
        case .gpt2: return Self.gpt2VocabularySize
        case .bpe(let b): return b.vocabularySize
        case .characters(let c): return c.vocabularySize
        }
    }
}

extension Llama: CheckpointModel {
    public static var checkpointKind: String { "llama" }

    /// The model's sizes, tokenizer and parameters.
    public func checkpoint(metadata: [(String, JSONValue)] = []) -> Checkpoint {
        let c = config
        var entries: [(String, JSONValue)] = [
            ("vocabulary_size", .integer(c.vocabularySize)), ("context", .integer(c.context)), ("layers", .integer(c.layers)),
            ("width", .integer(c.width)), ("heads", .integer(c.heads)), ("kv_heads", .integer(c.kvHeads)),
            ("hidden", .integer(c.hidden)), ("tied_head", .bool(c.tiedHead)), ("rope_base", .number(c.ropeBase)),
            ("epsilon", .number(c.epsilon)), ("positions", .string(c.architecture.positions.rawValue)),
            ("mlp", .string(c.architecture.mlp.rawValue)), ("norm", .string(c.architecture.norm.rawValue)),
        ]
        switch tokenizer {
        case nil: entries.append(("tokenizer", .string("none")))
        case .gpt2: entries.append(("tokenizer", .string("gpt2")))
        case .bpe(let bpe): entries += [("tokenizer", .string("bpe")), ("bpe", .string(bpe.fileText()))]
        case .characters(let chars): entries += [("tokenizer", .string("chars")), ("characters", .string(chars.vocabulary.string))]
        }
        return Checkpoint(kind: Self.checkpointKind, config: entries, metadata: metadata,
                          tensors: namedParameters.map { ($0.name, $0.parameter.value.converted()) })
    }

    /// `init(checkpoint:backend:)` on the SIMD backend (chapter 9's server).
    public convenience init(checkpoint: Checkpoint) throws {
        try self.init(checkpoint: checkpoint, backend: .simd)
    }

    /// Rebuilds a model from `checkpoint()`'s output.
    /// - Throws: `CheckpointError` naming the file: another kind, a missing
    ///   or invalid config entry (sizes beyond what the file stores
    ///   included), a tokenizer that does not fit, a missing or misshapen tensor.
    public convenience init(checkpoint c: Checkpoint, backend: Backend) throws {
        try c.require(kind: Self.checkpointKind)
        let limit = max(c.storedScalarCount, 1)
        let v = try c.configInt("vocabulary_size", in: 1...limit), context = try c.configInt("context", in: 1...limit)
        let layers = try c.configInt("layers", in: 1...limit), width = try c.configInt("width", in: 1...limit)
        let heads = try c.configInt("heads", in: 1...limit), kvHeads = try c.configInt("kv_heads", in: 1...limit)
        let hidden = try c.configInt("hidden", in: 1...limit), tied = try c.configBool("tied_head")
        let base = try c.configDouble("rope_base"), epsilon = try c.configDouble("epsilon")
        let architecture = LlamaArchitecture(positions: try Self.option(c, default: .rope), mlp: try Self.option(c, default: .swiglu),
                                             norm: try Self.option(c, default: .rmsnorm))
        // LlamaConfig.parameterCount in Double (a corrupted size cannot overflow), with H·d = C
        // and H_kv·d = C·H_kv/H: only then is anything allocated.
        let (cw, l, vv) = (Double(width), Double(layers), Double(v))
        let norm = Double(architecture.norm.parameters(width: 1)) * cw, mlp = Double(architecture.mlp.weights(width: 1, hidden: 1))
        let block = 2 * norm + 2 * cw * cw + 2 * cw * cw * Double(kvHeads) / Double(heads) + mlp * cw * Double(hidden)
        let positions = architecture.positions == .learned ? Double(context) * cw : 0
        let size = vv * cw * (tied ? 1 : 2) + positions + l * block + norm
        try c.requireStored(parameters: size <= Double(limit) ? Int(size) : nil, key: "width")
        // RoPE's tables cover the context: bound it by the stored scalars too (it allocates context·d/2 of each).
        try c.requireStored(parameters: context <= limit / 2 ? 0 : nil, key: "context")
        let config: LlamaConfig
        do {
            config = try LlamaConfig(vocabularySize: v, context: context, layers: layers, width: width, heads: heads, kvHeads: kvHeads,
                                     hidden: hidden, tiedHead: tied, ropeBase: base, epsilon: epsilon, architecture: architecture)
        } catch {
            throw CheckpointError.badConfig(path: c.path, key: "config", reason: "does not describe a Llama: \(error)")
        }
        let recorded: LlamaTokenizer?
        switch try c.configString("tokenizer") {
        case "none": recorded = nil
        case "gpt2": recorded = .gpt2
        case "bpe":
            do { recorded = .bpe(try BPETokenizer.parse(try c.configString("bpe"), path: c.path + " (config 'bpe')")) } catch let e as CheckpointError {
                throw e
            } catch {
                throw CheckpointError.badConfig(path: c.path, key: "bpe", reason: "is not a BPE tokenizer: \(error)")
            }
        case "chars":
            do {
                recorded = .characters(CharacterTokenizer(vocabulary: try CharacterVocabulary(characters: Array(try c.configString("characters")))))
            } catch let e as CheckpointError {
                throw e
            } catch {
                throw CheckpointError.badConfig(path: c.path, key: "characters", reason: "is not a character vocabulary: \(error)")
            }
        case let other:
            throw CheckpointError.badConfig(path: c.path, key: "tokenizer",
                                            reason: "must be \"bpe\", \"gpt2\", \"chars\" or \"none\", not \"\(other)\"")
        }
        if let recorded {
            let ids = recorded.vocabularySize
            guard ids == v else {
                throw CheckpointError.badConfig(path: c.path, key: "tokenizer",
                                                reason: "has \(ids) ids but the model's vocabulary_size is \(v)")
            }
        }
        try self.init(config: config, seed: 0, backend: backend)
        tokenizer = recorded
        let wanted = namedParameters
        let values: [Tensor<Scalar>] = try wanted.map { try c.tensor($0.name, shape: $0.parameter.value.shape) }
        for (p, value) in zip(wanted, values) { p.parameter.value = value }
    }

    /// The switch `O` from the config, or `fallback` when the key is absent (a checkpoint from before the switches).
    static func option<O: LlamaOption>(_ c: Checkpoint, default fallback: O) throws -> O {
        guard c.configValue(O.optionName) != nil else { return fallback }
        let name = try c.configString(O.optionName)
        guard let value = O(rawValue: name) else {
            throw CheckpointError.badConfig(path: c.path, key: O.optionName,
                                            reason: "must be one of " + O.names.map { "\"\($0)\"" }.joined(separator: ", ") + ", not \"\(name)\"")
        }
        return value
    }
}
