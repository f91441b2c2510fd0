// Word embeddings as a checkpoint (beside the word2vec text format of
// EmbeddingsFile.swift): the vocabulary travels in the header, the vectors
// as one f32 tensor, so the binary file restores every bit.
//
//   kind    "word2vec"
//   config  dimension, words [w₀, w₁, …] (row i of the vectors is words[i])
//   tensors "vectors" [count, dimension] (f32)

import BackpropCore
import Foundation
import Storage

extension Embeddings: CheckpointModel {
    public static var checkpointKind: String { "word2vec" }

    /// The embeddings as a checkpoint; `metadata` records how they were trained.
    public func checkpoint(metadata: [(String, JSONValue)] = []) -> Checkpoint {
        // Float → Double is exact, so the tensor can be built unchecked.
        let vectors = try! Tensor<Double>(shape: [count, dimension], scalars: self.vectors.map(Double.init))
        return Checkpoint(kind: Self.checkpointKind, config: [("dimension", .integer(dimension)), ("words", .array(words.map { .string($0) }))],
                          metadata: metadata, dtype: .float32, tensors: [("vectors", vectors)])
    }

    /// Restores embeddings from a checkpoint, validating the vocabulary
    /// (distinct, non-empty words without whitespace) and the tensor's shape.
    /// - Throws: `CheckpointError` naming the problem.
    public init(checkpoint c: Checkpoint) throws {
        try c.require(kind: Self.checkpointKind)
        let words = try c.configStrings("words")
        let dimension = try c.configInt("dimension", in: 1...max(c.storedScalarCount, 1))
        var seen: Set<String> = []
        for w in words {
            guard !w.isEmpty, !w.contains(where: \.isWhitespace) else {
                throw CheckpointError.badConfig(path: c.path, key: "words", reason: "holds '\(w)', which is not a word (empty or with whitespace)")
            }
            guard seen.insert(w).inserted else { throw CheckpointError.badConfig(path: c.path, key: "words", reason: "lists '\(w)' twice") }
        }
        let vectors: Tensor<Float> = try c.tensor("vectors", shape: [words.count, dimension])
        self.init(words: words, dimension: dimension, vectors: vectors.scalars)
    }
}
