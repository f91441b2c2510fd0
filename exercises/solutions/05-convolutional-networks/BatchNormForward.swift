// Reference solution to exercise 5.4: per-column mean and biased variance,
// then γ·(x − μ)/√(σ² + ε) + β.

import ExerciseKit

public func batchNormForward(x: [[Double]], gamma: [Double], beta: [Double], epsilon: Double) throws -> [[Double]] {
    let n = Double(x.count)
    var y = x
    for f in gamma.indices {
        let mean = x.reduce(0) { $0 + $1[f] } / n
        let variance = x.reduce(0) { $0 + ($1[f] - mean) * ($1[f] - mean) } / n
        let scale = gamma[f] / (variance + epsilon).squareRoot()
        for i in x.indices { y[i][f] = scale * (x[i][f] - mean) + beta[f] }
    }
    return y
}
