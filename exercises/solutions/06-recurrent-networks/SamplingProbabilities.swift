// Reference solution to exercise 6.4: threshold at the k-th largest logit
// (ties kept), divide by T, softmax with the maximum subtracted.

import ExerciseKit
import Foundation

public func samplingProbabilities(logits: [Double], temperature: Double, topK: Int?) throws -> [Double] {
    var threshold = -Double.infinity
    if let k = topK, k < logits.count {
        threshold = logits.sorted(by: >)[k - 1]
    }
    let kept = logits.map { $0 >= threshold }
    let top = zip(logits, kept).filter(\.1).map(\.0).max()!
    let weights = zip(logits, kept).map { z, keep in keep ? exp((z - top) / temperature) : 0 }
    let total = weights.reduce(0, +)
    return weights.map { $0 / total }
}
