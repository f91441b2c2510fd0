// Exercise 4.2 — nearest neighbours by cosine similarity
// (chapters/04-word-embeddings.md, "Nearest neighbours and analogies").
//
// vectors[i] is the embedding of word i (all the same length). Return the
// indices of the `count` words most similar to word `word`, most similar
// first, where the similarity of words i and j is the cosine of the angle
// between their vectors:
//
//   cos(a, b) = a·b / (‖a‖·‖b‖),   ‖a‖ = √(a·a).
//
// Rules:
//   - the word itself is not its own neighbour: never return `word`;
//   - a zero vector has no direction: if ‖a‖ = 0 or ‖b‖ = 0, take
//     cos(a, b) = −∞, so zero vectors come last (below even cos = −1), and
//     a zero query vector has similarity −∞ to every word;
//   - equal similarities are ordered by lower index first;
//   - 0 ≤ count ≤ vectors.count − 1.
//
// Note that the cosine ignores length: the nearest word by cosine is not
// necessarily the one with the largest dot product, nor the one at the
// smallest Euclidean distance.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/04-word-embeddings --filter Chapter04Exercises/nearestNeighbours

import ExerciseKit
import Foundation  // sqrt

public func nearestNeighbours(of word: Int, vectors: [[Double]], count: Int) throws -> [Int] {
    throw NotAttempted()
}
