// Reference solution to exercise 6.2: one stacked pre-activation, split in
// PyTorch's gate order i, f, g, o.

import ExerciseKit
import Foundation

public func lstmStep(
    x: [Double], hPrev: [Double], cPrev: [Double], weightIH: [[Double]], weightHH: [[Double]], bias: [Double]
) throws -> (h: [Double], c: [Double]) {
    let hidden = hPrev.count
    let z = bias.indices.map { row in
        zip(weightIH[row], x).map { $0 * $1 }.reduce(bias[row], +)
            + zip(weightHH[row], hPrev).map { $0 * $1 }.reduce(0, +)
    }
    // 1/(1 + e^(−t)) is NaN-free: e^800 = ∞ gives 1/∞ = 0.
    func sigmoid(_ t: Double) -> Double { 1 / (1 + exp(-t)) }
    var h = [Double](repeating: 0, count: hidden), c = h
    for j in 0..<hidden {
        let i = sigmoid(z[j]), f = sigmoid(z[hidden + j])
        let g = tanh(z[2 * hidden + j]), o = sigmoid(z[3 * hidden + j])
        c[j] = f * cPrev[j] + i * g
        h[j] = o * tanh(c[j])
    }
    return (h, c)
}
