// Grader for exercise 2.5 (a gradient checker). The numerical gradient is
// compared with gradients known in closed form (never with the book's own
// checker), on a cubic whose centered difference is exact (3x² + h², where a
// one-sided one gives 3x² ± 3xh + h²), and every point the function is called
// at is recorded, to see that each perturbation is undone exactly. The
// relative error is checked on hand-worked cases.

import BackpropCore
import ExerciseKit
import Foundation

public typealias NumericalGradient = (([Double]) -> Double, [Double], Double) throws -> [Double]
public typealias RelativeError = ([Double], [Double]) throws -> Double

extension Chapter02Graders {
    /// Exercise 2.5: both functions; skipped only if neither is attempted.
    public static func gradientChecker(_ gradient: NumericalGradient, _ error: RelativeError) throws -> GradeReport {
        var report = GradeReport()
        var attempted = 0
        do {
            try numericalGradientChecks(gradient, into: &report)
            attempted += 1
        } catch is NotAttempted {
            report.failures.append("numericalGradient(of:at:step:) still throws NotAttempted: write it too")
        }
        do {
            try relativeErrorChecks(error, into: &report)
            attempted += 1
        } catch is NotAttempted {
            report.failures.append("relativeError(analytic:numerical:) still throws NotAttempted: write it too")
        }
        if attempted == 0 { throw NotAttempted() }
        return report
    }

    static func numericalGradientChecks(_ candidate: NumericalGradient, into report: inout GradeReport) throws {
        var rng = SeededRandom(seed: 2505)
        // Functions whose gradients are known in closed form.
        let m: [[Double]] = [[2, 0.5, -1, 0], [0.5, 3, 0.25, 1], [-1, 0.25, 1.5, -0.5], [0, 1, -0.5, 4]]
        let b: [Double] = [0.3, -1.2, 0.7, 2]
        func sinSquare(_ x: [Double]) -> Double { x.map { $0 * $0 * sin($0) }.reduce(0, +) }
        func sinSquareGradient(_ x: [Double]) -> [Double] { x.map { 2 * $0 * sin($0) + $0 * $0 * cos($0) } }
        func quadratic(_ x: [Double]) -> Double {
            var total = 0.0
            for i in 0..<4 { total += x[i] * (0.5 * zip(m[i], x).map { $0 * $1 }.reduce(0, +) + b[i]) }
            return total
        }
        func quadraticGradient(_ x: [Double]) -> [Double] { (0..<4).map { i in zip(m[i], x).map { $0 * $1 }.reduce(b[i], +) } }
        func logSumExp(_ x: [Double]) -> Double { log(x.map(exp).reduce(0, +)) }
        func softmax(_ x: [Double]) -> [Double] { let total = x.map(exp).reduce(0, +); return x.map { exp($0) / total } }
        func exponential(_ x: [Double]) -> Double { exp(x[0]) }
        func exponentialGradient(_ x: [Double]) -> [Double] { [exp(x[0])] }
        let first: [Double] = (0..<5).map { _ in rng.uniform(-2, 2) }, second: [Double] = (0..<4).map { _ in rng.uniform(-1, 1) }
        let known: [(name: String, x: [Double], f: ([Double]) -> Double, grad: ([Double]) -> [Double])] = [
            ("f(x) = Σ xᵢ² sin xᵢ", first, sinSquare, sinSquareGradient),
            ("f(x) = ½ xᵀMx + bᵀx (M symmetric)", second, quadratic, quadraticGradient),
            ("f(x) = log Σ exp xᵢ", [0.5, -1, 2], logSumExp, softmax),
            ("f(x) = exp x (one coordinate)", [0.75], exponential, exponentialGradient),
        ]
        for c in known {
            let want = c.grad(c.x)
            let got = try candidate(c.f, c.x, 1e-6)
            report.check(got.count == want.count && Grade.close(got, want, 1e-6),
                "\(c.name) at x = \(Grade.show(c.x)) with h = 1e-6: expected ≈ \(Grade.show(want)) (the exact gradient), "
                    + "got \(Grade.show(got))")
        }
        // A cubic with large steps: the centered difference of c·x³ is exactly 3c·x² + c·h².
        let cs = [1.0, -2, 0.5], x = [1.5, -0.5, 2]
        for h in [0.1, 0.05] {
            func cubic(_ v: [Double]) -> Double {
                var total = 0.0
                for i in v.indices { total += cs[i] * v[i] * v[i] * v[i] }
                return total
            }
            let got = try candidate(cubic, x, h)
            let want: [Double] = x.indices.map { i in 3 * cs[i] * x[i] * x[i] + cs[i] * h * h }
            var hint = ""
            if got.count == want.count, !Grade.close(got, want, 1e-9) {
                let forward: [Double] = x.indices.map { i in want[i] + 3 * cs[i] * x[i] * h }
                let backward: [Double] = x.indices.map { i in want[i] - 3 * cs[i] * x[i] * h }
                if Grade.close(got, forward, 1e-6) || Grade.close(got, backward, 1e-6) {
                    hint = " — this is a one-sided difference (error 3c·x·h, of order h); the centered one's error is c·h²"
                } else if Grade.close(got, want.map { $0 * 2 }, 1e-6) {
                    hint = " — twice the answer: the two points are 2h apart, so divide by 2h, not h"
                } else if Grade.close(got, want.map { $0 / 2 }, 1e-6) {
                    hint = " — half the answer: divide the difference by 2h once"
                } else if Grade.close(got, x.indices.map { i in want[i] - cs[i] * h * h }, 1e-4) {
                    hint = " — this is the exact derivative, as if h were tiny: use the step argument h as given"
                }
            }
            report.check(got.count == want.count && Grade.close(got, want, 1e-9),
                "the cubic f(x) = Σ cᵢxᵢ³, c = \(Grade.show(cs)), at x = \(Grade.show(x)) with h = \(h): the centered "
                    + "difference is exactly 3cᵢxᵢ² + cᵢh² = \(Grade.show(want)), got \(Grade.show(got))" + hint)
        }
        // Restoration: every point f sees must be x with one coordinate moved.
        // (With these values, x + h − 2h + h is not x again in Double.)
        let point = [1.0 / 3, 0.7, 2.9, -1.3, 1.1]
        var seen: [[Double]] = []
        let got = try candidate({ v in seen.append(v); return v.map { $0 * $0 }.reduce(0, +) }, point, 1e-6)
        report.check(got.count == point.count,
            "the gradient of f(x) = Σ xᵢ² at a point with \(point.count) coordinates must have \(point.count) entries, got \(got.count)")
        var moved = Set<Int>()
        for v in seen {
            let changed = point.indices.filter { v.count != point.count || v[$0] != point[$0] }
            guard changed.count <= 1 else {
                let leaked = changed.dropLast().first.map { "coordinate \($0) is \(v[$0]) instead of \(point[$0])" } ?? ""
                report.check(false,
                    "f(x) = Σ xᵢ² at x = \(Grade.show(point)): f was called at a point where coordinates \(changed) all "
                        + "differ from x (\(leaked)): a perturbed coordinate was not restored exactly — restore it from a "
                        + "saved copy of its value; adding h and subtracting it again does not give the same Double back")
                break
            }
            moved.formUnion(changed)
        }
        report.check(seen.isEmpty || moved == Set(point.indices),
            "f(x) = Σ xᵢ² at x = \(Grade.show(point)): f should see every coordinate moved, but only \(moved.sorted()) were")
    }

