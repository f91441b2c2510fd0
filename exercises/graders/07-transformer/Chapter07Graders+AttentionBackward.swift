// Grader for exercise 7.4, the backward pass of causal attention. Expected
// values come from centered finite differences of L = ⟨dY, attention(Q, K, V)⟩,
// with attention written out as loops in this module (`attentionReference`),
// and from a hand-worked case; three structural checks (row 0 of dQ is 0, the
// rows of dK sum to 0, the last row of dV) come first. The analytic variants
// below only name a wrong answer's likely mistake; they are never the
// expected values.

import BackpropCore
import ExerciseKit
import Foundation
import Graders06

public typealias CausalAttentionBackward = ([[Double]], [[Double]], [[Double]], [[Double]]) throws
    -> (dQuery: [[Double]], dKey: [[Double]], dValue: [[Double]])

extension Chapter07Graders {
    struct AttentionBackwardCase {
        var q, k, v, dy: [[Double]]
        var expected: (dq: [[Double]], dk: [[Double]], dv: [[Double]])?
        var note: String
    }

    static var attentionBackwardCases: [AttentionBackwardCase] {
        // Row 1: p = [1/4, 3/4], dp = dY₁·V = [1, 5], Σ p·dp = 4, so
        // ds = [1/4·(1 − 4), 3/4·(5 − 4)] = [−3/4, 3/4]; row 0's ds is 0.
        // dQ₁ = −3/4·0 + 3/4·ln 3; dK = [−3/4·q₁, 3/4·q₁]; dV = Pᵀ·dY.
        let ln3 = log(3.0)
        var cases = [AttentionBackwardCase(
            q: [[1], [1]], k: [[0], [ln3]], v: [[1], [5]], dy: [[1], [1]],
            expected: ([[0], [0.75 * ln3]], [[-0.75], [0.75]], [[1.25], [0.75]]),
            note: "hand-worked, T = 2, d = 1")]
        var rng = SeededRandom(seed: 7404)
        for (t, d, dv) in [(4, 3, 2), (5, 4, 4), (3, 2, 5), (6, 8, 3)] {
            cases.append(AttentionBackwardCase(
                q: Chapter06Graders.matrix(&rng, t, d, 1.5), k: Chapter06Graders.matrix(&rng, t, d, 1.5),
                v: Chapter06Graders.matrix(&rng, t, dv, 2), dy: Chapter06Graders.matrix(&rng, t, dv, 2),
                note: "random, T = \(t), d = \(d), d_v = \(dv)"))
        }
        // Every query and key near (30, 30, 30, 30): the scores are about
        // 1800 (e^1800 = ∞), but their differences within a row are moderate.
        let (t, d) = (4, 4)
        cases.append(AttentionBackwardCase(
            q: Chapter06Graders.matrix(&rng, t, d, 0.3).map { $0.map { $0 + 30 } },
            k: Chapter06Graders.matrix(&rng, t, d, 0.3).map { $0.map { $0 + 30 } },
            v: Chapter06Graders.matrix(&rng, t, 3, 1), dy: Chapter06Graders.matrix(&rng, t, 3, 1),
            note: "large scores (about 1800, moderate differences within a row)"))
        return cases
    }

    /// The mistakes the grader recognises.
    enum AttentionBackwardMistake: CaseIterable {
        case noScaleInDQ, noScaleInDK, noRowSum, unmasked, swapped, untransposedP

        var hint: String {
            switch self {
            case .noScaleInDQ: return " — the 1/√d in dQ is missing (S = Q·Kᵀ/√d, so dQ carries the 1/√d too)"
            case .noScaleInDK: return " — the 1/√d in dK is missing (S = Q·Kᵀ/√d, so dK carries the 1/√d too)"
            case .noRowSum:
                return " — the softmax's backward pass lacks the row-sum term: ∂pⱼ/∂sₖ = pⱼ(δⱼₖ − pₖ), so "
                    + "dsₖ = pₖ·(dpₖ − Σⱼ pⱼ·dpⱼ), not pₖ·dpₖ"
            case .unmasked:
                return " — your backward pass ignores the mask: it uses the softmax over the whole row, so later "
                    + "positions get gradient; P[i][j] = 0 for j > i in the backward pass too"
            case .swapped: return " — dQ and dK are swapped"
            case .untransposedP:
                return " — you computed dV = P·dY; value j is used by every query i ≥ j with weight P[i][j], "
                    + "so dV = Pᵀ·dY"
            }
        }
    }

    /// The three gradients written out analytically, with `mistake` made.
    /// Used only to recognise a wrong answer, never as the expected values.
    static func attentionBackwardVariant(
        _ q: [[Double]], _ k: [[Double]], _ v: [[Double]], _ dy: [[Double]], _ mistake: AttentionBackwardMistake
    ) -> (dq: [[Double]], dk: [[Double]], dv: [[Double]]) {
        let t = q.count, d = q[0].count, dv = v[0].count
        let p = attentionReference(q, k, v, masked: mistake != .unmasked).weights
        let s = 1 / Double(d).squareRoot()
        var dQ = [[Double]](repeating: [Double](repeating: 0, count: d), count: t), dK = dQ
        var dV = [[Double]](repeating: [Double](repeating: 0, count: dv), count: t)
        for i in 0..<t {
            let dp = (0..<t).map { j in zip(dy[i], v[j]).map { $0 * $1 }.reduce(0, +) }
            let inner = mistake == .noRowSum ? 0 : (0..<t).map { p[i][$0] * dp[$0] }.reduce(0, +)
            for j in 0..<t {
                let ds = p[i][j] * (dp[j] - inner)
                for c in 0..<d {
                    dQ[i][c] += ds * k[j][c] * (mistake == .noScaleInDQ ? 1 : s)
                    dK[j][c] += ds * q[i][c] * (mistake == .noScaleInDK ? 1 : s)
                }
                for c in 0..<dv {
                    if mistake == .untransposedP { dV[i][c] += p[i][j] * dy[j][c] } else { dV[j][c] += p[i][j] * dy[i][c] }
                }
            }
        }
        return mistake == .swapped ? (dK, dQ, dV) : (dQ, dK, dV)
    }

