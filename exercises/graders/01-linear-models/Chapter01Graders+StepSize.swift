// Grader for exercise 1.4 (the largest stable learning rate). Expected values
// come from the 2 × 2 closed form on hand-worked data, from the grader's own
// eigenvalues (Jacobi rotations, not power iteration) on random data, and
// from an experiment: gradient descent, written here, must converge 2% below
// the returned rate and diverge 2% above it.

import BackpropCore
import ExerciseKit
import Foundation

public typealias LargestStableLearningRate = ([[Double]]) throws -> Double

extension Chapter01Graders {
    /// The eigenvalues of a symmetric matrix by cyclic Jacobi rotations.
    static func symmetricEigenvalues(_ matrix: [[Double]]) -> [Double] {
        var a = matrix
        let m = a.count
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<m { for q in 0..<m where p != q { off += a[p][q] * a[p][q] } }
            if off <= 1e-30 * max(1, a.indices.map { a[$0][$0] * a[$0][$0] }.reduce(0, +)) { break }
            for p in 0..<m {
                for q in (p + 1)..<m where a[p][q] != 0 {
                    // Zero a[p][q] by a rotation in the (p, q) plane.
                    let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<m {
                        let akp = a[k][p], akq = a[k][q]
                        a[k][p] = c * akp - s * akq
                        a[k][q] = s * akp + c * akq
                    }
                    for k in 0..<m {
                        let apk = a[p][k], aqk = a[q][k]
                        a[p][k] = c * apk - s * aqk
                        a[q][k] = s * apk + c * aqk
                    }
                }
            }
        }
        return a.indices.map { a[$0][$0] }
    }

    /// Σᵢ aᵢaᵢᵀ over the rows of x, each with a 1 appended when `bias`.
    static func gram(_ x: [[Double]], bias: Bool = true) -> [[Double]] {
        let d = (x.first?.count ?? 0) + (bias ? 1 : 0)
        var g = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        for row in x {
            let a = bias ? row + [1] : row
            for j in 0..<d { for k in 0..<d { g[j][k] += a[j] * a[k] } }
        }
        return g
    }

    /// Full-batch gradient descent on (1/n)‖Aθ − y‖² from θ = 0, written
    /// out; returns the loss before the first step and after the last.
    static func descend(_ x: [[Double]], _ y: [Double], rate: Double, steps: Int) -> (first: Double, last: Double) {
        let n = x.count, d = x[0].count + 1
        let a: [Double] = x.flatMap { row in row + [1.0] }  // A = [x | 1], row-major
        var theta = [Double](repeating: 0, count: d), r = [Double](repeating: 0, count: n)
        func loss() -> Double {
            var total = 0.0
            for i in 0..<n {
                var p = -y[i]
                for j in 0..<d { p += a[i * d + j] * theta[j] }
                r[i] = p
                total += p * p
            }
            return total / Double(n)
        }
        let first = loss()
        for _ in 0..<steps {
            guard loss().isFinite else { return (first, .infinity) }
            for j in 0..<d {
                var g = 0.0
                for i in 0..<n { g += a[i * d + j] * r[i] }
                theta[j] -= rate * 2 / Double(n) * g
            }
        }
        return (first, loss())
    }

    /// Exercise 1.4: hand-worked data (closed form), random data (Jacobi
    /// eigenvalues) and gradient descent just below and above the answer.
    public static func largestStableLearningRate(_ candidate: LargestStableLearningRate) throws -> GradeReport {
        var report = GradeReport()
        // λmax of a symmetric 2 × 2 matrix [[a, b], [b, c]]: (a + c)/2 + √(((a − c)/2)² + b²).
        func top2(_ a: Double, _ b: Double, _ c: Double) -> Double { (a + c) / 2 + (((a - c) / 2) * ((a - c) / 2) + b * b).squareRoot() }
        // With A = [x | 1] the Hessian of (1/n)‖Aθ − y‖² is H = (2/n)·AᵀA, and η* = 2/λmax(H) = n/λmax(AᵀA).
        var rng = SeededRandom(seed: 1404)
        let close = [[Double]](repeating: [1], count: 51) + [[Double]](repeating: [-1], count: 49)
        var cases: [(x: [[Double]], want: Double, why: String)] = [
            // AᵀA = [[Σx², Σx], [Σx, n]] = [[14, 6], [6, 3]].
            ([[1], [2], [3]], 3 / top2(14, 6, 3), "one feature x = [1, 2, 3]: AᵀA = [[14, 6], [6, 3]] with A = [x | 1]"),
            // AᵀA = [[4, −2], [−2, 4]]: λ = 6 along (1, −1) and 2 along (1, 1); H = AᵀA/2, η* = 2/3.
            ([[-1], [-1], [1], [-1]], 2.0 / 3,
             "x = [−1, −1, 1, −1]: AᵀA = [[4, −2], [−2, 4]], top eigenvector (1, −1), orthogonal to the all-ones vector"),
            // Orthogonal centred columns: AᵀA = diag(16, 4, 4), H = diag(8, 2, 2), η* = 1/4.
            ([[2, 1], [2, -1], [-2, 1], [-2, -1]], 0.25, "two orthogonal centred features: AᵀA = diag(16, 4, 4)"),
            // Centred columns, so AᵀA = [[xᵀx, 0], [0, n]] with xᵀx = [[2, 2], [2, 8]] (λ = 5 + √13 > n = 3).
            ([[1, 2], [-1, 0], [0, -2]], 3 / top2(2, 2, 8), "two centred features: AᵀA = [[2, 2, 0], [2, 8, 0], [0, 0, 3]]"),
            // Small centred features: xᵀx = [[0.5, 0.05], [0.05, 0.14]] has λ < 0.6, so the bias's n = 3 is λmax: η* = 1.
            ([[0.5, 0.2], [-0.5, 0.1], [0, -0.3]], 1,
             "two small centred features: the largest curvature is the bias's (AᵀA = [[0.5, 0.05, 0], [0.05, 0.14, 0], [0, 0, 3]])"),
            // AᵀA = [[100, 2], [2, 100]]: λ = 102 and 98, a ratio of 0.96 (power iteration converges slowly).
            (close, 100.0 / 102,
             "one feature, 51 values +1 and 49 values −1: AᵀA = [[100, 2], [2, 100]], eigenvalues 102 and 98"),
        ]
        for (n, d, offset) in [(20, 3, 2.0), (40, 5, -1.0), (12, 1, 4.0)] {
            let x = (0..<n).map { _ in (0..<d).map { j in offset + rng.uniform(-1, 1) * Double(j + 1) } }
            let lambda = symmetricEigenvalues(gram(x)).max()!
            cases.append((x, Double(n) / lambda, "random data, n = \(n), d = \(d), features centred near \(offset)"))
        }
        for (index, c) in cases.enumerated() {
            let got = try candidate(c.x)
            let ok = got.isFinite && abs(got - c.want) <= 1e-6 * c.want
            var hint = ""
            if !ok && got.isFinite {
                let n = Double(c.x.count), hessian = gram(c.x).map { $0.map { 2 * $0 / n } }
                let noBias = 2 / symmetricEigenvalues(gram(c.x, bias: false).map { $0.map { 2 * $0 / n } }).max()!
                let trace = 2 / hessian.indices.map { hessian[$0][$0] }.reduce(0, +)
                func near(_ v: Double) -> Bool { abs(got - v) <= 1e-6 * abs(v) }
                if near(c.want / 2) {
                    hint = " — this is 1/λmax: along an eigenvector a step multiplies the error by 1 − ηλ, which reaches −1 at ηλ = 2"
                } else if near(c.want * 2) {
                    hint = " — twice the answer: the Hessian of (1/n)Σ(…)² has a factor 2 from the square"
                } else if near(c.want / n) {
                    hint = " — you are missing the 1/n of the mean in the Hessian"
                } else if near(noBias) {
                    hint = " — this ignores the bias: append a column of ones to x, the bias has curvature too"
                } else if near(trace) {
                    hint = " — this is 2/trace(H), a safe rate but not the largest: use the largest eigenvalue"
                } else if got > c.want {
                    hint = " — too large, so your eigenvalue is below λmax: did your power iteration start orthogonal to the "
                        + "top eigenvector (all ones?), or stop before it converged?"
                }
            }
            report.check(ok, "\(c.why): expected η* = \(String(format: "%.9g", c.want)), got \(got)" + hint)
            // The experiment, on the random cases and the first hand-worked one.
            guard index == 0 || index >= 6, got.isFinite, got > 0 else { continue }
            let y = c.x.map { _ in rng.uniform(-3, 3) }
            let below = descend(c.x, y, rate: 0.98 * got, steps: 2000), above = descend(c.x, y, rate: 1.02 * got, steps: 2000)
            report.check(below.last.isFinite && below.last <= below.first,
                "\(c.why): gradient descent at 0.98·η = \(0.98 * got) should converge, but the loss went from "
                    + "\(below.first) to \(below.last) in 2000 steps — your η is beyond the stability limit")
            report.check(!above.last.isFinite || above.last > 1e6 * above.first,
                "\(c.why): gradient descent at 1.02·η = \(1.02 * got) should diverge, but the loss went from "
                    + "\(above.first) to \(above.last) in 2000 steps — your η is below the largest stable rate")
        }
        return report
    }
}
