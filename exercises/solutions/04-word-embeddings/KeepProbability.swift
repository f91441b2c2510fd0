// Reference solution to exercise 4.3: word2vec.c's keep probability
// (√(f/t) + 1)·t/f, clamped to 1.

import ExerciseKit
import Foundation

public func keepProbability(count: Int, totalWords: Int, threshold t: Double) throws -> Double {
    let f = Double(count) / Double(totalWords)
    return min(1, ((f / t).squareRoot() + 1) * t / f)
}
