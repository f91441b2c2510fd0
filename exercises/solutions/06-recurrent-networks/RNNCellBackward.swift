// Reference solution to exercise 6.1: da = dh ⊙ (1 − h²), then the two
// matrix products transposed (dx = W_ihᵀ·da, dh_prev = W_hhᵀ·da) and the
// outer products for the weights.

import ExerciseKit

public func rnnCellBackward(
    x: [Double], hPrev: [Double], weightIH: [[Double]], weightHH: [[Double]], bias: [Double],
    h: [Double], dh: [Double]
) throws -> (dx: [Double], dhPrev: [Double], dWeightIH: [[Double]], dWeightHH: [[Double]], dBias: [Double]) {
    let da = zip(h, dh).map { hj, dhj in dhj * (1 - hj * hj) }
    var dx = [Double](repeating: 0, count: x.count)
    var dhPrev = [Double](repeating: 0, count: hPrev.count)
    for j in da.indices {
        for k in x.indices { dx[k] += weightIH[j][k] * da[j] }
        for k in hPrev.indices { dhPrev[k] += weightHH[j][k] * da[j] }
    }
    let dWeightIH = da.map { dj in x.map { dj * $0 } }
    let dWeightHH = da.map { dj in hPrev.map { dj * $0 } }
    return (dx, dhPrev, dWeightIH, dWeightHH, da)
}
