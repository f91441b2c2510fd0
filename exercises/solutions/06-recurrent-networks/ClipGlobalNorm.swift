// Reference solution to exercise 6.3: one norm over all tensors, one factor
// for all of them, applied only when it shrinks.

import ExerciseKit

public func clipGlobalNorm(gradients: [[Double]], maxNorm: Double) throws -> (clipped: [[Double]], norm: Double) {
    var sumOfSquares = 0.0
    for tensor in gradients { for g in tensor { sumOfSquares += g * g } }
    let norm = sumOfSquares.squareRoot()
    let scale = min(1, maxNorm / (norm + 1e-6))
    return (gradients.map { $0.map { scale * $0 } }, norm)
}
