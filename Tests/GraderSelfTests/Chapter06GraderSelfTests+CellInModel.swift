// The grader of exercise 6.7 (an LSTM cell plugged into the character
// model) is tested too: it accepts the reference solution, training
// included, and rejects broken cells, subtle ones included, before it
// trains, saying why; and its training stage rejects a model that has not
// learnt. Skipped when an instructor has removed
// exercises/solutions/06-recurrent-networks.

#if canImport(Solutions06)
import ExerciseKit
import Foundation
@testable import Graders06
import RecurrentNetworks
import Solutions06
import Testing

/// The reference cell with one mistake.
struct BrokenLSTMCell: LSTMCellStep {
    let variant: Int
    let right = Solutions06.MyLSTMCell()

    func sigmoid(_ t: Double) -> Double { 1 / (1 + exp(-t)) }

    func forward(z: [Double], c: [Double]) throws -> (h: [Double], c: [Double]) {
        let hidden = c.count
        switch variant {
        case 0:
            // Gate order i, f, o, g: swap the last two blocks.
            return try right.forward(z: Array(z[0..<(2 * hidden)] + z[(3 * hidden)...] + z[(2 * hidden)..<(3 * hidden)]), c: c)
        case 1:
            // An overflowing σ: e^t/(1 + e^t) is ∞/∞ at t = 800.
            var h = [Double](), cNew = [Double]()
            func s(_ t: Double) -> Double { exp(t) / (1 + exp(t)) }
            for j in 0..<hidden {
                cNew.append(s(z[hidden + j]) * c[j] + s(z[j]) * tanh(z[2 * hidden + j]))
                h.append(s(z[3 * hidden + j]) * tanh(cNew[j]))
            }
            return (h, cNew)
        default:
            return try right.forward(z: z, c: c)
        }
    }

    func backward(z: [Double], c: [Double], dh: [Double], dc: [Double]) throws -> (dz: [Double], dc: [Double]) {
        let hidden = c.count
        var (dz, dcPrev) = try right.backward(z: z, c: c, dh: dh, dc: dc)
        switch variant {
        case 2:
            // The incoming dc ignored.
            return try right.backward(z: z, c: c, dh: dh, dc: dc.map { _ in 0 })
        case 3:
            // dc passed back without the forget gate.
            for j in 0..<hidden { dcPrev[j] /= sigmoid(z[hidden + j]) }
        case 4:
            // tanh′(c′) written 1 − tanh(c′).
            return Chapter06Graders.cellBackwardVariant(z, c, dh, dc, .tanhPrimeOneMinusTanh)
        case 5:
            // The forget gate's gradient with the wrong sign in the last unit only.
            dz[2 * hidden - 1] = -dz[2 * hidden - 1]
        case 6:
            throw NotAttempted()
        default:
            break
        }
        return (dz, dcPrev)
    }
}

@Suite struct Chapter06CellInModelSelfTests {
    /// Forward, backward and 150 training steps (about 1.5 s in debug).
    @Test func cellGraderAcceptsTheSolution() throws {
        let report = try Chapter06Graders.lstmCellInModel(Solutions06.MyLSTMCell())
        #expect(report.passed, "\(report.failures)")
    }

    /// The cases' hand-worked forward values agree with the reference, and
    /// the analytic backward pass without a mistake with its finite differences.
    @Test func referencesAgree() throws {
        let hand = Chapter06Graders.cellReference([0, log(3), log(2), -log(3)], [2])
        #expect(abs(hand.c[0] - 1.8) < 1e-12 && abs(hand.h[0] - tanh(1.8) / 4) < 1e-12)
        for c in Chapter06Graders.cellCases {
            let exact = Chapter06Graders.cellBackwardVariant(c.z, c.c, c.dh, c.dc, nil)
            let solution = try Solutions06.MyLSTMCell().backward(z: c.z, c: c.c, dh: c.dh, dc: c.dc)
            #expect(Grade.close(exact.dz, solution.dz, 1e-12) && Grade.close(exact.dc, solution.dc, 1e-12))
        }
    }

    @Test("the cell grader rejects broken cells before training and says why", arguments: [
        ("gate order i, f, o, g", 0, "gate order i, f, o, g"),
        ("an overflowing σ", 1, "NaN or ∞"),
        ("the incoming dc ignored", 2, "incoming dc"),
        ("dc passed back without the forget gate", 3, "times f"),
        ("tanh′ written 1 − tanh(c′)", 4, "not 1 − tanh(c′)"),
        ("one unit's forget-gate gradient with the wrong sign", 5, "expected dz"),
        ("backward not written", 6, "backward still throws NotAttempted"),
    ])
    func cellGraderRejects(name: String, variant: Int, hint: String) throws {
        // Training 0 steps would fail on its own: a pass through the first
        // two stages would show up as a training failure, not a silent pass.
        var training = Chapter06Graders.CellTraining()
        training.steps = 0
        let report = try Chapter06Graders.lstmCellInModel(BrokenLSTMCell(variant: variant), training: training)
        #expect(!report.passed, "\(name) passed")
        #expect(report.failures.contains { $0.contains(hint) }, "\(name): \(report.failures)")
        #expect(!report.failures.contains { $0.contains("training a CharRNN") }, "\(name) reached training")
    }

    /// An untrained model (a single step) does not reach the target, so the
    /// training stage can fail; its message states the settings.
    @Test func trainingStageRejectsAnUntrainedModel() throws {
        var training = Chapter06Graders.CellTraining()
        training.steps = 1
        let report = try Chapter06Graders.lstmCellInModel(Solutions06.MyLSTMCell(), training: training)
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.contains("must reach 3.00 nats per character or less") == true, "\(report.failures)")
        #expect(report.failures.first?.contains("by its frequency gives 3.28, uniform guessing ln 57 = 4.04") == true, "\(report.failures)")
    }
}
#endif
