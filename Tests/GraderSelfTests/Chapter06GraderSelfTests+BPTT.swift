// The grader of exercise 6.6 (backpropagation through time) is tested too:
// it accepts the reference solution and rejects broken loops, subtle ones
// included, saying why. Skipped when an instructor has removed
// exercises/solutions/06-recurrent-networks.

#if canImport(Solutions06)
import ExerciseKit
import Foundation
@testable import Graders06
import Solutions06
import Testing

@Suite struct Chapter06BPTTSelfTests {
    @Test func bpttGraderAcceptsTheSolution() throws {
        let report = try Chapter06Graders.rnnBackpropThroughTime(Solutions06.rnnBackpropThroughTime)
        #expect(report.passed, "\(report.failures)")
    }

    /// With T = 1, BPTT is exercise 6.1's cell backward pass.
    @Test func oneStepIsTheCellBackwardPass() throws {
        let c = try #require(Chapter06Graders.bpttCases.first { $0.xs.count == 1 })
        let h = Chapter06Graders.rnnForward(c.xs[0], c.h0, c.wih, c.whh, c.b)
        let cell = try Solutions06.rnnCellBackward(
            x: c.xs[0], hPrev: c.h0, weightIH: c.wih, weightHH: c.whh, bias: c.b, h: h, dh: c.dhs[0])
        let bptt = try Solutions06.rnnBackpropThroughTime(
            xs: c.xs, h0: c.h0, weightIH: c.wih, weightHH: c.whh, bias: c.b, dhs: c.dhs)
        #expect(Chapter06Graders.close(bptt.dWeightHH, cell.dWeightHH, 1e-15))
        #expect(Grade.close(bptt.dh0, cell.dhPrev, 1e-15))
    }

    @Test("the BPTT grader rejects broken loops and says why", arguments: [
        ("the incoming dhs[t − 1] not added", 0, "must be ADDED"),
        ("the loop stops one step early", 1, "one step early"),
        ("a mean over time instead of a sum", 2, "not means"),
        ("nothing carried back (each step sees its own dhs only)", 3, "nothing is carried back"),
        ("dW_hh paired with h_t instead of h_{t−1}", 4, "not h_t"),
        ("one entry of dh₀ with the wrong sign", 5, "expected dh₀"),
        ("the carried gradient through W_hh, not W_hhᵀ", 6, "expected dh₀"),
    ])
    func bpttGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: RNNBackpropThroughTime = { xs, h0, wih, whh, b, dhs in
            let right = try Solutions06.rnnBackpropThroughTime(
                xs: xs, h0: h0, weightIH: wih, weightHH: whh, bias: b, dhs: dhs)
            let c = Chapter06Graders.BPTTCase(xs: xs, h0: h0, wih: wih, whh: whh, b: b, dhs: dhs, note: "")
            switch variant {
            case 0..<5:
                let v = Chapter06Graders.bpttVariant(c, Chapter06Graders.BPTTMistake.allCases[variant])
                return (v.dWih, v.dWhh, v.db, v.dh0)
            case 5:
                var dh0 = right.dh0
                dh0[dh0.count - 1] = -dh0[dh0.count - 1]
                return (right.dWeightIH, right.dWeightHH, right.dBias, dh0)
            default:
                // The loop written here, carrying W_hh·da back (no transpose).
                let states = Chapter06Graders.unroll(xs, h0, wih, whh, b)
                var dWih = wih.map { $0.map { _ in 0.0 } }, dWhh = whh.map { $0.map { _ in 0.0 } }
                var db = h0.map { _ in 0.0 }, carried = db
                for t in stride(from: xs.count, through: 1, by: -1) {
                    let h = states[t]
                    let da = h0.indices.map { j -> Double in
                        let total: Double = carried[j] + dhs[t - 1][j]
                        return total * (1 - h[j] * h[j])
                    }
                    for j in h0.indices {
                        for k in xs[t - 1].indices { dWih[j][k] += da[j] * xs[t - 1][k] }
                        for k in h0.indices { dWhh[j][k] += da[j] * states[t - 1][k] }
                        db[j] += da[j]
                    }
                    carried = Chapter06Graders.times(whh, da)
                }
                return (dWih, dWhh, db, carried)
            }
        }
        let report = try Chapter06Graders.rnnBackpropThroughTime(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
