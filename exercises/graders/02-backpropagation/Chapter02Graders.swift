// Graders for chapter 2's exercises. Expected values come from definitions,
// never from the code being graded: hand-worked cases and finite differences
// for ReLU, centered finite differences of a log-sum-exp loss written here for
// softmax cross-entropy, the written-out equations for Adam, and finite
// differences of ⟨dy, x·Wᵀ + b⟩ for the linear layer.

import BackpropCore
import ExerciseKit
import Foundation

public typealias ReLUBackward = ([Double], [Double]) throws -> [Double]
public typealias SoftmaxCrossEntropyGradient = ([[Double]], [Int]) throws -> [[Double]]
public typealias AdamUpdate = ([Double], [Double], [Double], [Double], Int, Double, Double, Double, Double) throws
    -> (parameter: [Double], m: [Double], v: [Double])
public typealias LinearBackward = ([[Double]], [[Double]], [[Double]]) throws
    -> (dx: [[Double]], dWeight: [[Double]], dBias: [Double])

public enum Chapter02Graders {
    /// Exercise 2.1: hand-worked cases (including x = 0 exactly) and finite
    /// differences of Σᵢ dyᵢ·relu(xᵢ) at points away from the kink.
    public static func reluBackward(_ candidate: ReLUBackward) throws -> GradeReport {
        var report = GradeReport()
        // (x, dy) → expected dx, with the reason.
        let cases: [([Double], [Double], [Double], String)] = [
            ([-2, -0.5, 0.5, 3], [1, 2, 3, 4], [0, 0, 3, 4],
             "a negative input blocks the gradient (dx = 0) and a positive one passes dy through unchanged"),
            ([1.5, 0.25, -4], [-2, 6, 7], [-2, 6, 0],
             "for x > 0, dx = dy·1: the derivative of ReLU there is 1, whatever the size of x"),
            ([0], [5], [0],
             "at x = 0 exactly the gradient is 0 (PyTorch's convention: relu′(0) = 0, like x < 0)"),
            ([0, 2, 0, -1], [-3, 1, 4, 2], [0, 1, 0, 0],
             "x = 0 gets gradient 0 (PyTorch's convention), x > 0 passes dy, x < 0 gets 0"),
        ]
        for (x, dy, want, why) in cases {
            let got = try candidate(x, dy)
            var hint = ""
            if got.count == x.count, !Grade.close(got, want, 1e-12) {
                if Grade.close(got, zip(x, dy).map { $0 >= 0 ? $1 : 0 }, 1e-12) {
                    hint = " — you used x ≥ 0; at x = 0 the gradient must be 0 (use x > 0)"
                } else if Grade.close(got, dy, 1e-12) {
                    hint = " — you passed dy through unchanged; ReLU's derivative is 0 where x ≤ 0"
                } else if Grade.close(got, zip(x, dy).map { $0 > 0 ? $0 * $1 : 0 }, 1e-12) {
                    hint = " — you multiplied by x; the derivative of max(0, x) is 1 for x > 0, not x"
                }
            }
            report.check(
                got.count == x.count && Grade.close(got, want, 1e-12),
                "\(why): for x = \(Grade.show(x)), dy = \(Grade.show(dy)) expected dx = \(Grade.show(want)), "
                    + "got \(Grade.show(got))" + hint)
        }
        var rng = SeededRandom(seed: 2101)
        for n in [1, 6, 17] {
            // Keep |x| ≥ 0.1 so that x ± h never crosses the kink at 0.
            let x = (0..<n).map { _ in
                let a = rng.uniform(0.1, 3)
                return rng.uniform() < 0.5 ? -a : a
            }
            let dy = (0..<n).map { _ in rng.uniform(-2, 2) }
            let numeric = GradientCheck.numericalGradient(
                of: { t in zip(t.scalars, dy).map { max(0, $0) * $1 }.reduce(0, +) }, at: Tensor(x)).scalars
            let got = try candidate(x, dy)
            report.check(got.count == n, "dx must have one entry per input (\(n)), got \(got.count)")
            report.check(
                got.count != n || Grade.close(got, numeric, 1e-6),
                "for x = \(Grade.show(x)), dy = \(Grade.show(dy)) expected dx ≈ \(Grade.show(numeric)) "
                    + "(centered finite differences of Σ dy·relu(x)), got \(Grade.show(got))")
        }
        return report
    }

