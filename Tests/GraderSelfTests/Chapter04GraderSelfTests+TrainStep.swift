// Self-tests of exercise 4.5's grader (an SGD step of skip-gram, trained in
// the book's word2vec trainer): it accepts the reference solution, its
// training thresholds are out of reach for a step that leaves the input
// vectors alone, and it rejects broken steps with a hint naming the mistake.

#if canImport(Solutions04)
import ExerciseKit
import Foundation
@testable import Graders04
import Solutions04
import Testing

@Suite struct Chapter04TrainStepGraderSelfTests {
    static func reference(_ v: [Double], _ u: [Double], _ negatives: [[Double]], _ a: Double) throws
        -> (center: [Double], context: [Double], negatives: [[Double]])
    {
        try Solutions04.skipGramStep(center: v, context: u, negatives: negatives, learningRate: a)
    }

    @Test func trainStepGraderAcceptsTheSolution() throws {
        let report = try Chapter04Graders.trainSkipGram(Self.reference)
        #expect(report.passed, "\(report.failures)")
    }

    /// Only the output vectors learn (v never moves): the input vectors, the
    /// embeddings, stay random, so the margin stays near 0, and the loss
    /// hardly falls.
    @Test func aStepThatNeverMovesTheEmbeddingsFailsTheRun() throws {
        let run = try Chapter04Graders.trainWithStep { v, u, negatives, a in
            let moved = try Self.reference(v, u, negatives, a)
            return (v, moved.context, moved.negatives)
        }
        #expect(run.evaluation.margin < Chapter04Graders.StepRun.minimumMargin / 2, "\(run.evaluation.margin)")
        #expect(run.result.finalLoss > Chapter04Graders.StepRun.maximumFinalLoss + 0.05, "\(run.result.finalLoss)")
    }

    @Test("the step grader rejects broken steps and says why", arguments: [
        ("x + α·∂L/∂x (uphill)", 0, "uphill"),
        ("the learning rate left out", 1, "learning rate is missing"),
        ("the gradient returned", 2, "that is the gradient"),
        ("v updated first, the output vectors' gradients at the new v", 3, "v is right but the output vectors"),
        ("a repeated negative merged into one row", 4, "its own row"),
        ("the negatives' terms missing from v's step", 5, "the output vectors are right but v is not"),
        ("the negatives left unchanged", 6, "expected [v, u, negatives…]"),
        ("α applied twice to the negatives (α²)", 7, "expected [v, u, negatives…]"),
    ])
    func trainStepGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: SGNSStep = { v, u, negatives, a in
            let g = try Solutions04.sgnsGradients(center: v, context: u, negatives: negatives)
            func step(_ x: [Double], _ dx: [Double], _ scale: Double = 1) -> [Double] { zip(x, dx).map { $0 - scale * $1 } }
            switch variant {
            case 0: return (step(v, g.dCenter, -a), step(u, g.dContext, -a), zip(negatives, g.dNegatives).map { step($0, $1, -a) })
            case 1: return (step(v, g.dCenter), step(u, g.dContext), zip(negatives, g.dNegatives).map { step($0, $1) })
            case 2: return (g.dCenter, g.dContext, g.dNegatives)
            case 3:
                let newV = step(v, g.dCenter, a)
                let h = try Solutions04.sgnsGradients(center: newV, context: u, negatives: negatives)
                return (newV, step(u, h.dContext, a), zip(negatives, h.dNegatives).map { step($0, $1, a) })
            case 4:
                var seen: [[Double]] = [], rows: [[Double]] = []
                for (uk, dk) in zip(negatives, g.dNegatives) where !seen.contains(uk) {
                    seen.append(uk)
                    rows.append(step(uk, dk, a))
                }
                return (step(v, g.dCenter, a), step(u, g.dContext, a), rows)
            case 5:
                let onlyPositive = try Solutions04.sgnsGradients(center: v, context: u, negatives: [])
                return (step(v, onlyPositive.dCenter, a), step(u, g.dContext, a), zip(negatives, g.dNegatives).map { step($0, $1, a) })
            case 6: return (step(v, g.dCenter, a), step(u, g.dContext, a), negatives)
            default:
                return (step(v, g.dCenter, a), step(u, g.dContext, a), zip(negatives, g.dNegatives).map { step($0, $1, a * a) })
            }
        }
        let report = try Chapter04Graders.trainSkipGram(broken)
        #expect(!report.passed, "\(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "\(name): \(report.failures.prefix(3))")
        #expect(report.failures.last?.contains("not trained") == true, "\(name)")
    }
}
#endif
