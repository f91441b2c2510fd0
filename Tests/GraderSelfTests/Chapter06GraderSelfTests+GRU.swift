// The grader of exercise 6.5 (the backward pass of one GRU step) is tested
// too: it accepts the reference solution and rejects broken backward passes,
// subtle ones included, saying why. Skipped when an instructor has removed
// exercises/solutions/06-recurrent-networks.

#if canImport(Solutions06)
import ExerciseKit
import Foundation
@testable import Graders06
import Solutions06
import Testing

@Suite struct Chapter06GRUSelfTests {
    @Test func gruGraderAcceptsTheSolution() throws {
        let report = try Chapter06Graders.gruCellBackward(Solutions06.gruCellBackward)
        #expect(report.passed, "\(report.failures)")
    }

    /// The hand-worked values agree with the grader's forward pass (h = 0)
    /// and with the grader's own finite differences on the same inputs.
    @Test func gruHandCaseAgreesWithFiniteDifferences() throws {
        let c = Chapter06Graders.gruCases[0]
        let hand = try #require(c.handWorked)
        #expect(abs(Chapter06Graders.gruForward(c.x, c.hPrev, c.wih, c.whh, c.bih, c.bhh)[0]) < 1e-15)
        func loss(_ v: [Double], _ slot: Int) -> Double {
            let wih = slot == 2 ? v.map { [$0] } : c.wih, whh = slot == 3 ? v.map { [$0] } : c.whh
            return Chapter06Graders.gruForward(slot == 0 ? v : c.x, slot == 1 ? v : c.hPrev, wih, whh,
                                               slot == 4 ? v : c.bih, slot == 5 ? v : c.bhh)[0]
        }
        let points = [c.x, c.hPrev, c.wih.flatMap { $0 }, c.whh.flatMap { $0 }, c.bih, c.bhh]
        let handValues = [hand.dx, hand.dhPrev, hand.dWih.flatMap { $0 }, hand.dWhh.flatMap { $0 }, hand.dbih, hand.dbhh]
        for slot in 0..<6 {
            let numeric = points[slot].indices.map { i -> Double in
                var plus = points[slot], minus = points[slot]
                plus[i] += 1e-6
                minus[i] -= 1e-6
                return (loss(plus, slot) - loss(minus, slot)) / 2e-6
            }
            #expect(Grade.close(numeric, handValues[slot], 1e-8), "slot \(slot): \(numeric) vs \(handValues[slot])")
        }
    }

    @Test("the GRU grader rejects broken backward passes and says why", arguments: [
        ("b_hn treated like b_in (outside the r product)", 0, "treated b_hn like b_in"),
        ("(1 − z) and z swapped", 1, "are swapped"),
        ("no path through r", 2, "reset gate r is missing"),
        ("no direct path z ⊙ h_prev in dh_prev", 3, "direct path"),
        ("r left out on the recurrent side of the n block", 4, "multiplied by r"),
        ("one entry of dW_hh with the wrong sign", 5, "expected dW_hh"),
        ("db_hh returned equal to db_ih", 6, "db_hh = db_ih"),
    ])
    func gruGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: GRUCellBackward = { x, hPrev, wih, whh, bih, bhh, dh in
            let right = try Solutions06.gruCellBackward(
                x: x, hPrev: hPrev, weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh, dh: dh)
            let c = Chapter06Graders.GRUCase(x: x, hPrev: hPrev, wih: wih, whh: whh, bih: bih, bhh: bhh, dh: dh,
                                             note: "")
            let mistakes: [Chapter06Graders.GRUMistake] = [.bhnOutside, .zSwapped, .noResetPath, .noDirectPath,
                                                           .recurrentWithoutR]
            switch variant {
            case 0..<5:
                let v = Chapter06Graders.gruVariant(c, mistakes[variant])
                return (v.dx, v.dhPrev, v.dWih, v.dWhh, v.dbih, v.dbhh)
            case 5:
                var dWeightHH = right.dWeightHH
                dWeightHH[dWeightHH.count - 1][0] = -dWeightHH[dWeightHH.count - 1][0]
                return (right.dx, right.dhPrev, right.dWeightIH, dWeightHH, right.dBiasIH, right.dBiasHH)
            default:
                return (right.dx, right.dhPrev, right.dWeightIH, right.dWeightHH, right.dBiasIH, right.dBiasIH)
            }
        }
        let report = try Chapter06Graders.gruCellBackward(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    /// The direct-path variant is also caught without the grader's variant
    /// code: dh_prev written here with the z ⊙ dh term removed.
    @Test func gruGraderRejectsAMissingDirectPathWrittenIndependently() throws {
        let report = try Chapter06Graders.gruCellBackward { x, hPrev, wih, whh, bih, bhh, dh in
            let right = try Solutions06.gruCellBackward(
                x: x, hPrev: hPrev, weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh, dh: dh)
            let hidden = hPrev.count
            let z = (0..<hidden).map { j -> Double in
                let a = bih[hidden + j] + bhh[hidden + j] + zip(wih[hidden + j], x).map { $0 * $1 }.reduce(0, +)
                    + zip(whh[hidden + j], hPrev).map { $0 * $1 }.reduce(0, +)
                return 1 / (1 + exp(-a))
            }
            let dhPrev = (0..<hidden).map { right.dhPrev[$0] - z[$0] * dh[$0] }
            return (right.dx, dhPrev, right.dWeightIH, right.dWeightHH, right.dBiasIH, right.dBiasHH)
        }
        #expect(!report.passed)
        #expect(report.failures.contains { $0.contains("direct path") }, "\(report.failures)")
    }
}
#endif
