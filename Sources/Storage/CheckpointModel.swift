// The checkpoint contract: every model that can be saved says what kind it
// is, writes its tensors and the config needed to rebuild it, and validates
// both when it is read back, with the file's path in every error.
//
//   save   model.checkpoint(metadata:) → Checkpoint(kind, config, tensors) → file (atomic)
//   load   file → Checkpoint (format, CRC and tensor bounds checked by CheckpointReader)
//               → Model(checkpoint:)   kind, config ranges and every tensor's shape checked
//                                      before anything is built; errors carry checkpoint.path
//
// Chapter 9 ("Saving a model") explains the format; its serving registry is a
// list of these types (ModelRegistry.swift).

import BackpropCore
import Foundation

/// A model that saves itself to a checkpoint and rebuilds itself from one.
public protocol CheckpointModel: SendableMetatype {
    /// The kind written in the file and checked on load ("mlp", "gpt", …).
    static var checkpointKind: String { get }

    /// The model's tensors and config, plus `metadata` (how it was trained).
    func checkpoint(metadata: [(String, JSONValue)]) throws -> Checkpoint

    /// Rebuilds the model from a checkpoint of its kind, validating the
    /// config and every tensor's shape first.
    /// - Throws: `CheckpointError` naming `checkpoint.path` and the problem.
    init(checkpoint: Checkpoint) throws
}

extension CheckpointModel {
    /// Writes the model's checkpoint to `url` atomically.
    public func save(to url: URL, metadata: [(String, JSONValue)] = []) throws {
        try checkpoint(metadata: metadata).write(to: url)
    }

    /// Reads, validates and rebuilds a model saved by `save`.
    public static func load(_ url: URL) throws -> Self {
        try Self(checkpoint: try Checkpoint.load(url))
    }
}
