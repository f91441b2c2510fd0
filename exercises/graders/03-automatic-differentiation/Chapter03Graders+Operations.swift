// Graders of exercises 3.4 (find the bug in a log-sum-exp operation's
// backward closure) and 3.5 (elementwise maximum with its backward). Both
// run the student's operation on the engine's tape and compare the leaf
// gradients it produces with centered finite differences of the grader's
// own forward formulas, under a *weighted* loss L = Σ w ⊙ y: a check with
// L = Σ y seeds every output with the same gradient and hides a backward
// that ignores g.

import AutomaticDifferentiation
import BackpropCore
import ExerciseKit
import Foundation

public typealias RowLogSumExp = (Variable<Double>) throws -> Variable<Double>
public typealias ElementwiseMaximum = (Variable<Double>, Variable<Double>) throws -> Variable<Double>

extension Chapter03Graders {
    /// log Σⱼ e^xⱼ of one row, stable.
    static func logSumExp(_ row: [Double]) -> Double {
        let m = row.max()!
        return m + log(row.map { exp($0 - m) }.reduce(0, +))
    }

    /// Exercise 3.4: values against the definition (also at ±1000), and
    /// ∂/∂x of Σᵢ wᵢ·lse(xᵢ) against centered finite differences, with x a
    /// leaf and with x computed from a leaf.
    public static func findTheClosureBug(_ candidate: RowLogSumExp) throws -> GradeReport {
        var report = GradeReport()
        var rng = SeededRandom(seed: 3404)
        var cases: [(n: Int, c: Int, x: [Double], through: Bool)] = []
        for (n, c) in [(1, 4), (3, 5), (4, 3)] {
            cases.append((n, c, (0..<(n * c)).map { _ in rng.uniform(-3, 3) }, false))
        }
        cases.append((2, 3, [1000, 999, 998, -1000, -1001, -999], false))
        cases.append((3, 2, (0..<6).map { _ in rng.uniform(-2, 2) }, true))
        for (n, c, x, through) in cases {
            let w = (0..<n).map { _ in rng.uniform(0.5, 2) * (rng.uniform() < 0.5 ? -1 : 1) }
            let tape = Tape<Double>(backend: .naive)
            let leaf = tape.variable(try Tensor(shape: [n, c], scalars: x))
            let input = through ? leaf.scaled(by: 2) : leaf
            let y = try candidate(input)
            let setting = "x = \(Grade.show(x)) as \(n) rows of \(c)" + (through ? " (computed as 2·leaf)" : "")
            guard y.shape == [n] else {
                report.check(false, "\(setting): the output must have shape [\(n)], one number per row, got \(y.shape)")
                continue
            }
            let xin = through ? x.map { 2 * $0 } : x
            let want = (0..<n).map { logSumExp(Array(xin[($0 * c)..<($0 * c + c)])) }
            report.check(Grade.close(y.value.scalars, want, 1e-10),
                         "\(setting): log Σ eˣ of each row is \(Grade.show(want)), got \(Grade.show(y.value.scalars))")
            try (y * tape.constant(Tensor(w))).sum().backward()
            guard let grad = leaf.grad?.scalars else {
                report.check(false, "\(setting): no gradient reached x — record the operation with x as its input")
                continue
            }
            let scale = through ? 2.0 : 1.0
            func weighted(_ t: Tensor<Double>) -> Double {
                var total = 0.0
                for i in 0..<n {
                    let row: [Double] = t.scalars[(i * c)..<(i * c + c)].map { scale * $0 }
                    total += w[i] * logSumExp(row)
                }
                return total
            }
            let numeric = GradientCheck.numericalGradient(of: weighted, at: Tensor(x), step: 1e-6).scalars
            var hint = ""
            if !Grade.close(grad, numeric, 1e-6) {
                let firstOnly = (0..<(n * c)).map { k in numeric[k] / w[k / c] * w[0] }
                if n > 1, Grade.close(grad, firstOnly, 1e-6) {
                    hint = " — this is the code as given: every row is scaled by the first row's upstream gradient g[0]; "
                        + "row i must use g[i]. (A check with L = Σ y seeds every g[i] with 1 and cannot see this.)"
                }
            }
            report.check(Grade.close(grad, numeric, 1e-6),
                         "\(setting), L = Σᵢ wᵢ·yᵢ with w = \(Grade.show(w)): expected ∂L/∂x ≈ \(Grade.show(numeric)) "
                             + "(centered finite differences), got \(Grade.show(grad))" + hint)
        }
        return report
    }

