// Reference solution to exercise 7.2: recompute x̂ and 1/σ per row, then
// dx = r·(g − mean g − x̂·mean(g·x̂)) with g = dy·γ.

import ExerciseKit

public func layerNormBackward(
    x: [[Double]], gamma: [Double], dy: [[Double]], epsilon: Double
) throws -> (dx: [[Double]], dGamma: [Double], dBeta: [Double]) {
    let width = gamma.count, count = Double(gamma.count)
    var dx = x, dGamma = [Double](repeating: 0, count: width), dBeta = dGamma
    for (i, row) in x.enumerated() {
        let mean = row.reduce(0, +) / count
        let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / count
        let r = 1 / (variance + epsilon).squareRoot()
        let xhat = row.map { ($0 - mean) * r }
        let g = (0..<width).map { dy[i][$0] * gamma[$0] }
        let meanG = g.reduce(0, +) / count
        let meanGX = zip(g, xhat).map { $0 * $1 }.reduce(0, +) / count
        for j in 0..<width {
            dx[i][j] = r * (g[j] - meanG - xhat[j] * meanGX)
            dGamma[j] += dy[i][j] * xhat[j]
            dBeta[j] += dy[i][j]
        }
    }
    return (dx, dGamma, dBeta)
}
