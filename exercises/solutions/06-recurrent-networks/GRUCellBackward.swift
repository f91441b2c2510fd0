// Reference solution to exercise 6.5: recompute r, z, n and q_n = W_hn·h + b_hn,
// then the pre-activation gradients da_n = dh ⊙ (1 − z) ⊙ (1 − n²),
// da_z = dh ⊙ (h_prev − n) ⊙ z(1 − z), da_r = da_n ⊙ q_n ⊙ r(1 − r); the input
// side gets (da_r, da_z, da_n), the recurrent side (da_r, da_z, da_n ⊙ r), and
// h_prev also gets dh ⊙ z directly.

import ExerciseKit
import Foundation

public func gruCellBackward(
    x: [Double], hPrev: [Double], weightIH: [[Double]], weightHH: [[Double]], biasIH: [Double], biasHH: [Double],
    dh: [Double]
) throws -> (
    dx: [Double], dhPrev: [Double], dWeightIH: [[Double]], dWeightHH: [[Double]], dBiasIH: [Double], dBiasHH: [Double]
) {
    let hidden = hPrev.count
    func sigmoid(_ t: Double) -> Double { 1 / (1 + exp(-t)) }
    // p = W_ih·x + b_ih and q = W_hh·h_prev + b_hh, 3H entries each.
    let p = weightIH.indices.map { row in zip(weightIH[row], x).map { $0 * $1 }.reduce(biasIH[row], +) }
    let q = weightHH.indices.map { row in zip(weightHH[row], hPrev).map { $0 * $1 }.reduce(biasHH[row], +) }
    var dp = [Double](repeating: 0, count: 3 * hidden), dq = dp
    var dhPrev = [Double](repeating: 0, count: hidden)
    for j in 0..<hidden {
        let r = sigmoid(p[j] + q[j])
        let z = sigmoid(p[hidden + j] + q[hidden + j])
        let n = tanh(p[2 * hidden + j] + r * q[2 * hidden + j])
        let daN = dh[j] * (1 - z) * (1 - n * n)
        let daZ = dh[j] * (hPrev[j] - n) * z * (1 - z)
        let daR = daN * q[2 * hidden + j] * r * (1 - r)
        (dp[j], dp[hidden + j], dp[2 * hidden + j]) = (daR, daZ, daN)
        (dq[j], dq[hidden + j], dq[2 * hidden + j]) = (daR, daZ, daN * r)
        dhPrev[j] = dh[j] * z
    }
    var dx = [Double](repeating: 0, count: x.count)
    for row in 0..<(3 * hidden) {
        for k in x.indices { dx[k] += weightIH[row][k] * dp[row] }
        for k in hPrev.indices { dhPrev[k] += weightHH[row][k] * dq[row] }
    }
    return (dx, dhPrev, dp.map { d in x.map { d * $0 } }, dq.map { d in hPrev.map { d * $0 } }, dp, dq)
}
