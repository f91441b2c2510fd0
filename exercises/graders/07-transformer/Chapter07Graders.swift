// Graders for chapter 7's exercises. Expected values come from definitions,
// never from the code being graded: attention from explicit loops over the
// unmasked positions here (plus hand-worked cases, the mask, row sums and a
// case with scores in the thousands); LayerNorm's gradients from centered
// finite differences of L = Σ dy ⊙ LayerNorm(x) and its two invariances;
// the positional encoding from the paper's formula, a hand-worked case and
// the rotation property.

import BackpropCore
import ExerciseKit
import Foundation
import Graders06

public typealias CausalAttention = ([[Double]], [[Double]], [[Double]]) throws -> (output: [[Double]], weights: [[Double]])
public typealias LayerNormBackward = ([[Double]], [Double], [[Double]], Double) throws
    -> (dx: [[Double]], dGamma: [Double], dBeta: [Double])
public typealias PositionalEncoding = (Int, Int) throws -> [[Double]]

public enum Chapter07Graders {
    static func show(_ m: [[Double]]) -> String { Grade.show(m) }
    static func shape(_ m: [[Double]]) -> String { Grade.shape(m) }
    static func hasShape(_ m: [[Double]], _ r: Int, _ c: Int) -> Bool { Grade.hasShape(m, r, c) }
    static func close(_ a: [[Double]], _ b: [[Double]], _ tol: Double) -> Bool { Grade.close(a, b, tol) }

    // MARK: - 7.1 Causal attention

    enum ScoreScale { case sqrtD, d, none }

    /// Attention written out with explicit loops. The variants (`masked:
    /// false`, another scale, `maskAfterSoftmax` zeroing the future after a
    /// full softmax without renormalising) produce hints.
    static func attentionReference(
        _ q: [[Double]], _ k: [[Double]], _ v: [[Double]], masked: Bool = true, scale: ScoreScale = .sqrtD,
        maskAfterSoftmax: Bool = false
    ) -> (output: [[Double]], weights: [[Double]]) {
        let t = q.count, d = Double(q[0].count), dv = v[0].count
        var weights = [[Double]](repeating: [Double](repeating: 0, count: t), count: t)
        var output = [[Double]](repeating: [Double](repeating: 0, count: dv), count: t)
        for i in 0..<t {
            let visible = masked && !maskAfterSoftmax ? i + 1 : t
            var scores = [Double](repeating: 0, count: visible)
            for j in 0..<visible {
                var dot = 0.0
                for c in q[i].indices { dot += q[i][c] * k[j][c] }
                switch scale {
                case .sqrtD: scores[j] = dot / d.squareRoot()
                case .d: scores[j] = dot / d
                case .none: scores[j] = dot
                }
            }
            let top = scores.max()!
            var total = 0.0
            for j in 0..<visible { total += exp(scores[j] - top) }
            for j in 0..<visible where !(maskAfterSoftmax && j > i) {
                weights[i][j] = exp(scores[j] - top) / total
                for c in 0..<dv { output[i][c] += weights[i][j] * v[j][c] }
            }
        }
        return (output, weights)
    }

    struct AttentionCase {
        var q, k, v: [[Double]]
        var expected: (output: [[Double]], weights: [[Double]])?
        var note: String
    }

