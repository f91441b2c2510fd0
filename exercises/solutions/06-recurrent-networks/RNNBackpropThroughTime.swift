// Reference solution to exercise 6.6: keep h₀, …, h_T; then for t = T, …, 1
// add dhs[t − 1] into the running δh, take da = δh ⊙ (1 − h_t²), add the
// step's parameter gradients (da·x_tᵀ, da·h_{t−1}ᵀ, da) and replace δh by
// W_hhᵀ·da. What is left after t = 1 is dh₀.

import ExerciseKit
import Foundation

public func rnnBackpropThroughTime(
    xs: [[Double]], h0: [Double], weightIH: [[Double]], weightHH: [[Double]], bias: [Double], dhs: [[Double]]
) throws -> (dWeightIH: [[Double]], dWeightHH: [[Double]], dBias: [Double], dh0: [Double]) {
    let hidden = h0.count, inputs = xs.first?.count ?? 0
    var states = [h0]
    for x in xs {
        let previous = states[states.count - 1]
        states.append((0..<hidden).map { j in
            tanh(bias[j] + zip(weightIH[j], x).map { $0 * $1 }.reduce(0, +)
                + zip(weightHH[j], previous).map { $0 * $1 }.reduce(0, +))
        })
    }
    var dWeightIH = [[Double]](repeating: [Double](repeating: 0, count: inputs), count: hidden)
    var dWeightHH = [[Double]](repeating: [Double](repeating: 0, count: hidden), count: hidden)
    var dBias = [Double](repeating: 0, count: hidden)
    var carried = [Double](repeating: 0, count: hidden)
    for t in stride(from: xs.count, through: 1, by: -1) {
        let h = states[t], previous = states[t - 1]
        var da = [Double](repeating: 0, count: hidden)
        for j in 0..<hidden {
            let total = carried[j] + dhs[t - 1][j]
            da[j] = total * (1 - h[j] * h[j])
        }
        var next = [Double](repeating: 0, count: hidden)
        for j in 0..<hidden {
            for k in 0..<inputs { dWeightIH[j][k] += da[j] * xs[t - 1][k] }
            for k in 0..<hidden {
                dWeightHH[j][k] += da[j] * previous[k]
                next[k] += weightHH[j][k] * da[j]
            }
            dBias[j] += da[j]
        }
        carried = next
    }
    return (dWeightIH, dWeightHH, dBias, carried)
}
