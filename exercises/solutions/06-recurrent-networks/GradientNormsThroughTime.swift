// Reference solution to exercise 6.8: the forward pass keeps every state,
// then the gradient goes back one step at a time, δh_{t−1} = W_hhᵀ·(δh_t ⊙
// (1 − h_t²)), its norm recorded at each step.

import ExerciseKit
import Foundation

public func gradientNormsThroughTime(
    xs: [[Double]], h0: [Double], weightIH: [[Double]], weightHH: [[Double]], bias: [Double], dhT: [Double]
) throws -> [Double] {
    let hidden = h0.count
    var hs = [h0]
    for x in xs {
        let h = hs.last!
        hs.append((0..<hidden).map { j in
            tanh(bias[j] + zip(weightIH[j], x).map { $0 * $1 }.reduce(0, +) + zip(weightHH[j], h).map { $0 * $1 }.reduce(0, +))
        })
    }
    func norm(_ v: [Double]) -> Double { v.map { $0 * $0 }.reduce(0, +).squareRoot() }
    var delta = dhT
    var norms = [norm(delta)]
    for t in stride(from: xs.count, through: 1, by: -1) {
        let da = zip(delta, hs[t]).map { $0 * (1 - $1 * $1) }              // through tanh at step t
        delta = (0..<hidden).map { k in (0..<hidden).map { weightHH[$0][k] * da[$0] }.reduce(0, +) }  // W_hhᵀ·da
        norms.append(norm(delta))
    }
    return norms
}
