// Reference solution to exercise 5.6: per column, dβ = Σ dy and dγ = Σ dy·x̂;
// dx removes from γ·dy/√(σ² + ε) its mean (the route through μ) and its
// projection on x̂ (the route through σ²).

import ExerciseKit

public func batchNormBackward(
    x: [[Double]], gamma: [Double], dy: [[Double]], epsilon: Double
) throws -> (dx: [[Double]], dGamma: [Double], dBeta: [Double]) {
    let n = Double(x.count)
    var dx = x, dGamma = gamma, dBeta = gamma
    for f in gamma.indices {
        let mean = x.reduce(0) { $0 + $1[f] } / n
        let variance = x.reduce(0) { $0 + ($1[f] - mean) * ($1[f] - mean) } / n
        let rho = 1 / (variance + epsilon).squareRoot()
        let xhat = x.map { ($0[f] - mean) * rho }
        let sumDy = dy.reduce(0) { $0 + $1[f] }
        let sumDyXhat = zip(dy, xhat).reduce(0) { $0 + $1.0[f] * $1.1 }
        for i in x.indices { dx[i][f] = gamma[f] * rho * (dy[i][f] - sumDy / n - xhat[i] * sumDyXhat / n) }
        dGamma[f] = sumDyXhat
        dBeta[f] = sumDy
    }
    return (dx, dGamma, dBeta)
}