    /// Exercise 7.4: dQ, dK, dV against finite differences of ⟨dY, Y⟩ (or
    /// the hand-worked values), after three structural checks, with hints for
    /// the mistakes in `AttentionBackwardMistake` and for overflow.
    public static func causalAttentionBackward(_ candidate: CausalAttentionBackward) throws -> GradeReport {
        var report = GradeReport()
        for c in attentionBackwardCases {
            let (t, d, dv) = (c.q.count, c.q[0].count, c.v[0].count)
            func loss(_ q: [[Double]], _ k: [[Double]], _ v: [[Double]]) -> Double {
                zip(attentionReference(q, k, v).output, c.dy).map { zip($0, $1).map { $0 * $1 }.reduce(0, +) }
                    .reduce(0, +)
            }
            let want = c.expected ?? (
                Chapter06Graders.rows(numeric(c.q.flatMap { $0 }) { loss(Chapter06Graders.rows($0, d), c.k, c.v) }, d),
                Chapter06Graders.rows(numeric(c.k.flatMap { $0 }) { loss(c.q, Chapter06Graders.rows($0, d), c.v) }, d),
                Chapter06Graders.rows(numeric(c.v.flatMap { $0 }) { loss(c.q, c.k, Chapter06Graders.rows($0, dv)) }, dv))
            let small = t * max(d, dv) <= 12
            let setting = c.note + (small ? ": Q = \(show(c.q)), K = \(show(c.k)), V = \(show(c.v)), dY = \(show(c.dy))" : "")
            let source = c.expected == nil ? " (finite differences of ⟨dY, Y⟩)" : " (worked by hand)"
            let got = try candidate(c.q, c.k, c.v, c.dy)
            guard hasShape(got.dQuery, t, d), hasShape(got.dKey, t, d), hasShape(got.dValue, t, dv) else {
                report.check(false, "\(setting): dQ and dK must be T × d = \(t) × \(d) like Q and K, dV T × d_v = "
                    + "\(t) × \(dv) like V; got \(shape(got.dQuery)), \(shape(got.dKey)) and \(shape(got.dValue))"
                    + (hasShape(got.dValue, dv, t) ? " — dV is transposed: row j of dV belongs to value j" : ""))
                continue
            }
            let flat = got.dQuery.flatMap { $0 } + got.dKey.flatMap { $0 } + got.dValue.flatMap { $0 }
            if flat.contains(where: { !$0.isFinite }) {
                report.check(false, "\(setting): NaN or ∞ in the gradients — e^s overflowed (e^710 = ∞ in Double); "
                    + "subtract each row's largest unmasked score before exponentiating")
                continue
            }
            let mistake = AttentionBackwardMistake.allCases.first { m in
                let r = attentionBackwardVariant(c.q, c.k, c.v, c.dy, m)
                return close(got.dQuery, r.dq, 1e-6) && close(got.dKey, r.dk, 1e-6) && close(got.dValue, r.dv, 1e-6)
            }
            let hint = mistake?.hint ?? ""
            let scale = max(1, flat.map(abs).max()!)
            report.check(got.dQuery[0].allSatisfy { abs($0) <= 1e-9 * scale }, "\(setting): position 0 attends only "
                + "to itself, with weight 1 whatever its score, so row 0 of dQ must be 0; got \(Grade.show(got.dQuery[0]))"
                + (hint.isEmpty ? " — gradient from later positions reached it: the mask matters in the backward pass too"
                    : hint))
            let keySum = (0..<d).map { col in got.dKey.map { $0[col] }.reduce(0, +) }
            report.check(keySum.allSatisfy { abs($0) <= 1e-8 * scale }, "\(setting): the rows of dK must add up to "
                + "the zero vector (adding one vector to every key shifts each row of scores by a constant, which the "
                + "softmax ignores); got Σⱼ dKⱼ = \(Grade.show(keySum))"
                + (hint.isEmpty ? " — check the softmax's backward pass: each row of dS must sum to 0" : hint))
            let last = c.dy[t - 1].map { $0 * attentionReference(c.q, c.k, c.v).weights[t - 1][t - 1] }
            report.check(Grade.close(got.dValue[t - 1], last, 1e-8), "\(setting): value T − 1 is seen by query T − 1 "
                + "only, so row T − 1 of dV must be P[T−1][T−1]·dY[T−1] = \(Grade.show(last)); got "
                + Grade.show(got.dValue[t - 1]) + hint)
            func compare(_ name: String, _ g: [[Double]], _ w: [[Double]]) {
                report.check(close(g, w, 1e-6), "\(setting): expected \(name) ≈ \(show(w))\(source), got \(show(g))"
                    + hint)
            }
            compare("dQ", got.dQuery, want.dq)
            compare("dK", got.dKey, want.dk)
            compare("dV", got.dValue, want.dv)
        }
        return report
    }
}
