// Self-tests of exercise 4.4's grader (CBOW with negative sampling): it
// accepts the reference solution and rejects broken ones, each a copy of a
// CBOW backward pass with one mistake, subtle ones included (a repeated
// context word counted once, the loss computed naively, which only the
// large scores expose).

#if canImport(Solutions04)
import ExerciseKit
import Foundation
@testable import Graders04
import Solutions04
import Testing

@Suite struct Chapter04CBOWGraderSelfTests {
    @Test func cbowGraderAcceptsTheSolution() throws {
        let report = try Chapter04Graders.cbowGradients {
            try Solutions04.cbowGradients(contexts: $0, positive: $1, negatives: $2)
        }
        #expect(report.passed, "\(report.failures)")
    }

    /// The large cases reach scores of ±40 and ±800 exactly, the grader's loss
    /// stays finite there, and the repeat case really repeats rows.
    @Test func cbowCasesReachLargeScoresAndRepeats() {
        let cases = Chapter04Graders.cbowCases()
        let scores = cases.filter(\.large).map {
            Chapter04Graders.dot($0.positive, Chapter04Graders.cbowHidden($0.contexts))
        }
        #expect(scores.contains { abs($0 + 40) < 1e-9 } && scores.contains { abs($0 + 800) < 1e-9 }, "\(scores)")
        for c in cases {
            #expect(Chapter04Graders.cbowLoss(contexts: c.contexts, positive: c.positive, negatives: c.negatives).isFinite)
        }
        #expect(cases.contains { $0.contexts.count == 3 && $0.contexts[0] == $0.contexts[2] && $0.contexts[0] != $0.contexts[1] })
    }

    enum Bug { case fullShare, sumHidden, distinctContexts, negativeSign, negativesMissingFromHidden,
               repeatedNegativeMerged, naiveLoss, dividedByCMinusOne }

    static func broken(_ bug: Bug) -> CBOWGradients {
        { contexts, u, negatives in
            let sigmoid = { (x: Double) in x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)) }
            let softplus = { (z: Double) in max(z, 0) + log1p(exp(-abs(z))) }
            let dot = { (a: [Double], b: [Double]) in zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
            var rows: [[Double]] = []
            for row in contexts where bug != .distinctContexts || !rows.contains(row) { rows.append(row) }
            let divisor = switch bug {
            case .sumHidden: 1.0
            case .dividedByCMinusOne: Double(max(rows.count - 1, 1))
            default: Double(rows.count)
            }
            let h = u.indices.map { i in rows.reduce(0) { $0 + $1[i] } / divisor }
            var loss = bug == .naiveLoss ? -log(sigmoid(dot(u, h))) : softplus(-dot(u, h))
            let gPositive = sigmoid(dot(u, h)) - 1
            var dh = u.map { gPositive * $0 }
            var dNegatives: [[Double]] = []
            var seen: [[Double]] = []
            for uk in negatives {
                let s = dot(uk, h)
                loss += bug == .naiveLoss ? -log(1 - sigmoid(s)) : softplus(s)
                let g = bug == .negativeSign ? sigmoid(-s) : sigmoid(s)
                if bug != .negativesMissingFromHidden { for i in dh.indices { dh[i] += g * uk[i] } }
                if bug == .repeatedNegativeMerged, seen.contains(uk) { continue }
                seen.append(uk)
                dNegatives.append(h.map { g * $0 })
            }
            let share = bug == .fullShare || bug == .sumHidden ? 1 : 1 / divisor
            return (loss, contexts.map { _ in dh.map { share * $0 } }, h.map { gPositive * $0 }, dNegatives)
        }
    }

    @Test("the CBOW grader rejects broken gradients and says why", arguments: [
        ("each context vector gets all of ∂L/∂h (word2vec's trainer)", Bug.fullShare, "got all of ∂L/∂h"),
        ("h the sum of the context vectors", .sumHidden, "sum of the context vectors"),
        ("a repeated context word counted once", .distinctContexts, "counts twice"),
        ("σ(−uₖ·h) for the negatives", .negativeSign, "not σ(−uₖ·h)"),
        ("the negatives missing from ∂L/∂h", .negativesMissingFromHidden, "missing the negatives' terms"),
        ("a repeated negative merged into one row", .repeatedNegativeMerged, "its own row"),
        ("log(1 − σ(x)) in the loss", .naiveLoss, "not finite"),
        ("h divided by C − 1", .dividedByCMinusOne, "expected L"),
    ])
    func cbowGraderRejects(name: String, bug: Bug, hint: String) throws {
        let report = try Chapter04Graders.cbowGradients(Self.broken(bug))
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    /// The naive loss is right on moderate scores: only the large cases may
    /// reject it.
    @Test func cbowGraderRejectsNaiveLossOnlyOnLargeScores() throws {
        let report = try Chapter04Graders.cbowGradients(Self.broken(.naiveLoss))
        #expect(!report.failures.isEmpty && report.failures.allSatisfy { $0.contains("not finite") }, "\(report.failures)")
    }
}
#endif