    static func relativeErrorChecks(_ candidate: RelativeError, into report: inout GradeReport) throws {
        // (analytic, numerical) → expected, worked by hand, with the reason.
        let cases: [([Double], [Double], Double, String)] = [
            ([1, 2], [1, 2], 0, "equal gradients have error 0"),
            ([2], [1], 1.0 / 3, "|2 − 1| / (|2| + |1|) = 1/3: the denominator is |a| + |n|"),
            ([1, 1, 1, 1], [1, 1, 1, 2], 1.0 / 3, "the worst entry counts (1/3), not the mean over entries (1/12)"),
            ([0.5, -2, 4], [0.6, -2, 4.1], 0.1 / 1.1, "the worst entry is the first, 0.1/1.1 (a small gradient's error weighs more)"),
            ([1], [-1], 1, "opposite signs: |1 − (−1)| / (|1| + |−1|) = 1"),
            ([0, 0], [0, 0], 0, "two zero gradients: 0/max(10⁻⁸, 0) = 0, not NaN"),
            ([1e-9, 3], [0, 3], 0.1, "the 10⁻⁸ floor: |10⁻⁹ − 0| / max(10⁻⁸, 10⁻⁹) = 0.1"),
            ([3e-9], [-1e-9], 0.4, "below the floor: 4·10⁻⁹ / max(10⁻⁸, 4·10⁻⁹) = 0.4"),
        ]
        for (a, n, want, why) in cases {
            let got = try candidate(a, n)
            var hint = ""
            if !(abs(got - want) <= 1e-12 * max(1, want)) {
                if got.isNaN { hint = " — NaN: 0/0; keep the denominator at least 10⁻⁸" }
                else if abs(got - 1) < 1e-12, want == 0.1 { hint = " — you left out the 10⁻⁸ floor of the denominator" }
                else if abs(got - 1.0 / 12) < 1e-12 { hint = " — this is the mean over entries; take the maximum" }
            }
            report.check(abs(got - want) <= 1e-12 * max(1, want),
                "\(why): for a = \(Grade.show(a)), n = \(Grade.show(n)) expected \(want), got \(got)" + hint)
        }
    }
}