    static var attentionCases: [AttentionCase] {
        let ln3 = log(3.0)
        var cases = [
            // Row 0 sees only itself; row 1: scores [0, ln 3] → [1/4, 3/4], out = 1/4 + 15/4 = 4.
            AttentionCase(q: [[1], [1]], k: [[0], [ln3]], v: [[1], [5]],
                          expected: ([[1], [4]], [[1, 0], [0.25, 0.75]]), note: "hand-worked, T = 2, d = 1"),
            // d = 4, √d = 2: q₁·k₁ = 2 ln 3, so s₁₁ = ln 3 and A₁ = [1/4, 3/4]
            // (unscaled: [1/10, 9/10]). Row 2: all scores 0 → [1/3, 1/3, 1/3].
            AttentionCase(q: [[1, 0, 2, 0], [ln3, ln3, 0, 0], [0, 0, 0, 0]],
                          k: [[0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 5, 5]],
                          v: [[4, 0], [0, 8], [2, 2]],
                          expected: ([[4, 0], [1, 6], [2, 10.0 / 3]], [[1, 0, 0], [0.25, 0.75, 0], [1.0 / 3, 1.0 / 3, 1.0 / 3]]),
                          note: "hand-worked, T = 3, d = 4 (scores divided by √4 = 2)"),
        ]
        var rng = SeededRandom(seed: 6101)
        for (t, d, dv) in [(4, 3, 2), (6, 8, 5), (5, 2, 3)] {
            cases.append(AttentionCase(q: Chapter06Graders.matrix(&rng, t, d, 1.5), k: Chapter06Graders.matrix(&rng, t, d, 1.5),
                                       v: Chapter06Graders.matrix(&rng, t, dv, 2), note: "random, T = \(t), d = \(d)"))
        }
        cases.append(AttentionCase(q: Chapter06Graders.matrix(&rng, 4, 4, 40), k: Chapter06Graders.matrix(&rng, 4, 4, 40),
                                   v: Chapter06Graders.matrix(&rng, 4, 3, 1),
                                   note: "large scores (entries up to ±40, scores up to ±3200)"))
        return cases
    }

    /// Exercise 7.1: the mask, the row sums, then the weights and the output
    /// against explicit loops or hand-worked values, with hints for no mask,
    /// the wrong scale, masking after the softmax and overflow.
    public static func causalAttention(_ candidate: CausalAttention) throws -> GradeReport {
        var report = GradeReport()
        for c in attentionCases {
            let (t, dv) = (c.q.count, c.v[0].count)
            let want = c.expected ?? attentionReference(c.q, c.k, c.v)
            let small = t * c.q[0].count <= 12
            let setting = c.note + (small ? ": Q = \(show(c.q)), K = \(show(c.k)), V = \(show(c.v))" : "")
            let got = try candidate(c.q, c.k, c.v)
            guard hasShape(got.weights, t, t), hasShape(got.output, t, dv) else {
                report.check(false, "\(setting): the weights must be T × T = \(t) × \(t) and the output T × d_v = "
                    + "\(t) × \(dv), got \(shape(got.weights)) and \(shape(got.output))")
                continue
            }
            let flat = got.weights.flatMap { $0 } + got.output.flatMap { $0 }
            if flat.contains(where: { !$0.isFinite }) {
                report.check(false, "\(setting): NaN or ∞ in the result — e^s overflowed (e^710 = ∞ in Double); "
                    + "subtract each row's largest unmasked score before exponentiating")
                continue
            }
            let future = (0..<t).flatMap { i in ((i + 1)..<t).map { (i, $0) } }.filter { got.weights[$0.0][$0.1] != 0 }
            var maskHint = ""
            if !future.isEmpty, close(got.weights, attentionReference(c.q, c.k, c.v, masked: false).weights, 1e-9) {
                maskHint = " — you did not mask at all"
            }
            report.check(future.isEmpty, "\(setting): position i must not attend to a later position j > i, so "
                + "A[i][j] must be exactly 0 above the diagonal; got nonzero weights at (i, j) = "
                + future.prefix(4).map { "(\($0.0), \($0.1)): \(got.weights[$0.0][$0.1])" }.joined(separator: ", ")
                + maskHint)
            let sums = got.weights.map { $0.reduce(0, +) }
            var sumHint = ""
            if close(got.weights, attentionReference(c.q, c.k, c.v, maskAfterSoftmax: true).weights, 1e-9) {
                sumHint = " — you zeroed the future after a softmax over the whole row; mask the scores with −∞ "
                    + "BEFORE the softmax so the visible weights are renormalised"
            }
            report.check(sums.allSatisfy { abs($0 - 1) < 1e-9 }, "\(setting): each row of A is a softmax and must "
                + "sum to 1, got row sums \(Grade.show(sums))" + sumHint)
            var hint = ""
            if !close(got.weights, want.weights, 1e-9) {
                if close(got.weights, attentionReference(c.q, c.k, c.v, scale: .none).weights, 1e-9) {
                    hint = " — you did not scale the scores: divide qᵢ·kⱼ by √d"
                } else if close(got.weights, attentionReference(c.q, c.k, c.v, scale: .d).weights, 1e-9) {
                    hint = " — you divided the scores by d; divide by √d"
                } else if close(got.weights.map { $0 }, (0..<t).map { i in (0..<t).map { want.weights[$0][i] } }, 1e-9) {
                    hint = " — your A is transposed: row i holds the weights position i gives to positions j ≤ i"
                }
            }
            report.check(close(got.weights, want.weights, 1e-9),
                         "\(setting): expected A = \(show(want.weights)), got \(show(got.weights))" + hint)
            var outputHint = ""
            if close(got.weights, want.weights, 1e-9), !close(got.output, want.output, 1e-9) {
                outputHint = " — A is right, so look at outᵢ = Σⱼ Aᵢⱼ·vⱼ (row i of A times V)"
            }
            report.check(close(got.output, want.output, 1e-9),
                         "\(setting): expected output = \(show(want.output)), got \(show(got.output))" + outputHint)
        }
        return report
    }

