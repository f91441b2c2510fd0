// Embeddings: trained word vectors and what we ask of them — lookup,
// cosine similarity, nearest neighbours and analogies by vector offset.
// (Reading and writing the word2vec text format: EmbeddingsFile.swift.)
//
// Contract
// - `vectors` holds `count` rows of `dimension` floats, row i for words[i].
// - cos(x, y) = x·y / (‖x‖·‖y‖), computed in Double; a zero vector has
//   cosine 0 with everything.
// - neighbours(w) ranks every other word by cosine with w.
// - analogy(a, b, c) answers "a is to b as c is to ?" with the word whose
//   vector is closest in cosine to  b̂ − â + ĉ  (x̂ = x/‖x‖; "3CosAdd",
//   Mikolov et al. 2013), excluding a, b and c themselves.
// - Unknown words throw `EmbeddingsError.unknownWord`, never trap.

import Foundation

/// Why embeddings cannot be used, loaded or saved. Messages name the problem.
public enum EmbeddingsError: Error, CustomStringConvertible, Equatable, Sendable {
    case unknownWord(String)
    case missingFile(path: String)
    case unreadable(path: String, reason: String)
    case badHeader(path: String, found: String)
    case wrongValueCount(path: String, line: Int, word: String, expected: Int, found: Int)
    case notANumber(path: String, line: Int, word: String, value: String)
    case duplicateWord(path: String, line: Int, word: String)
    case wrongWordCount(path: String, expected: Int, found: Int)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownWord(let w): return "'\(w)' is not in the vocabulary"
        case .missingFile(let p): return "no embeddings file at \(p)"
        case let .unreadable(p, r): return "cannot read \(p): \(r)"
        case let .badHeader(p, f): return "\(p), line 1: expected a header 'count dimension' with two positive integers, found '\(f)'"
        case let .wrongValueCount(p, l, w, e, f): return "\(p), line \(l): '\(w)' has \(f) values, expected \(e)"
        case let .notANumber(p, l, w, v): return "\(p), line \(l): value '\(v)' of '\(w)' is not a finite number"
        case let .duplicateWord(p, l, w): return "\(p), line \(l): '\(w)' appears twice"
        case let .wrongWordCount(p, e, f): return "\(p): header promises \(e) words, found \(f)"
        case let .unwritable(p, r): return "cannot write \(p): \(r)"
        }
    }
}

/// A table of word vectors.
public struct Embeddings: Sendable {
    public let words: [String]
    public let dimension: Int
    /// Row-major [count, dimension].
    public let vectors: [Float]
    private let index: [String: Int]
    /// Each row divided by its norm (zero rows stay zero), in Double.
    private let unit: [Double]

    /// Wraps vectors; words must be distinct and vectors.count = words.count·dimension.
    public init(words: [String], dimension: Int, vectors: [Float]) {
        precondition(dimension > 0 && vectors.count == words.count * dimension, "vectors do not match words × dimension")
        self.words = words
        self.dimension = dimension
        self.vectors = vectors
        var index: [String: Int] = [:]
        for (i, w) in words.enumerated() { index[w] = i }
        precondition(index.count == words.count, "duplicate words")
        self.index = index
        var unit = vectors.map(Double.init)
        for r in 0..<words.count {
            let row = (r * dimension)..<((r + 1) * dimension)
            let norm = row.reduce(0.0) { $0 + unit[$1] * unit[$1] }.squareRoot()
            if norm > 0 { for j in row { unit[j] /= norm } }
        }
        self.unit = unit
    }

    public var count: Int { words.count }

    /// The row of `word`, or nil.
    public func id(of word: String) -> Int? { index[word] }

    /// The row of `word`. - Throws: `.unknownWord`.
    public func requireID(_ word: String) throws -> Int {
        guard let i = index[word] else { throw EmbeddingsError.unknownWord(word) }
        return i
    }

    /// The vector of `word`. - Throws: `.unknownWord`.
    public func vector(_ word: String) throws -> [Float] {
        let i = try requireID(word)
        return Array(vectors[(i * dimension)..<((i + 1) * dimension)])
    }

    /// cos(v_a, v_b). - Throws: `.unknownWord`.
    public func cosine(_ a: String, _ b: String) throws -> Double {
        cosine(ids: try requireID(a), try requireID(b))
    }

    /// Cosine between two rows.
    public func cosine(ids a: Int, _ b: Int) -> Double {
        var s = 0.0
        for j in 0..<dimension { s += unit[a * dimension + j] * unit[b * dimension + j] }
        return s
    }

    /// The `count` words most similar (by cosine) to `word`, excluding itself.
    public func neighbors(of word: String, count: Int = 10) throws -> [(word: String, cosine: Double)] {
        let i = try requireID(word)
        return nearest(to: Array(unit[(i * dimension)..<((i + 1) * dimension)]), count: count, excluding: [i])
    }

    /// Answers a : b :: c : ? with the words nearest to b̂ − â + ĉ, excluding a, b, c.
    public func analogy(_ a: String, _ b: String, _ c: String, count: Int = 5) throws -> [(word: String, cosine: Double)] {
        let (ia, ib, ic) = (try requireID(a), try requireID(b), try requireID(c))
        let target = (0..<dimension).map { unit[ib * dimension + $0] - unit[ia * dimension + $0] + unit[ic * dimension + $0] }
        return nearest(to: target, count: count, excluding: [ia, ib, ic])
    }

    /// The `count` rows with the largest cosine to `target`, best first.
    public func nearest(to target: [Double], count: Int, excluding: Set<Int>) -> [(word: String, cosine: Double)] {
        let norm = target.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return [] }
        var scored: [(Int, Double)] = []
        scored.reserveCapacity(words.count)
        for r in 0..<words.count where !excluding.contains(r) {
            var s = 0.0
            for j in 0..<dimension { s += unit[r * dimension + j] * target[j] }
            scored.append((r, s / norm))
        }
        // Sort by cosine, ties by id, so results are deterministic.
        scored.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        return scored.prefix(count).map { (words[$0.0], $0.1) }
    }
}
