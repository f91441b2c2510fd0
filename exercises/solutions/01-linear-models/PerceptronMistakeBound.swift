// Reference solution to exercise 1.6: the perceptron with η = 1 from zero,
// visiting the examples in index order until a clean epoch, and Novikoff's
// bound (R/γ)² with x̃ = (x, 1), R = maxᵢ ‖x̃ᵢ‖ and γ = minᵢ sᵢ·u·x̃ᵢ/‖u‖.

import ExerciseKit

public func perceptronMistakeBound(
    x: [[Double]], labels: [Int], direction u: [Double]
) throws -> (updates: Int, bound: Double) {
    let d = x.first?.count ?? 0
    var w = [Double](repeating: 0, count: d), b = 0.0, updates = 0
    var clean = false
    while !clean {
        clean = true
        for (row, label) in zip(x, labels) {
            let s: Double = label == 1 ? 1 : -1
            let score = zip(w, row).map { $0 * $1 }.reduce(b, +)
            if s * score <= 0 {
                for j in 0..<d { w[j] += s * row[j] }
                b += s
                updates += 1
                clean = false
            }
        }
    }
    let norm = u.map { $0 * $0 }.reduce(0, +).squareRoot()
    var r2 = 0.0, gamma = Double.infinity
    for (row, label) in zip(x, labels) {
        let s: Double = label == 1 ? 1 : -1
        let xt = row + [1]
        r2 = max(r2, xt.map { $0 * $0 }.reduce(0, +))
        gamma = min(gamma, s * zip(u, xt).map { $0 * $1 }.reduce(0, +) / norm)
    }
    return (updates, gamma > 0 ? r2 / (gamma * gamma) : .infinity)
}
