// Grader for exercise 6.6, backpropagation through time for an Elman RNN.
// Expected values come from centered finite differences of
// L = Σ_t ⟨dhs[t − 1], h_t⟩, with the unrolled forward pass written out here.
// The analytic variants below only name a wrong answer's likely mistake; they
// are never the expected values.

import BackpropCore
import ExerciseKit
import Foundation

public typealias RNNBackpropThroughTime = ([[Double]], [Double], [[Double]], [[Double]], [Double], [[Double]]) throws
    -> (dWeightIH: [[Double]], dWeightHH: [[Double]], dBias: [Double], dh0: [Double])

extension Chapter06Graders {
    struct BPTTCase {
        var xs: [[Double]]
        var h0: [Double]
        var wih, whh: [[Double]]
        var b: [Double]
        var dhs: [[Double]]
        var note: String
    }

    static var bpttCases: [BPTTCase] {
        var rng = SeededRandom(seed: 6606)
        var cases: [BPTTCase] = []
        for (steps, inputs, hidden, lastOnly) in [(1, 2, 3, false), (4, 3, 2, false), (6, 2, 3, false), (5, 2, 2, true),
                                                  (3, 1, 1, false)] {
            var dhs = matrix(&rng, steps, hidden, 2)
            if lastOnly { for t in 0..<(steps - 1) { dhs[t] = dhs[t].map { _ in 0 } } }
            cases.append(BPTTCase(
                xs: matrix(&rng, steps, inputs), h0: (0..<hidden).map { _ in rng.uniform(-1, 1) },
                wih: matrix(&rng, hidden, inputs), whh: matrix(&rng, hidden, hidden, 1.2),
                b: (0..<hidden).map { _ in rng.uniform(-0.5, 0.5) }, dhs: dhs,
                note: "T = \(steps), in = \(inputs), H = \(hidden)" + (lastOnly ? ", loss on h_T only" : "")))
        }
        return cases
    }

    /// h₀, h₁, …, h_T.
    static func unroll(_ xs: [[Double]], _ h0: [Double], _ wih: [[Double]], _ whh: [[Double]], _ b: [Double])
        -> [[Double]]
    {
        var states = [h0]
        for x in xs { states.append(rnnForward(x, states[states.count - 1], wih, whh, b)) }
        return states
    }

    /// The mistakes the grader recognises.
    enum BPTTMistake: CaseIterable {
        case incomingNotAdded, stopsOneEarly, meanOverTime, noCarry, currentStateInDWhh

        var hint: String {
            switch self {
            case .incomingNotAdded:
                return " — the loss's own gradient dhs[t − 1] must be ADDED to the gradient carried back from "
                    + "step t + 1 at every step; you used only dhs[T − 1]"
            case .stopsOneEarly: return " — your loop stops one step early: step 1 (xs[0], h₀) must be processed too"
            case .meanOverTime: return " — the weights are shared by all T steps, so their gradients are sums over t, not means"
            case .noCarry:
                return " — nothing is carried back: h_t also feeds step t + 1, so its total gradient includes "
                    + "W_hhᵀ·da from step t + 1"
            case .currentStateInDWhh: return " — dW_hh at step t pairs da_t with h_{t−1}, the state W_hh multiplied, not h_t"
            }
        }
    }

    /// dW_ih, dW_hh, db, dh₀ written out analytically, with `mistake` made.
    static func bpttVariant(_ c: BPTTCase, _ mistake: BPTTMistake)
        -> (dWih: [[Double]], dWhh: [[Double]], db: [Double], dh0: [Double])
    {
        let steps = c.xs.count, hidden = c.h0.count
        let states = unroll(c.xs, c.h0, c.wih, c.whh, c.b)
        var dWih = c.wih.map { $0.map { _ in 0.0 } }, dWhh = c.whh.map { $0.map { _ in 0.0 } }
        var db = [Double](repeating: 0, count: hidden), carried = db
        for t in stride(from: steps, through: mistake == .stopsOneEarly ? 2 : 1, by: -1) {
            let local = mistake == .incomingNotAdded && t < steps ? c.dhs[t - 1].map { _ in 0.0 } : c.dhs[t - 1]
            let total = mistake == .noCarry ? local : zip(carried, local).map { $0 + $1 }
            let da = zip(total, states[t]).map { $0 * (1 - $1 * $1) }
            let paired = mistake == .currentStateInDWhh ? states[t] : states[t - 1]
            for j in 0..<hidden {
                for k in c.xs[t - 1].indices { dWih[j][k] += da[j] * c.xs[t - 1][k] }
                for k in 0..<hidden { dWhh[j][k] += da[j] * paired[k] }
                db[j] += da[j]
            }
            carried = transposeTimes(c.whh, da)
        }
        if mistake == .meanOverTime {
            let n = Double(steps)
            return (dWih.map { $0.map { $0 / n } }, dWhh.map { $0.map { $0 / n } }, db.map { $0 / n }, carried)
        }
        return (dWih, dWhh, db, carried)
    }

