// Reference solution to exercise 4.2: cosine similarities (−∞ for a zero
// vector), the word itself left out, sorted by similarity descending and
// then by index ascending.

import ExerciseKit
import Foundation

public func nearestNeighbours(of word: Int, vectors: [[Double]], count: Int) throws -> [Int] {
    let query = vectors[word]
    let queryNorm = dot(query, query).squareRoot()
    let scored: [(index: Int, similarity: Double)] = vectors.indices.filter { $0 != word }.map { j in
        let norm = dot(vectors[j], vectors[j]).squareRoot()
        let similarity = queryNorm == 0 || norm == 0 ? -Double.infinity : dot(query, vectors[j]) / (queryNorm * norm)
        return (j, similarity)
    }
    let ranked = scored.sorted {
        $0.similarity != $1.similarity ? $0.similarity > $1.similarity : $0.index < $1.index
    }
    return ranked.prefix(count).map(\.index)
}
