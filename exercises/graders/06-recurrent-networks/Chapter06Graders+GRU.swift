// Grader for exercise 6.5, the backward pass of one GRU step. Expected values
// come from centered finite differences of L = Σ dh·h, with the GRU's forward
// pass written out here in PyTorch's formulation (gate order r, z, n; the
// reset gate multiplies W_hn·h_prev + b_hn), and from a hand-worked case. The
// analytic variants below only name a wrong answer's likely mistake; they are
// never the expected values.

import BackpropCore
import ExerciseKit
import Foundation

public typealias GRUCellBackward = ([Double], [Double], [[Double]], [[Double]], [Double], [Double], [Double]) throws
    -> (dx: [Double], dhPrev: [Double], dWeightIH: [[Double]], dWeightHH: [[Double]], dBiasIH: [Double], dBiasHH: [Double])

extension Chapter06Graders {
    typealias GRUGradients = (dx: [Double], dhPrev: [Double], dWih: [[Double]], dWhh: [[Double]], dbih: [Double],
                              dbhh: [Double])

    struct GRUCase {
        var x, hPrev: [Double]
        var wih, whh: [[Double]]
        var bih, bhh, dh: [Double]
        var handWorked: GRUGradients?
        var note: String
    }

    static var gruCases: [GRUCase] {
        // W = 0, b_hh = [0, 0, ln 3]: r = z = 1/2, q_n = ln 3, n = tanh(ln 3 / 2) = 1/2,
        // h = n/2 + h_prev/2 = 0. With dh = 1: da_n = (1 − z)(1 − n²) = 3/8,
        // da_z = (h_prev − n)·z(1 − z) = −1/4, da_r = da_n·q_n·r(1 − r) = 3 ln 3/32;
        // input side (da_r, da_z, da_n), recurrent side (da_r, da_z, r·da_n);
        // dh_prev = z·dh + W_hhᵀ(…) = 1/2; dW_ih = (…)·x, dW_hh = (…)·h_prev.
        let daR = 3 * log(3.0) / 32
        var cases = [GRUCase(
            x: [1], hPrev: [-0.5], wih: [[0], [0], [0]], whh: [[0], [0], [0]], bih: [0, 0, 0], bhh: [0, 0, log(3)],
            dh: [1],
            handWorked: ([0], [0.5], [[daR], [-0.25], [0.375]], [[-daR / 2], [0.125], [-0.09375]],
                         [daR, -0.25, 0.375], [daR, -0.25, 0.1875]),
            note: "hand-worked (in = H = 1, W = 0, b_ih = 0, b_hh = [0, 0, ln 3], x = 1, h_prev = −1/2, dh = 1)")]
        var rng = SeededRandom(seed: 6505)
        for (inputs, hidden) in [(3, 2), (2, 4), (1, 3)] {
            cases.append(GRUCase(
                x: (0..<inputs).map { _ in rng.uniform(-1, 1) }, hPrev: (0..<hidden).map { _ in rng.uniform(-1, 1) },
                wih: matrix(&rng, 3 * hidden, inputs), whh: matrix(&rng, 3 * hidden, hidden),
                bih: (0..<(3 * hidden)).map { _ in rng.uniform(-1, 1) },
                bhh: (0..<(3 * hidden)).map { _ in rng.uniform(-1, 1) }, dh: (0..<hidden).map { _ in rng.uniform(-2, 2) },
                note: "random, in = \(inputs), H = \(hidden)"))
        }
        return cases
    }

    /// The GRU step, gate by gate, in PyTorch's formulation.
    static func gruForward(
        _ x: [Double], _ hPrev: [Double], _ wih: [[Double]], _ whh: [[Double]], _ bih: [Double], _ bhh: [Double]
    ) -> [Double] {
        let hidden = hPrev.count
        func input(_ row: Int) -> Double { bih[row] + x.indices.map { wih[row][$0] * x[$0] }.reduce(0, +) }
        func recurrent(_ row: Int) -> Double { bhh[row] + hPrev.indices.map { whh[row][$0] * hPrev[$0] }.reduce(0, +) }
        return (0..<hidden).map { j in
            let r = 1 / (1 + exp(-(input(j) + recurrent(j))))
            let z = 1 / (1 + exp(-(input(hidden + j) + recurrent(hidden + j))))
            let n = tanh(input(2 * hidden + j) + r * recurrent(2 * hidden + j))
            return (1 - z) * n + z * hPrev[j]
        }
    }