    // MARK: - 7.2 LayerNorm backward

    /// LayerNorm's forward pass (`unbiased` divides by D − 1, a hint variant).
    static func layerNorm(_ x: [[Double]], _ gamma: [Double], _ beta: [Double], _ eps: Double, unbiased: Bool = false)
        -> [[Double]]
    {
        x.map { row in
            let mean = row.reduce(0, +) / Double(row.count)
            let squares = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
            let variance = squares / Double(unbiased ? row.count - 1 : row.count)
            return row.indices.map { gamma[$0] * (row[$0] - mean) / (variance + eps).squareRoot() + beta[$0] }
        }
    }

    static func xhat(_ x: [[Double]], _ eps: Double) -> [[Double]] {
        let width = x[0].count
        return layerNorm(x, [Double](repeating: 1, count: width), [Double](repeating: 0, count: width), eps)
    }

    struct LayerNormCase {
        var x: [[Double]]
        var gamma, beta: [Double]
        var dy: [[Double]]
        var epsilon: Double
        var note: String
    }

    static var layerNormCases: [LayerNormCase] {
        var rng = SeededRandom(seed: 6202)
        var cases: [LayerNormCase] = []
        for (n, width, eps, spread, note) in [(1, 4, 0.0, 1.0, "one row, ε = 0"), (3, 5, 1e-5, 2.0, "random, ε = 1e-5"),
                                              (4, 3, 0.0, 1.0, "random, ε = 0"),
                                              (2, 6, 1e-2, 0.1, "small spread (σ ≈ 0.06) next to ε = 0.01")] {
            let offsets = (0..<n).map { _ in rng.uniform(-3, 3) }
            cases.append(LayerNormCase(
                x: (0..<n).map { i in (0..<width).map { _ in offsets[i] + spread * rng.uniform(-1, 1) } },
                gamma: (0..<width).map { _ in rng.uniform(0.5, 2) }, beta: (0..<width).map { _ in rng.uniform(-1, 1) },
                dy: Chapter06Graders.matrix(&rng, n, width, 2), epsilon: eps, note: note))
        }
        return cases
    }

    static func numeric(_ v: [Double], _ f: @escaping ([Double]) -> Double) -> [Double] {
        GradientCheck.numericalGradient(of: { f($0.scalars) }, at: Tensor(v)).scalars
    }

