// Reference solution to exercise 7.1: scores for j ≤ i only, a softmax with
// the row maximum subtracted, then the weighted sum of the values.

import ExerciseKit
import Foundation

public func causalAttention(
    query: [[Double]], key: [[Double]], value: [[Double]]
) throws -> (output: [[Double]], weights: [[Double]]) {
    let t = query.count, d = query.first?.count ?? 0, dv = value.first?.count ?? 0
    let scale = 1 / Double(d).squareRoot()
    var weights = [[Double]](repeating: [Double](repeating: 0, count: t), count: t)
    var output = [[Double]](repeating: [Double](repeating: 0, count: dv), count: t)
    for i in 0..<t {
        let scores = (0...i).map { j in zip(query[i], key[j]).map { $0 * $1 }.reduce(0, +) * scale }
        let top = scores.max()!
        let e = scores.map { exp($0 - top) }
        let total = e.reduce(0, +)
        for j in 0...i {
            weights[i][j] = e[j] / total
            for c in 0..<dv { output[i][c] += weights[i][j] * value[j][c] }
        }
    }
    return (output, weights)
}