    /// The mistakes the grader recognises.
    enum GRUMistake: CaseIterable {
        case bhnOutside, zSwapped, noResetPath, noDirectPath, recurrentWithoutR

        var hint: String {
            switch self {
            case .bhnOutside:
                return " — you treated b_hn like b_in, outside the reset product; PyTorch's candidate is "
                    + "n = tanh(W_in·x + b_in + r ⊙ (W_hn·h_prev + b_hn))"
            case .zSwapped: return " — (1 − z) and z are swapped: h = (1 − z) ⊙ n + z ⊙ h_prev, so z keeps the old state"
            case .noResetPath:
                return " — the path through the reset gate r is missing: r multiplies W_hn·h_prev + b_hn inside n, "
                    + "so the r block's pre-activation gets gradient too"
            case .noDirectPath: return " — dh_prev misses the direct path: h contains z ⊙ h_prev itself"
            case .recurrentWithoutR:
                return " — on the recurrent side of the n block the gradient is multiplied by r (n sees "
                    + "r ⊙ (W_hn·h_prev + b_hn)); you used the input side's"
            }
        }
    }

    /// The six gradients written out analytically, with `mistake` made.
    static func gruVariant(_ c: GRUCase, _ mistake: GRUMistake) -> GRUGradients {
        let hidden = c.hPrev.count
        let bhnInside = mistake != .bhnOutside
        let p = c.wih.indices.map { row in zip(c.wih[row], c.x).map { $0 * $1 }.reduce(c.bih[row], +) }
        var q = c.whh.indices.map { row in zip(c.whh[row], c.hPrev).map { $0 * $1 }.reduce(c.bhh[row], +) }
        var dp = [Double](repeating: 0, count: 3 * hidden), dq = dp, dhPrev = [Double](repeating: 0, count: hidden)
        for j in 0..<hidden {
            let outside = bhnInside ? 0 : c.bhh[2 * hidden + j]
            if !bhnInside { q[2 * hidden + j] -= outside }
            let r = 1 / (1 + exp(-(p[j] + q[j]))), z = 1 / (1 + exp(-(p[hidden + j] + q[hidden + j])))
            let n = tanh(p[2 * hidden + j] + outside + r * q[2 * hidden + j])
            let keep = mistake == .zSwapped ? 1 - z : z
            let daN = c.dh[j] * (1 - keep) * (1 - n * n)
            let daZ = c.dh[j] * (mistake == .zSwapped ? n - c.hPrev[j] : c.hPrev[j] - n) * z * (1 - z)
            let daR = mistake == .noResetPath ? 0 : daN * q[2 * hidden + j] * r * (1 - r)
            (dp[j], dp[hidden + j], dp[2 * hidden + j]) = (daR, daZ, daN)
            (dq[j], dq[hidden + j], dq[2 * hidden + j]) = (daR, daZ, mistake == .recurrentWithoutR ? daN : daN * r)
            dhPrev[j] = mistake == .noDirectPath ? 0 : c.dh[j] * keep
        }
        var dbhh = dq
        if !bhnInside { for j in 0..<hidden { dbhh[2 * hidden + j] = dp[2 * hidden + j] } }
        for k in c.hPrev.indices { dhPrev[k] += transposeTimes(c.whh, dq)[k] }
        return (transposeTimes(c.wih, dp), dhPrev, dp.map { d in c.x.map { d * $0 } },
                dq.map { d in c.hPrev.map { d * $0 } }, dp, dbhh)
    }