    /// Exercise 7.2: dx, dγ, dβ against finite differences of
    /// L = Σ dy ⊙ LayerNorm(x), the row sums of dx and (for ε = 0) its
    /// orthogonality to x̂, with hints for the mistakes recognised.
    public static func layerNormBackward(_ candidate: LayerNormBackward) throws -> GradeReport {
        var report = GradeReport()
        for c in layerNormCases {
            let (n, width) = (c.x.count, c.gamma.count)
            func loss(_ x: [[Double]], _ gamma: [Double], _ beta: [Double], unbiased: Bool = false) -> Double {
                zip(layerNorm(x, gamma, beta, c.epsilon, unbiased: unbiased), c.dy)
                    .map { zip($0, $1).map { $0 * $1 }.reduce(0, +) }.reduce(0, +)
            }
            let wantDx = numeric(c.x.flatMap { $0 }) { loss(Chapter06Graders.rows($0, width), c.gamma, c.beta) }
            let wantDGamma = numeric(c.gamma) { loss(c.x, $0, c.beta) }
            let wantDBeta = numeric(c.beta) { loss(c.x, c.gamma, $0) }
            let setting = "\(c.note): x = \(show(c.x)), γ = \(Grade.show(c.gamma)), dy = \(show(c.dy)), ε = \(c.epsilon)"
            let got = try candidate(c.x, c.gamma, c.dy, c.epsilon)
            let xh = xhat(c.x, c.epsilon)
            if hasShape(got.dx, n, width) {
                let flat = got.dx.flatMap { $0 }
                let rowSums = got.dx.map { $0.reduce(0, +) }
                let scale = max(1, flat.map(abs).max()!)
                report.check(rowSums.allSatisfy { abs($0) < 1e-8 * scale },
                             "\(setting): each row of dx must sum to 0 (LayerNorm's output does not change when a row "
                                 + "is shifted by a constant), got row sums \(Grade.show(rowSums)) — the gradient through "
                                 + "the mean μ is missing")
                if c.epsilon == 0 {
                    let dots = zip(got.dx, xh).map { zip($0, $1).map { $0 * $1 }.reduce(0, +) }
                    report.check(dots.allSatisfy { abs($0) < 1e-8 * scale },
                                 "\(setting): with ε = 0 each row of dx must be orthogonal to its x̂ (the output does "
                                     + "not change when a row is scaled), got dxᵢ·x̂ᵢ = \(Grade.show(dots)) — the "
                                     + "gradient through the variance σ² is missing")
                }
                var hint = ""
                if !Grade.close(flat, wantDx, 1e-5) {
                    let unbiased = numeric(c.x.flatMap { $0 }) {
                        loss(Chapter06Graders.rows($0, width), c.gamma, c.beta, unbiased: true)
                    }
                    let r = c.x.map { row -> Double in
                        let mean = row.reduce(0, +) / Double(width)
                        return 1 / (row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width) + c.epsilon).squareRoot()
                    }
                    let constants = (0..<n).flatMap { i in (0..<width).map { r[i] * c.dy[i][$0] * c.gamma[$0] } }
                    if Grade.close(flat, constants, 1e-6) {
                        hint = " — you treated μ and σ as constants (dx = γ·dy/σ); they depend on x, and their "
                            + "gradients add the two mean terms"
                    } else if Grade.close(flat, unbiased, 1e-5) {
                        hint = " — you used the unbiased variance (÷ (D − 1)); LayerNorm divides by D"
                    } else if Grade.close(flat, (0..<n).flatMap { i in (0..<width).map { j in r[i] * c.dy[i][j] * c.gamma[j]
                        - r[i] * (0..<width).map { c.dy[i][$0] * c.gamma[$0] }.reduce(0, +) / Double(width) } }, 1e-6) {
                        hint = " — the path through σ² is missing: subtract x̂ᵢⱼ·mean(g ⊙ x̂ᵢ) as well"
                    }
                }
                report.check(Grade.close(flat, wantDx, 1e-5), "\(setting): expected dx ≈ \(Grade.show(wantDx)) "
                    + "(row-major; finite differences of Σ dy·y), got \(Grade.show(flat))" + hint)
            } else {
                report.check(false, "\(setting): dx must have x's shape \(n) × \(width), got \(shape(got.dx))")
            }
            if got.dGamma.count == width {
                report.check(Grade.close(got.dGamma, wantDGamma, 1e-6), "\(setting): expected dγ = Σᵢ dyᵢ ⊙ x̂ᵢ ≈ "
                    + "\(Grade.show(wantDGamma)), got \(Grade.show(got.dGamma))"
                    + (Grade.close(got.dGamma, zip(c.dy, xh).reduce([Double](repeating: 0, count: width)) { acc, p in
                        zip(acc, p.1).map { $0 + $1 } }, 1e-6) ? " — you summed x̂ alone; dγ = Σᵢ dyᵢⱼ·x̂ᵢⱼ" : ""))
            } else {
                report.check(false, "\(setting): dγ must have D = \(width) entries (one per feature, summed over the "
                    + "\(n) rows), got \(got.dGamma.count)")
            }
            if got.dBeta.count == width {
                report.check(Grade.close(got.dBeta, wantDBeta, 1e-6), "\(setting): expected dβ = Σᵢ dyᵢ ≈ "
                    + "\(Grade.show(wantDBeta)), got \(Grade.show(got.dBeta))"
                    + (n > 1 && Grade.close(got.dBeta.map { $0 * Double(n) }, wantDBeta, 1e-6)
                        ? " — dβ is a sum over rows, not a mean" : ""))
            } else {
                report.check(false, "\(setting): dβ must have D = \(width) entries, got \(got.dBeta.count)")
            }
        }
        return report
    }

    // MARK: - 7.3 Positional encoding

    /// How a wrong answer may compute the exponent of 10000 for an entry.
    enum Exponent { case paper, pairOverD, entryOverD }

    /// The paper's formula; `concatenated` puts all sines first and all
    /// cosines after (as some libraries do), `exponent` replaces 2i/d by i/d
    /// or by the entry's own index over d, `swapped` puts cosines at even
    /// entries, `firstPosition` shifts the positions (hint variants).
    static func encodingReference(_ positions: Int, _ d: Int, concatenated: Bool = false, exponent: Exponent = .paper,
                                  swapped: Bool = false, firstPosition: Int = 0) -> [[Double]]
    {
        func omega(pair i: Int, entry: Int) -> Double {
            switch exponent {
            case .paper: return 1 / pow(10000, Double(2 * i) / Double(d))
            case .pairOverD: return 1 / pow(10000, Double(i) / Double(d))
            case .entryOverD: return 1 / pow(10000, Double(entry) / Double(d))
            }
        }
        var pe = [[Double]](repeating: [Double](repeating: 0, count: d), count: positions)
        for p in 0..<positions {
            let pos = Double(p + firstPosition)
            for i in 0..<(d / 2) {
                let (a, b) = concatenated ? (i, d / 2 + i) : (2 * i, 2 * i + 1)
                let sine = sin(pos * omega(pair: i, entry: a)), cosine = cos(pos * omega(pair: i, entry: b))
                pe[p][a] = swapped ? cos(pos * omega(pair: i, entry: a)) : sine
                pe[p][b] = swapped ? sin(pos * omega(pair: i, entry: b)) : cosine
            }
        }
        return pe
    }

    static let encodingCases: [(positions: Int, dimension: Int)] = [(2, 4), (1, 2), (10, 6), (50, 16), (128, 64)]

    /// Exercise 7.3: the hand-worked case, the rotation property for offsets
    /// 1 and 7, and every entry against the formula, with hints for
    /// concatenated halves, i/d instead of 2i/d, swapped sin/cos, positions
    /// from 1.
    public static func positionalEncoding(_ candidate: PositionalEncoding) throws -> GradeReport {
        var report = GradeReport()
        for (positions, d) in encodingCases {
            let setting = "for \(positions) positions and d = \(d)"
            let got = try candidate(positions, d)
            guard hasShape(got, positions, d) else {
                report.check(false, "\(setting): PE must be positions × d = \(positions) × \(d), got \(shape(got))")
                continue
            }
            let want: [[Double]]
            if (positions, d) == (2, 4) {
                // Worked by hand: ω₀ = 1, ω₁ = 10000^(−2/4) = 1/100.
                want = [[0, 1, 0, 1], [sin(1), cos(1), sin(0.01), cos(0.01)]]
            } else {
                want = encodingReference(positions, d)
            }
            // The rotation property, on the candidate's own rows: pair i at
            // pos + k is pair i at pos rotated by k·ωᵢ.
            if positions > 8 {
                var broken: [String] = []
                for k in [1, 7] {
                    for pos in [0, 2] {
                        for i in [0, d / 4, d / 2 - 1] {
                            let angle = Double(k) / pow(10000, Double(2 * i) / Double(d))
                            let (s, c) = (got[pos][2 * i], got[pos][2 * i + 1])
                            let rotated = [s * cos(angle) + c * sin(angle), c * cos(angle) - s * sin(angle)]
                            let actual = [got[pos + k][2 * i], got[pos + k][2 * i + 1]]
                            if !Grade.close(actual, rotated, 1e-9) {
                                broken.append("pair \(i) (entries \(2 * i), \(2 * i + 1)) from pos \(pos) to \(pos + k): "
                                    + "expected \(Grade.show(rotated)), got \(Grade.show(actual))")
                            }
                        }
                    }
                }
                report.check(broken.isEmpty, "\(setting): shifting by k positions must rotate each (sin, cos) pair "
                    + "(entries 2i, 2i + 1) by the angle k·ωᵢ, ωᵢ = 10000^(−2i/d), but "
                    + broken.prefix(2).joined(separator: "; "))
            }
            var hint = ""
            if !close(got, want, 1e-9) {
                let known: [([[Double]], String)] = [
                    (encodingReference(positions, d, concatenated: true),
                     " — you put all sines first and all cosines after; the paper interleaves them: "
                        + "sin at entry 2i, cos at entry 2i + 1, same frequency"),
                    (encodingReference(positions, d, exponent: .pairOverD),
                     " — your exponent is i/d; the frequency of pair i is 1/10000^(2i/d)"),
                    (encodingReference(positions, d, exponent: .entryOverD),
                     " — the cosine at entry 2i + 1 shares the sine's frequency: both use 10000^(−2i/d), not "
                        + "10000^(−(2i+1)/d)"),
                    (encodingReference(positions, d, swapped: true), " — sin and cos are swapped: sines at even entries"),
                    (encodingReference(positions, d, firstPosition: 1),
                     " — positions start at 0, so the first row is [0, 1, 0, 1, …]"),
                ]
                hint = known.first { close(got, $0.0, 1e-9) }?.1 ?? ""
            }
            // The entry furthest from the formula, for the message.
            var worst = (row: 0, column: 0, error: -1.0)
            for p in 0..<positions {
                for j in 0..<d where abs(got[p][j] - want[p][j]) > worst.error {
                    worst = (p, j, abs(got[p][j] - want[p][j]))
                }
            }
            let (p, j) = (worst.row, worst.column)
            var message = "\(setting): expected PE[\(p)][\(j)] = \(want[p][j]), got \(got[p][j])"
            if positions <= 2 { message += " (expected PE = \(show(want)), got \(show(got)))" }
            report.check(close(got, want, 1e-9), message + hint)
        }
        return report
    }
}
