// Reference solution to exercise 8.3 (exercises/08-tokens-and-the-modern-llm/RMSNormBackward.swift).

import ExerciseKit

public func rmsNormBackward(x: [[Double]], gain: [Double], dy: [[Double]], epsilon: Double) throws -> (dx: [[Double]], dGain: [Double]) {
    let c = Double(gain.count)
    var dGain = [Double](repeating: 0, count: gain.count)
    var dx: [[Double]] = []
    for (row, g) in zip(x, dy) {
        let r = 1 / (row.reduce(0) { $0 + $1 * $1 } / c + epsilon).squareRoot()
        let xhat = row.map { $0 * r }
        let a = gain.indices.map { g[$0] * gain[$0] }
        for j in gain.indices { dGain[j] += g[j] * xhat[j] }
        let meanAX = zip(a, xhat).reduce(0) { $0 + $1.0 * $1.1 } / c
        dx.append(gain.indices.map { r * (a[$0] - xhat[$0] * meanAX) })
    }
    return (dx, dGain)
}