    /// Exercise 6.5: each gradient against finite differences of L = Σ dh·h
    /// (or the hand-worked values), with hints for the mistakes in
    /// `GRUMistake` and for dBiasHH returned equal to dBiasIH.
    public static func gruCellBackward(_ candidate: GRUCellBackward) throws -> GradeReport {
        var report = GradeReport()
        for c in gruCases {
            let (inputs, hidden) = (c.x.count, c.hPrev.count)
            func loss(_ x: [Double], _ hPrev: [Double], _ wih: [[Double]], _ whh: [[Double]], _ bih: [Double],
                      _ bhh: [Double]) -> Double
            {
                zip(c.dh, gruForward(x, hPrev, wih, whh, bih, bhh)).map { $0 * $1 }.reduce(0, +)
            }
            func numeric(_ v: [Double], _ f: @escaping ([Double]) -> Double) -> [Double] {
                GradientCheck.numericalGradient(of: { f($0.scalars) }, at: Tensor(v)).scalars
            }
            let want: GRUGradients = c.handWorked ?? (
                numeric(c.x) { loss($0, c.hPrev, c.wih, c.whh, c.bih, c.bhh) },
                numeric(c.hPrev) { loss(c.x, $0, c.wih, c.whh, c.bih, c.bhh) },
                rows(numeric(c.wih.flatMap { $0 }) { loss(c.x, c.hPrev, rows($0, inputs), c.whh, c.bih, c.bhh) }, inputs),
                rows(numeric(c.whh.flatMap { $0 }) { loss(c.x, c.hPrev, c.wih, rows($0, hidden), c.bih, c.bhh) }, hidden),
                numeric(c.bih) { loss(c.x, c.hPrev, c.wih, c.whh, $0, c.bhh) },
                numeric(c.bhh) { loss(c.x, c.hPrev, c.wih, c.whh, c.bih, $0) })
            let got = try candidate(c.x, c.hPrev, c.wih, c.whh, c.bih, c.bhh, c.dh)
            let setting = c.note.hasPrefix("hand") ? c.note : "\(c.note): x = \(Grade.show(c.x)), "
                + "h_prev = \(Grade.show(c.hPrev)), W_ih = \(show(c.wih)), W_hh = \(show(c.whh)), "
                + "b_ih = \(Grade.show(c.bih)), b_hh = \(Grade.show(c.bhh)), dh = \(Grade.show(c.dh))"
            let source = c.handWorked == nil ? " (finite differences of Σ dh·h)" : " (worked by hand)"
            guard got.dx.count == inputs, got.dhPrev.count == hidden, hasShape(got.dWeightIH, 3 * hidden, inputs),
                  hasShape(got.dWeightHH, 3 * hidden, hidden), got.dBiasIH.count == 3 * hidden,
                  got.dBiasHH.count == 3 * hidden
            else {
                report.check(false, "\(setting): the gradients must be shaped like what they differentiate: dx \(inputs), "
                    + "dh_prev \(hidden), dW_ih \(3 * hidden) × \(inputs), dW_hh \(3 * hidden) × \(hidden), db_ih and "
                    + "db_hh \(3 * hidden) entries; got \(got.dx.count), \(got.dhPrev.count), \(shape(got.dWeightIH)), "
                    + "\(shape(got.dWeightHH)), \(got.dBiasIH.count) and \(got.dBiasHH.count)")
                continue
            }
            let mistake = GRUMistake.allCases.first { m in
                let v = gruVariant(c, m)
                return Grade.close(got.dx, v.dx, 1e-6) && Grade.close(got.dhPrev, v.dhPrev, 1e-6)
                    && close(got.dWeightIH, v.dWih, 1e-6) && close(got.dWeightHH, v.dWhh, 1e-6)
                    && Grade.close(got.dBiasIH, v.dbih, 1e-6) && Grade.close(got.dBiasHH, v.dbhh, 1e-6)
            }
            let hint = mistake?.hint ?? ""
            func compare(_ name: String, _ g: [Double], _ w: [Double], extra: String = "") {
                report.check(Grade.close(g, w, 1e-6), "\(setting): expected \(name) ≈ \(Grade.show(w))\(source), "
                    + "got \(Grade.show(g))" + (hint.isEmpty ? extra : hint))
            }
            compare("dx", got.dx, want.dx)
            compare("dh_prev", got.dhPrev, want.dhPrev)
            compare("dW_ih (row-major)", got.dWeightIH.flatMap { $0 }, want.dWih.flatMap { $0 })
            compare("dW_hh (row-major)", got.dWeightHH.flatMap { $0 }, want.dWhh.flatMap { $0 })
            compare("db_ih", got.dBiasIH, want.dbih)
            compare("db_hh", got.dBiasHH, want.dbhh, extra: Grade.close(got.dBiasHH, got.dBiasIH, 1e-12)
                ? " — you returned db_hh = db_ih; in the n block they differ (b_hn sits inside the reset product)" : "")
        }
        return report
    }
}
