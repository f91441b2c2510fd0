// Reference solution to exercise 1.2: ∂L/∂pᵢ = 2(pᵢ − tᵢ)/N.

import ExerciseKit

public func mseGradient(prediction: [Double], target: [Double]) throws -> [Double] {
    let n = Double(prediction.count)
    return zip(prediction, target).map { 2 * ($0 - $1) / n }
}
