// Reference solution to exercise 1.4. With A = [x | 1], L(θ) = (1/n)‖Aθ − y‖²
// has the constant Hessian H = (2/n)·AᵀA; a step multiplies the error along an
// eigenvector of H with eigenvalue λ by 1 − ηλ, so the critical rate is
// η* = 2/λmax(H). λmax by power iteration from a seeded, irregular start.

import ExerciseKit
import Foundation

public func largestStableLearningRate(x: [[Double]]) throws -> Double {
    let n = x.count, d = (x.first?.count ?? 0) + 1
    // H = (2/n)·AᵀA, A = [x | 1].
    var h = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
    for row in x {
        let a = row + [1]
        for j in 0..<d { for k in 0..<d { h[j][k] += 2 * a[j] * a[k] / Double(n) } }
    }
    // Power iteration; the start vector's entries are irregular (a golden-ratio sequence).
    var v = (0..<d).map { 0.5 + (Double($0 + 1) * 0.6180339887498949).truncatingRemainder(dividingBy: 1) }
    var lambda = 0.0
    for _ in 0..<100_000 {
        let hv = (0..<d).map { j in (0..<d).map { h[j][$0] * v[$0] }.reduce(0, +) }
        let norm = hv.map { $0 * $0 }.reduce(0, +).squareRoot()
        guard norm > 0 else { return .infinity }  // H = 0 cannot happen (the ones column), but never divide by 0.
        let next = zip(v, hv).map { $0 * $1 }.reduce(0, +) / v.map { $0 * $0 }.reduce(0, +)
        v = hv.map { $0 / norm }
        if abs(next - lambda) <= 1e-15 * abs(next) { lambda = next; break }
        lambda = next
    }
    return 2 / lambda
}