    /// Exercise 6.6: the four gradients against finite differences of
    /// L = Σ_t ⟨dhs[t − 1], h_t⟩, with hints for the mistakes in `BPTTMistake`.
    public static func rnnBackpropThroughTime(_ candidate: RNNBackpropThroughTime) throws -> GradeReport {
        var report = GradeReport()
        for c in bpttCases {
            let (inputs, hidden) = (c.xs[0].count, c.h0.count)
            func loss(_ h0: [Double], _ wih: [[Double]], _ whh: [[Double]], _ b: [Double]) -> Double {
                zip(unroll(c.xs, h0, wih, whh, b).dropFirst(), c.dhs)
                    .map { zip($0, $1).map { $0 * $1 }.reduce(0, +) }.reduce(0, +)
            }
            func numeric(_ v: [Double], _ f: @escaping ([Double]) -> Double) -> [Double] {
                GradientCheck.numericalGradient(of: { f($0.scalars) }, at: Tensor(v)).scalars
            }
            let wantDWih = numeric(c.wih.flatMap { $0 }) { loss(c.h0, rows($0, inputs), c.whh, c.b) }
            let wantDWhh = numeric(c.whh.flatMap { $0 }) { loss(c.h0, c.wih, rows($0, hidden), c.b) }
            let wantDb = numeric(c.b) { loss(c.h0, c.wih, c.whh, $0) }
            let wantDh0 = numeric(c.h0) { loss($0, c.wih, c.whh, c.b) }
            let setting = "\(c.note): xs = \(show(c.xs)), h₀ = \(Grade.show(c.h0)), W_ih = \(show(c.wih)), "
                + "W_hh = \(show(c.whh)), b = \(Grade.show(c.b)), dhs = \(show(c.dhs))"
            let got = try candidate(c.xs, c.h0, c.wih, c.whh, c.b, c.dhs)
            guard hasShape(got.dWeightIH, hidden, inputs), hasShape(got.dWeightHH, hidden, hidden),
                  got.dBias.count == hidden, got.dh0.count == hidden
            else {
                report.check(false, "\(setting): dW_ih must be H × in = \(hidden) × \(inputs), dW_hh H × H, db and dh₀ "
                    + "H = \(hidden) entries; got \(shape(got.dWeightIH)), \(shape(got.dWeightHH)), "
                    + "\(got.dBias.count) and \(got.dh0.count)")
                continue
            }
            let mistake = BPTTMistake.allCases.first { m in
                let v = bpttVariant(c, m)
                return close(got.dWeightIH, v.dWih, 1e-6) && close(got.dWeightHH, v.dWhh, 1e-6)
                    && Grade.close(got.dBias, v.db, 1e-6) && Grade.close(got.dh0, v.dh0, 1e-6)
            }
            let hint = mistake?.hint ?? ""
            func compare(_ name: String, _ g: [Double], _ w: [Double]) {
                report.check(Grade.close(g, w, 1e-6), "\(setting): expected \(name) ≈ \(Grade.show(w)) (finite "
                    + "differences of Σ_t ⟨dhs[t − 1], h_t⟩), got \(Grade.show(g))" + hint)
            }
            compare("dW_ih (row-major)", got.dWeightIH.flatMap { $0 }, wantDWih)
            compare("dW_hh (row-major)", got.dWeightHH.flatMap { $0 }, wantDWhh)
            compare("db", got.dBias, wantDb)
            compare("dh₀", got.dh0, wantDh0)
        }
        return report
    }
}
