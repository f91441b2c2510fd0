// Reference solution to exercise 1.3: ∂L/∂zᵢ = (σ(zᵢ) − yᵢ)/n, then
// ∂L/∂w = Σᵢ (∂L/∂zᵢ)·xᵢ and ∂L/∂b = Σᵢ ∂L/∂zᵢ.

import ExerciseKit
import Foundation

public func logisticGradient(
    x: [[Double]], y: [Double], weights: [Double], bias: Double
) throws -> (dWeights: [Double], dBias: Double) {
    let n = Double(x.count)
    var dw = [Double](repeating: 0, count: weights.count)
    var db = 0.0
    for (row, target) in zip(x, y) {
        let z = zip(weights, row).map { $0 * $1 }.reduce(bias, +)
        let dz = (1 / (1 + exp(-z)) - target) / n
        for j in 0..<dw.count { dw[j] += dz * row[j] }
        db += dz
    }
    return (dw, db)
}