    /// The mean softmax cross-entropy, by log-sum-exp with the row maximum
    /// subtracted (finite for any finite logits): (1/n) Σᵢ lseᵢ − zᵢ,yᵢ.
    static func softmaxCrossEntropyLoss(_ z: [Double], rows n: Int, classes c: Int, labels: [Int]) -> Double {
        var total = 0.0
        for i in 0..<n {
            let row = z[(i * c)..<(i * c + c)]
            let top = row.max()!
            total += top + log(row.map { exp($0 - top) }.reduce(0, +)) - z[i * c + labels[i]]
        }
        return total / Double(n)
    }

    /// Exercise 2.2: compared with finite differences of the loss, on random
    /// logits and on logits near ±1000, where e^z overflows unless the row
    /// maximum is subtracted first.
    public static func softmaxCrossEntropyGradient(_ candidate: SoftmaxCrossEntropyGradient) throws -> GradeReport {
        var report = GradeReport()
        var rng = SeededRandom(seed: 2202)
        var cases: [(logits: [[Double]], labels: [Int], large: Bool)] = []
        for (n, c) in [(1, 3), (4, 5), (7, 2)] {
            let logits = (0..<n).map { _ in (0..<c).map { _ in rng.uniform(-3, 3) } }
            cases.append((logits, (0..<n).map { _ in rng.integer(below: c) }, false))
        }
        cases.append(([[1000, 999, 998], [-1000, -1001, -999]], [0, 2], true))
        cases.append(([[1000, 0, -1000], [2, 1, 0], [500, 501, 499.5]], [2, 0, 1], true))
        for (logits, labels, large) in cases {
            let n = logits.count, c = logits[0].count
            let numeric = GradientCheck.numericalGradient(
                of: { softmaxCrossEntropyLoss($0.scalars, rows: n, classes: c, labels: labels) },
                at: Tensor(logits.flatMap { $0 }), step: 1e-5).scalars
            let got = try candidate(logits, labels)
            let shapeOK = got.count == n && got.allSatisfy { $0.count == c }
            report.check(shapeOK, "for \(n) rows of \(c) logits the gradient must be \(n) × \(c), got \(got.count) rows "
                + "of \(got.map(\.count))")
            guard shapeOK else { continue }
            let flat = got.flatMap { $0 }
            var hint = ""
            if flat.contains(where: { !$0.isFinite }) {
                hint = large
                    ? " — NaN or ∞: your softmax overflowed (e^1000 = ∞ in Double, and ∞/∞ = NaN; e^−1000 = 0, and 0/0 = NaN). "
                        + "Subtract each row's maximum before exponentiating: softmax(z) = softmax(z − max z)"
                    : " — NaN or ∞ in the gradient"
            } else if n > 1, Grade.close(flat.map { $0 / Double(n) }, numeric, 1e-6) {
                hint = " — you are missing the 1/n of the mean over rows"
            } else if Grade.close(flat.map { -$0 }, numeric, 1e-6) {
                hint = " — the sign is flipped: the gradient is softmax − one-hot, not one-hot − softmax"
            }
            report.check(
                Grade.close(flat, numeric, 1e-6),
                "for logits [\(logits.map(Grade.show).joined(separator: ", "))] with labels \(labels) expected ∂L/∂z ≈ "
                    + "\(Grade.show(numeric)) (row-major; centered finite differences of the loss), got "
                    + "\(Grade.show(flat))" + hint)
        }
        return report
    }

    /// One Adam step written out from its definition (the grader's own
    /// arithmetic; `correct: false` gives the update without bias correction,
    /// `epsilonInside` puts ε under the square root, `betaSwapped` weighs the
    /// new gradient by β instead of 1 − β), to produce hints.
    static func adamReference(
        _ p: [Double], _ g: [Double], _ m: [Double], _ v: [Double], t: Int, lr: Double, b1: Double, b2: Double,
        eps: Double, correct: Bool = true, epsilonInside: Bool = false, betaSwapped: Bool = false
    ) -> (parameter: [Double], m: [Double], v: [Double]) {
        var p1 = p, m1 = m, v1 = v
        for i in p.indices {
            m1[i] = betaSwapped ? (1 - b1) * m[i] + b1 * g[i] : b1 * m[i] + (1 - b1) * g[i]
            v1[i] = betaSwapped ? (1 - b2) * v[i] + b2 * g[i] * g[i] : b2 * v[i] + (1 - b2) * g[i] * g[i]
            let mHat = correct ? m1[i] / (1 - pow(b1, Double(t))) : m1[i]
            let vHat = correct ? v1[i] / (1 - pow(b2, Double(t))) : v1[i]
            let denominator = epsilonInside ? (vHat + eps).squareRoot() : vHat.squareRoot() + eps
            p1[i] = p[i] - lr * mHat / denominator
        }
        return (p1, m1, v1)
    }

