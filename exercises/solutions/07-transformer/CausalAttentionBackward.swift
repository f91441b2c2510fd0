// Reference solution to exercise 7.4: recompute P row by row (masked, max
// subtracted), then dV = Pᵀ·dY, dP = dY·Vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP)),
// dQ = dS·K/√d and dK = dSᵀ·Q/√d, looping over the visible j ≤ i only.

import ExerciseKit
import Foundation

public func causalAttentionBackward(
    query: [[Double]], key: [[Double]], value: [[Double]], dOutput: [[Double]]
) throws -> (dQuery: [[Double]], dKey: [[Double]], dValue: [[Double]]) {
    let t = query.count, d = query.first?.count ?? 0, dv = value.first?.count ?? 0
    let scale = 1 / Double(d).squareRoot()
    func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { $0 * $1 }.reduce(0, +) }
    var dQuery = [[Double]](repeating: [Double](repeating: 0, count: d), count: t)
    var dKey = dQuery
    var dValue = [[Double]](repeating: [Double](repeating: 0, count: dv), count: t)
    for i in 0..<t {
        let scores = (0...i).map { j in dot(query[i], key[j]) * scale }
        let top = scores.max()!
        let e = scores.map { exp($0 - top) }
        let total = e.reduce(0, +)
        let p = e.map { $0 / total }
        let dp = (0...i).map { j in dot(dOutput[i], value[j]) }
        let inner = dot(p, dp)
        for j in 0...i {
            for c in 0..<dv { dValue[j][c] += p[j] * dOutput[i][c] }
            let ds = p[j] * (dp[j] - inner) * scale
            for c in 0..<d {
                dQuery[i][c] += ds * key[j][c]
                dKey[j][c] += ds * query[i][c]
            }
        }
    }
    return (dQuery, dKey, dValue)
}
