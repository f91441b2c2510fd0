// The chapter 6 graders are tested too: each accepts the reference solution
// and rejects broken answers with typical mistakes, saying why. Skipped when
// an instructor has removed exercises/solutions/06-recurrent-networks (the
// package then has no Solutions06 module).

#if canImport(Solutions06)
import ExerciseKit
import Foundation
@testable import Graders06
import Solutions06
import Testing

@Suite struct Chapter06GraderSelfTests {
    // MARK: 6.1

    @Test func rnnGraderAcceptsTheSolution() throws {
        let report = try Chapter06Graders.rnnCellBackward(Solutions06.rnnCellBackward)
        #expect(report.passed, "\(report.failures)")
    }

    /// The hand-worked case agrees with the grader's own finite differences.
    @Test func rnnHandCaseAgreesWithFiniteDifferences() throws {
        var c = Chapter06Graders.rnnCases[0]
        let hand = try #require(c.handWorked)
        c.handWorked = nil
        let cases = [c]
        // Grade the hand-worked answer as if it were a candidate, on the same
        // inputs, against finite differences.
        let report = try Chapter06Graders.rnnCellBackward({ _, _, _, _, _, _, _ in
            (hand.dx, hand.dhPrev, hand.dWih, hand.dWhh, hand.db)
        }, cases: cases)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the RNN grader rejects broken backward passes and says why", arguments: [
        ("no tanh′ (da = dh)", 0, "left out tanh′"),
        ("tanh′ = 1 − h", 1, "not 1 − h"),
        ("dh_prev = W_hh·da (no transpose)", 2, "through the transpose"),
        ("dW_hh = h_prev·daᵀ (transposed)", 3, "dW_hh is transposed"),
        ("one entry of dW_ih with the wrong sign", 4, "expected dW_ih"),
    ])
    func rnnGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: RNNCellBackward = { x, hPrev, wih, whh, b, h, dh in
            let right = try Solutions06.rnnCellBackward(
                x: x, hPrev: hPrev, weightIH: wih, weightHH: whh, bias: b, h: h, dh: dh)
            let da = zip(h, dh).map { $1 * (1 - $0 * $0) }
            switch variant {
            case 0:
                // Pretend h = 0 everywhere, so 1 − h² = 1.
                return try Solutions06.rnnCellBackward(
                    x: x, hPrev: hPrev, weightIH: wih, weightHH: whh, bias: b, h: h.map { _ in 0 }, dh: dh)
            case 1:
                let wrong = zip(h, dh).map { $1 * (1 - $0) }
                return (Chapter06Graders.transposeTimes(wih, wrong), Chapter06Graders.transposeTimes(whh, wrong),
                        wrong.map { d in x.map { d * $0 } }, wrong.map { d in hPrev.map { d * $0 } }, wrong)
            case 2:
                return (right.dx, Chapter06Graders.times(whh, da), right.dWeightIH, right.dWeightHH, right.dBias)
            case 4:
                var dWeightIH = right.dWeightIH
                dWeightIH[0][0] = -dWeightIH[0][0]
                return (right.dx, right.dhPrev, dWeightIH, right.dWeightHH, right.dBias)
            default:
                return (right.dx, right.dhPrev, right.dWeightIH, hPrev.map { hk in da.map { hk * $0 } }, right.dBias)
            }
        }
        let report = try Chapter06Graders.rnnCellBackward(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    // MARK: 6.2

    @Test func lstmGraderAcceptsTheSolution() throws {
        let report = try Chapter06Graders.lstmStep(Solutions06.lstmStep)
        #expect(report.passed, "\(report.failures)")
    }

    /// The grader's gate-by-gate reference reproduces the hand-worked case
    /// and PyTorch's values.
    @Test func lstmReferenceAgreesWithHandCaseAndPyTorch() {
        for c in Chapter06Graders.lstmCases {
            guard let expected = c.expected else { continue }
            let mine = Chapter06Graders.lstmReference(c.x, c.hPrev, c.cPrev, c.wih, c.whh, c.b)
            #expect(Grade.close(mine.h, expected.h, 1e-12) && Grade.close(mine.c, expected.c, 1e-12),
                    "\(c.note): \(mine) vs \(expected)")
        }
    }

    @Test("the LSTM grader rejects broken steps and says why", arguments: [
        ("gate order i, f, o, g", 0, "i, f, o, g"),
        ("h = o ⊙ c", 1, "left out the tanh"),
        ("g = σ(z_g)", 2, "not σ"),
        ("σ(z) = e^z/(1 + e^z) overflows", 3, "NaN"),
        ("W_hh·h_prev left out of z", 4, "expected h ="),
    ])
    func lstmGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: LSTMStep = { x, hPrev, cPrev, wih, whh, b in
            switch variant {
            case 0:
                // Swap the g and o blocks of every weight and bias.
                let n = hPrev.count
                func swapped<T>(_ rows: [T]) -> [T] {
                    Array(rows[0..<(2 * n)] + rows[(3 * n)..<(4 * n)] + rows[(2 * n)..<(3 * n)])
                }
                return try Solutions06.lstmStep(x: x, hPrev: hPrev, cPrev: cPrev, weightIH: swapped(wih),
                                                weightHH: swapped(whh), bias: swapped(b))
            case 1:
                let right = try Solutions06.lstmStep(x: x, hPrev: hPrev, cPrev: cPrev, weightIH: wih, weightHH: whh, bias: b)
                // h = o ⊙ tanh(c), so o = h / tanh(c); return o ⊙ c.
                return (zip(right.h, right.c).map { h, c in c == 0 ? 0 : h / tanh(c) * c }, right.c)
            case 2:
                return Chapter06Graders.lstmReference(x, hPrev, cPrev, wih, whh, b, candidateSigmoid: true)
            case 4:
                // Zero weights on h_prev: the recurrent term is missing.
                let zero = whh.map { $0.map { _ in 0.0 } }
                return try Solutions06.lstmStep(x: x, hPrev: hPrev, cPrev: cPrev, weightIH: wih, weightHH: zero, bias: b)
            default:
                let n = hPrev.count
                let z = b.indices.map { row in
                    zip(wih[row], x).map { $0 * $1 }.reduce(b[row], +) + zip(whh[row], hPrev).map { $0 * $1 }.reduce(0, +)
                }
                func sigmoid(_ t: Double) -> Double { exp(t) / (1 + exp(t)) }
                let c = (0..<n).map { j in sigmoid(z[n + j]) * cPrev[j] + sigmoid(z[j]) * tanh(z[2 * n + j]) }
                return ((0..<n).map { sigmoid(z[3 * n + $0]) * tanh(c[$0]) }, c)
            }
        }
        let report = try Chapter06Graders.lstmStep(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    // MARK: 6.3

    @Test func clipGraderAcceptsTheSolution() throws {
        let report = try Chapter06Graders.clipGlobalNorm(Solutions06.clipGlobalNorm)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the clipping grader rejects broken clipping and says why", arguments: [
        ("clips each tensor by its own norm", 0, "its own norm"),
        ("clamps each entry to [−c, c]", 1, "clipping by value"),
        ("always rescales to c", 2, "N < c"),
        ("returns the norm after clipping", 3, "norm after clipping"),
        ("divides by N, NaN on zero gradients", 4, "NaN"),
        ("divides by N without the 10⁻⁶", 5, "you divided by N"),
        ("returns N², the sum of squares", 6, "returned N²"),
    ])
    func clipGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: ClipGlobalNorm = { g, c in
            switch variant {
            case 0: return Chapter06Graders.clipReference(g, c, perTensor: true)
            case 1: return (g.map { $0.map { min(max($0, -c), c) } }, Chapter06Graders.clipReference(g, c).norm)
            case 2: return Chapter06Graders.clipReference(g, c, alwaysRescale: true)
            case 3:
                let clipped = try Solutions06.clipGlobalNorm(gradients: g, maxNorm: c).clipped
                return (clipped, clipped.flatMap { $0 }.map { $0 * $0 }.reduce(0, +).squareRoot())
            case 5: return Chapter06Graders.clipReference(g, c, noEpsilon: true)
            case 6:
                let right = try Solutions06.clipGlobalNorm(gradients: g, maxNorm: c)
                return (right.clipped, right.norm * right.norm)
            default:
                let n = g.flatMap { $0 }.map { $0 * $0 }.reduce(0, +).squareRoot()
                return (g.map { $0.map { $0 * min(1, c / n) * (n == 0 ? .nan : 1) } }, n)
            }
        }
        let report = try Chapter06Graders.clipGlobalNorm(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    // MARK: 6.4

    @Test func samplingGraderAcceptsTheSolution() throws {
        let report = try Chapter06Graders.samplingProbabilities(Solutions06.samplingProbabilities)
        #expect(report.passed, "\(report.failures)")
    }

    /// The grader's reference reproduces its hand-worked cases.
    @Test func samplingReferenceAgreesWithHandCases() {
        for c in Chapter06Graders.samplingCases {
            guard let expected = c.expected else { continue }
            let mine = Chapter06Graders.samplingReference(c.logits, c.temperature, c.topK)
            #expect(Grade.close(mine, expected, 1e-12), "\(c.note): \(mine) vs \(expected)")
        }
    }

    @Test("the sampling grader rejects broken distributions and says why", arguments: [
        ("multiplies by T", 0, "multiplied the logits by T"),
        ("keeps exactly k on a tie", 1, "kept exactly k"),
        ("zeroes without renormalising", 2, "without renormalising"),
        ("no maximum subtracted", 3, "NaN"),
        ("keeps the k smallest", 4, "k smallest"),
        ("the (k + 1)-th largest logit as the threshold (off by one)", 5, "expected p ="),
    ])
    func samplingGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: SamplingProbabilities = { z, t, k in
            switch variant {
            case 0: return Chapter06Graders.samplingReference(z, t, k, multiplyByT: true)
            case 1: return Chapter06Graders.samplingReference(z, t, k, strictK: true)
            case 2: return Chapter06Graders.samplingReference(z, t, k, noRenormalise: true)
            case 3:
                let threshold = k.map { $0 < z.count ? z.sorted(by: >)[$0 - 1] : -Double.infinity } ?? -.infinity
                let w = z.map { $0 >= threshold ? exp($0 / t) : 0 }
                let total = w.reduce(0, +)
                return w.map { $0 / total }
            case 5: return Chapter06Graders.samplingReference(z, t, k.map { $0 + 1 })
            default: return Chapter06Graders.samplingReference(z, t, k, keepSmallest: true)
            }
        }
        let report = try Chapter06Graders.samplingProbabilities(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