    /// Exercise 2.3: three consecutive steps (t = 1, 2, 3) from zero moments,
    /// then single steps at t = 10 and t = 2 from given moments, compared
    /// with the written-out equations.
    public static func adamStep(_ candidate: AdamUpdate) throws -> GradeReport {
        var report = GradeReport()
        var rng = SeededRandom(seed: 2303)
        struct Case { var p, g, m, v: [Double]; var t: Int; var lr, b1, b2, eps: Double; var note: String }
        var cases: [Case] = []
        // A run from zero moments with PyTorch's defaults; each step starts
        // from the grader's own state, so one mistake is not compounded.
        var p = (0..<5).map { _ in rng.uniform(-1, 1) }
        var m = [Double](repeating: 0, count: 5), v = m
        for t in 1...3 {
            let g = (0..<5).map { _ in rng.uniform(-2, 2) }
            cases.append(Case(p: p, g: g, m: m, v: v, t: t, lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8,
                              note: "step \(t) from zero moments"))
            (p, m, v) = adamReference(p, g, m, v, t: t, lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8)
        }
        // Step 10 with given moments and other hyperparameters.
        cases.append(Case(
            p: [0.5, -1.25, 2, 0], g: [0.3, -0.7, 0.05, -1.5], m: [0.1, -0.2, 0.02, -0.4], v: [0.04, 0.3, 0.001, 1.2],
            t: 10, lr: 0.05, b1: 0.8, b2: 0.99, eps: 1e-6, note: "step 10 with β₁ = 0.8, β₂ = 0.99"))
        // A large ε next to tiny gradients, where √v̂ + ε and √(v̂ + ε) differ.
        cases.append(Case(
            p: [1, -1, 0.25], g: [1e-4, -3e-4, 2e-3], m: [5e-5, -1e-4, 1e-3], v: [1e-8, 4e-8, 3e-6],
            t: 2, lr: 0.1, b1: 0.9, b2: 0.999, eps: 1e-3, note: "step 2 with small gradients and ε = 1e-3"))
        for c in cases {
            let want = adamReference(c.p, c.g, c.m, c.v, t: c.t, lr: c.lr, b1: c.b1, b2: c.b2, eps: c.eps)
            let got = try candidate(c.p, c.g, c.m, c.v, c.t, c.lr, c.b1, c.b2, c.eps)
            let k = c.p.count
            let setting = "\(c.note): θ = \(Grade.show(c.p)), g = \(Grade.show(c.g)), m = \(Grade.show(c.m)), "
                + "v = \(Grade.show(c.v)), t = \(c.t), η = \(c.lr), β₁ = \(c.b1), β₂ = \(c.b2), ε = \(c.eps)"
            guard got.parameter.count == k, got.m.count == k, got.v.count == k else {
                report.check(false, "\(setting): θ, m and v must each have \(k) entries, got "
                    + "\(got.parameter.count), \(got.m.count), \(got.v.count)")
                continue
            }
            let tol = 1e-10
            let momentsOK = Grade.close(got.m, want.m, tol) && Grade.close(got.v, want.v, tol)
            let parameterOK = Grade.close(got.parameter, want.parameter, tol)
            var hint = ""
            if momentsOK, !parameterOK {
                let uncorrected = adamReference(c.p, c.g, c.m, c.v, t: c.t, lr: c.lr, b1: c.b1, b2: c.b2, eps: c.eps,
                                                correct: false)
                let inside = adamReference(c.p, c.g, c.m, c.v, t: c.t, lr: c.lr, b1: c.b1, b2: c.b2, eps: c.eps,
                                           epsilonInside: true)
                if Grade.close(got.parameter, uncorrected.parameter, tol) {
                    hint = " — this is the update without bias correction: divide by 1 − β₁ᵗ and 1 − β₂ᵗ "
                        + "(m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)) before the update"
                } else if Grade.close(got.parameter, inside.parameter, tol) {
                    hint = " — ε is inside the square root: the denominator is √v̂ + ε, not √(v̂ + ε)"
                } else {
                    hint = " — m and v are right, so look at the update θ − η·m̂/(√v̂ + ε) "
                        + "(which moment is on top, the bias corrections, where ε goes)"
                }
            } else if !momentsOK {
                let swapped = adamReference(c.p, c.g, c.m, c.v, t: c.t, lr: c.lr, b1: c.b1, b2: c.b2, eps: c.eps,
                                            betaSwapped: true)
                if Grade.close(got.m, swapped.m, tol) || Grade.close(got.v, swapped.v, tol) {
                    hint = " — you weighed the new gradient by β: it is m ← β₁·m + (1 − β₁)·g "
                        + "and v ← β₂·v + (1 − β₂)·g² (β keeps the old average)"
                } else if Grade.close(got.m, want.v, tol) && Grade.close(got.v, want.m, tol) {
                    hint = " — m and v are swapped: m averages g, v averages g²"
                } else {
                    hint = " — return m and v after the update, without the bias correction"
                }
            }
            report.check(
                momentsOK && parameterOK,
                "\(setting): expected θ = \(Grade.show(want.parameter)), m = \(Grade.show(want.m)), "
                    + "v = \(Grade.show(want.v)); got θ = \(Grade.show(got.parameter)), m = \(Grade.show(got.m)), "
                    + "v = \(Grade.show(got.v))" + hint)
        }
        return report
    }