    /// Exercise 3.5: values, finite differences away from ties, the tie rule
    /// (half the gradient to each side) on hand-worked cases, maximum(x, x),
    /// a constant operand, and a shape mismatch.
    public static func maximum(_ candidate: ElementwiseMaximum) throws -> GradeReport {
        var report = GradeReport()
        var rng = SeededRandom(seed: 3505)
        for count in [1, 5, 12] {
            var a: [Double] = [], b: [Double] = []
            for _ in 0..<count {  // keep |a − b| ≥ 0.1 so that a ± h never crosses b
                let x = rng.uniform(-2, 2), gap = rng.uniform(0.1, 1)
                a.append(x)
                b.append(rng.uniform() < 0.5 ? x + gap : x - gap)
            }
            let w = (0..<count).map { _ in rng.uniform(-2, 2) }
            let tape = Tape<Double>(backend: .naive)
            let va = tape.variable(Tensor(a)), vb = tape.variable(Tensor(b))
            let y = try candidate(va, vb)
            let want = zip(a, b).map { Swift.max($0, $1) }
            report.check(y.shape == [count] && Grade.close(y.value.scalars, want, 0),
                         "maximum(\(Grade.show(a)), \(Grade.show(b))) is \(Grade.show(want)), got \(Grade.show(y.value.scalars))")
            guard y.shape == [count] else { continue }
            try (y * tape.constant(Tensor(w))).sum().backward()
            let f = { (p: [Double], q: [Double]) in zip(zip(p, q), w).map { Swift.max($0.0, $0.1) * $1 }.reduce(0, +) }
            let na = GradientCheck.numericalGradient(of: { f($0.scalars, b) }, at: Tensor(a)).scalars
            let nb = GradientCheck.numericalGradient(of: { f(a, $0.scalars) }, at: Tensor(b)).scalars
            let ga = va.grad?.scalars ?? [], gb = vb.grad?.scalars ?? []
            var hint = ""
            if Grade.close(ga, nb, 1e-6), Grade.close(gb, na, 1e-6) {
                hint = " — the gradient went to the smaller operand; it belongs to the one that was chosen"
            } else if Grade.close(ga, na.enumerated().map { $1 == 0 ? 0 : 1 }, 1e-6) {
                hint = " — you ignored the upstream gradient g: multiply the mask by g"
            }
            report.check(Grade.close(ga, na, 1e-6) && Grade.close(gb, nb, 1e-6),
                         "L = Σ w ⊙ maximum(a, b) with a = \(Grade.show(a)), b = \(Grade.show(b)), w = \(Grade.show(w)): expected "
                             + "∂L/∂a ≈ \(Grade.show(na)), ∂L/∂b ≈ \(Grade.show(nb)), got \(Grade.show(ga)), \(Grade.show(gb))" + hint)
        }
        // Ties: the subgradient splits g evenly, as PyTorch's torch.maximum does.
        do {
            let tape = Tape<Double>(backend: .naive)
            let va = tape.variable(Tensor([1, 2, 3, -1])), vb = tape.variable(Tensor([1, 0, 3, 5]))
            let w: [Double] = [2, -1, 4, 3]
            try (try candidate(va, vb) * tape.constant(Tensor(w))).sum().backward()
            let ga = va.grad?.scalars ?? [], gb = vb.grad?.scalars ?? []
            let wantA: [Double] = [1, -1, 2, 0], wantB: [Double] = [1, 0, 2, 3]
            var hint = ""
            if Grade.close(ga, [2, -1, 4, 0], 1e-12) { hint = " — at a tie the whole gradient went to a; split it: g/2 to each" }
            if Grade.close(ga, [0, -1, 0, 0], 1e-12) { hint = " — at a tie neither operand got anything; split it: g/2 to each" }
            report.check(Grade.close(ga, wantA, 1e-12) && Grade.close(gb, wantB, 1e-12),
                         "ties: a = [1, 2, 3, −1], b = [1, 0, 3, 5], L = Σ w ⊙ maximum(a, b), w = [2, −1, 4, 3]: at a tie "
                             + "(aᵢ = bᵢ) each operand gets gᵢ/2, so ∂L/∂a = \(Grade.show(wantA)), ∂L/∂b = \(Grade.show(wantB)); got "
                             + "\(Grade.show(ga)), \(Grade.show(gb))" + hint)
        }
        // maximum(x, x) = x: the two halves add up in x's gradient.
        do {
            let tape = Tape<Double>(backend: .naive)
            let x = tape.variable(Tensor([0.5, -2, 3]))
            let w: [Double] = [1, 2, -3]
            try (try candidate(x, x) * tape.constant(Tensor(w))).sum().backward()
            let g = x.grad?.scalars ?? []
            report.check(Grade.close(g, w, 1e-12),
                         "maximum(x, x) is x, so ∂L/∂x = w = \(Grade.show(w)) (half from each operand, added by the engine); got \(Grade.show(g))")
        }
        // A constant operand: only the variable gets a gradient.
        do {
            let tape = Tape<Double>(backend: .naive)
            let x = tape.variable(Tensor([-1, 0.5, 2]))
            let y = try candidate(x, tape.constant(Tensor([0, 0, 0])))  // relu
            try y.sum().backward()
            let g = x.grad?.scalars ?? []
            report.check(Grade.close(y.value.scalars, [0, 0.5, 2], 0) && Grade.close(g, [0, 1, 1], 1e-12),
                         "maximum(x, 0) with 0 a constant is relu(x): for x = [−1, 0.5, 2] expected [0, 0.5, 2] and ∂/∂x = [0, 1, 1], "
                             + "got \(Grade.show(y.value.scalars)) and \(Grade.show(g))")
        }
        // Shapes that differ are an error, not a crash or a silent truncation.
        do {
            let tape = Tape<Double>(backend: .naive)
            var threw = false
            do { _ = try candidate(tape.variable(Tensor([1, 2])), tape.variable(Tensor([1, 2, 3]))) } catch { threw = true }
            report.check(threw, "maximum of shapes [2] and [3] must throw an error (this operation does not broadcast)")
        }
        return report
    }
}
