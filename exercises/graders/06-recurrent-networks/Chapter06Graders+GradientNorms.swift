// Grader for exercise 6.8 (measure the vanishing gradient): the norms
// ‖∂L/∂h_{T−k}‖, k = 0 … T, for a loss on h_T, computed here step by step
// from the unrolled forward pass (δh_{t−1} = W_hhᵀ·(δh_t ⊙ (1 − h_t²))),
// which the self-tests check against finite differences and the book's
// RecurrentLayer; a hand-worked case. Recurrent weights are s·Q with Q
// orthogonal, so every singular value is s. The variants below only name a
// wrong answer's likely mistake.

import BackpropCore
import ExerciseKit
import Foundation

public typealias GradientNormsThroughTime = ([[Double]], [Double], [[Double]], [[Double]], [Double], [Double]) throws -> [Double]

extension Chapter06Graders {
    struct NormsCase {
        var xs: [[Double]]
        var h0: [Double]
        var wih, whh: [[Double]]
        var b, dhT: [Double]
        var expected: [Double]?
        var note: String
    }

    /// A random H × H matrix with orthonormal rows (Gram–Schmidt), times s.
    static func scaledOrthogonal(_ rng: inout SeededRandom, _ n: Int, _ s: Double) -> [[Double]] {
        var rows: [[Double]] = []
        while rows.count < n {
            var v = (0..<n).map { _ in rng.uniform(-1, 1) }
            for r in rows {
                let dot = zip(v, r).map { $0 * $1 }.reduce(0, +)
                v = zip(v, r).map { $0 - dot * $1 }
            }
            let norm = v.map { $0 * $0 }.reduce(0, +).squareRoot()
            if norm > 0.1 { rows.append(v.map { $0 / norm }) }
        }
        return rows.map { $0.map { $0 * s } }
    }

    static var normsCases: [NormsCase] {
        var cases = [NormsCase(xs: [[0], [0], [0], [0], [0]], h0: [0], wih: [[1]], whh: [[0.5]], b: [0], dhT: [1],
                               expected: (0...5).map { pow(0.5, Double($0)) },
                               note: "hand-worked (H = 1, w = 0.5, all states 0)")]
        var rng = SeededRandom(seed: 6808)
        let (hidden, inputs, steps) = (4, 2, 30)
        for (s, inputScale, note) in [(0.5, 0.3, "s = 0.5"), (1.0, 0.3, "s = 1"), (3.0, 0.3, "s = 3"),
                                      (1.0, 4.0, "s = 1, saturating inputs")] {
            cases.append(NormsCase(
                xs: matrix(&rng, steps, inputs, inputScale), h0: (0..<hidden).map { _ in rng.uniform(-0.5, 0.5) },
                wih: matrix(&rng, hidden, inputs), whh: scaledOrthogonal(&rng, hidden, s),
                b: (0..<hidden).map { _ in rng.uniform(-0.2, 0.2) }, dhT: (0..<hidden).map { _ in rng.uniform(-1, 1) },
                note: "T = \(steps), H = \(hidden), W_hh with every singular value \(note)"))
        }
        cases.append(NormsCase(
            xs: matrix(&rng, 3, 2), h0: [0.3, -0.6, 0.2], wih: matrix(&rng, 3, 2), whh: matrix(&rng, 3, 3, 1.5),
            b: [0.1, -0.2, 0.3], dhT: [1, -2, 0.5], note: "T = 3, H = 3, random W_hh"))
        return cases
    }

    /// The mistakes the grader recognises.
    enum NormsMistake: CaseIterable {
        case noTanhPrime, untransposed, previousState, reversed, squared

        var hint: String {
            switch self {
            case .noTanhPrime: return " — the tanh′ factor (1 − h_t²) is missing from each step back"
            case .untransposed:
                return " — the gradient goes back through W_hhᵀ: component k of δh_{t−1} collects W_hh[j][k] over j"
            case .previousState:
                return " — the tanh′ of step t is 1 − h_t² (the state that step produced), not 1 − h_{t−1}²"
            case .reversed: return " — the order is reversed: entry 0 is ‖∂L/∂h_T‖, the last entry ‖∂L/∂h₀‖"
            case .squared: return " — those are squared norms: take the square root of the sum of squares"
            }
        }
    }

    /// The norms written step by step, with `mistake` made (nil: none).
    static func normsVariant(_ c: NormsCase, _ mistake: NormsMistake?) -> [Double] {
        let hs = unroll(c.xs, c.h0, c.wih, c.whh, c.b)
        func norm(_ v: [Double]) -> Double {
            let s = v.map { $0 * $0 }.reduce(0, +)
            return mistake == .squared ? s : s.squareRoot()
        }
        var delta = c.dhT
        var norms = [norm(delta)]
        for t in stride(from: c.xs.count, through: 1, by: -1) {
            let state = mistake == .previousState ? hs[t - 1] : hs[t]
            let da = mistake == .noTanhPrime ? delta : zip(delta, state).map { $0 * (1 - $1 * $1) }
            delta = mistake == .untransposed ? times(c.whh, da) : transposeTimes(c.whh, da)
            norms.append(norm(delta))
        }
        return mistake == .reversed ? norms.reversed() : norms
    }

    /// Exercise 6.8: the T + 1 norms, relative tolerance 10⁻⁹.
    public static func gradientNormsThroughTime(_ candidate: GradientNormsThroughTime) throws -> GradeReport {
        var report = GradeReport()
        for c in normsCases {
            let want = c.expected ?? normsVariant(c, nil)
            let got = try candidate(c.xs, c.h0, c.wih, c.whh, c.b, c.dhT)
            let setting = c.note + (c.xs.count <= 5 ? ": xs = \(show(c.xs)), h₀ = \(Grade.show(c.h0)), W_ih = \(show(c.wih)), "
                + "W_hh = \(show(c.whh)), b = \(Grade.show(c.b)), dhT = \(Grade.show(c.dhT))" : "")
            guard got.count == c.xs.count + 1 else {
                report.check(false, "\(setting): expected T + 1 = \(c.xs.count + 1) norms (h_T back to h₀), got \(got.count)"
                    + (got.count == c.xs.count ? " — ‖∂L/∂h₀‖ (or ‖∂L/∂h_T‖) is missing" : ""))
                continue
            }
            let ok = zip(got, want).allSatisfy { abs($0 - $1) <= 1e-9 * abs($1) + 1e-300 }
            let hint = ok ? "" : NormsMistake.allCases.first { m in
                zip(got, normsVariant(c, m)).allSatisfy { abs($0 - $1) <= 1e-9 * abs($1) + 1e-300 }
            }?.hint ?? ""
            report.check(ok, "\(setting): expected the norms \(Grade.show(want)) (relative tolerance 10⁻⁹), got "
                + Grade.show(got) + hint)
        }
        return report
    }
}