    /// Exercise 2.4: finite differences of L = Σᵢₒ dyᵢₒ·yᵢₒ, y = x·Wᵀ + b
    /// (whose gradient with respect to y is dy), with respect to x, W and b.
    public static func linearBackward(_ candidate: LinearBackward) throws -> GradeReport {
        var report = GradeReport()
        var rng = SeededRandom(seed: 2404)
        for (n, inputs, outputs) in [(1, 1, 1), (3, 4, 2), (5, 2, 3)] {
            func matrix(_ r: Int, _ c: Int) -> [[Double]] { (0..<r).map { _ in (0..<c).map { _ in rng.uniform(-2, 2) } } }
            let x = matrix(n, inputs), w = matrix(outputs, inputs), dy = matrix(n, outputs)
            let b = (0..<outputs).map { _ in rng.uniform(-1, 1) }
            func loss(_ x: [[Double]], _ w: [[Double]], _ b: [Double]) -> Double {
                var total = 0.0
                for i in 0..<n {
                    for o in 0..<outputs {
                        let y = zip(x[i], w[o]).map { $0 * $1 }.reduce(b[o], +)
                        total += dy[i][o] * y
                    }
                }
                return total
            }
            func rows(_ t: Tensor<Double>, _ c: Int) -> [[Double]] {
                stride(from: 0, to: t.count, by: c).map { Array(t.scalars[$0..<($0 + c)]) }
            }
            let nx = GradientCheck.numericalGradient(
                of: { loss(rows($0, inputs), w, b) }, at: Tensor(x.flatMap { $0 })).scalars
            let nw = GradientCheck.numericalGradient(
                of: { loss(x, rows($0, inputs), b) }, at: Tensor(w.flatMap { $0 })).scalars
            let nb = GradientCheck.numericalGradient(of: { loss(x, w, $0.scalars) }, at: Tensor(b)).scalars
            let got = try candidate(x, w, dy)
            let setting = "for n = \(n), in = \(inputs), out = \(outputs)"
            let dxShape = got.dx.count == n && got.dx.allSatisfy { $0.count == inputs }
            let dwShape = got.dWeight.count == outputs && got.dWeight.allSatisfy { $0.count == inputs }
            report.check(dxShape, "\(setting): dx must be n × in = \(n) × \(inputs), got \(got.dx.count) rows of "
                + "\(got.dx.map(\.count))")
            report.check(dwShape, "\(setting): dW must be out × in = \(outputs) × \(inputs) like W, got "
                + "\(got.dWeight.count) rows of \(got.dWeight.map(\.count))"
                + (got.dWeight.count == inputs && got.dWeight.allSatisfy { $0.count == outputs }
                    ? " — dW is transposed: it is dyᵀ·x, not xᵀ·dy" : ""))
            report.check(got.dBias.count == outputs, "\(setting): db must have \(outputs) entries, got \(got.dBias.count)")
            if dxShape {
                let flat = got.dx.flatMap { $0 }
                report.check(Grade.close(flat, nx, 1e-6),
                    "\(setting): expected dx ≈ \(Grade.show(nx)) (row-major; finite differences), got \(Grade.show(flat))")
            }
            if dwShape {
                let flat = got.dWeight.flatMap { $0 }
                report.check(Grade.close(flat, nw, 1e-6),
                    "\(setting): expected dW ≈ \(Grade.show(nw)) (row-major; finite differences), got \(Grade.show(flat))")
            }
            if got.dBias.count == outputs {
                report.check(Grade.close(got.dBias, nb, 1e-6),
                    "\(setting): expected db ≈ \(Grade.show(nb)) (finite differences), got \(Grade.show(got.dBias))"
                        + (n > 1 && Grade.close(got.dBias.map { $0 * Double(n) }, nb, 1e-6)
                            ? " — db is a sum over rows, not a mean" : ""))
            }
        }
        return report
    }
}
