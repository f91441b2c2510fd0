// Word2VecTrainer.train(skipGramStep:): the seam exercise 4.5 plugs a
// student's step into. The book's own step (NegativeSampling.example) must
// train through it like the kernels do, with the same random draws.

import BackpropCore
import Foundation
import Testing
@testable import WordEmbeddings

@Suite struct ExternalStepTests {
    /// x − α·∂L/∂x for every vector, the gradients from NegativeSampling.
    static func referenceStep(_ v: [Double], _ u: [Double], _ negatives: [[Double]], _ a: Double)
        -> (center: [Double], context: [Double], negatives: [[Double]])
    {
        let g = NegativeSampling.example(hidden: v, positive: u, negatives: negatives)
        func step(_ x: [Double], _ dx: [Double]) -> [Double] { zip(x, dx).map { $0 - a * $1 } }
        return (step(v, g.hidden), step(u, g.positive), zip(negatives, g.negatives).map(step))
    }

    /// Same corpus, subsampling, windows and negatives as the kernels' run
    /// (so exactly as many examples), and a loss that falls as far.
    @Test func theReferenceStepTrainsLikeTheKernels() throws {
        var o = smallOptions()
        o.dimension = 8
        o.window = 2
        o.negative = 2
        o.learningRate = 0.2
        o.sample = 1e-2
        o.epochs = 4
        o.historyPoints = 10
        let trainer = try Word2VecTrainer(text: try shakespeare(prefix: 20_000), options: o)
        let kernels = try trainer.train()
        let external = try trainer.train(skipGramStep: Self.referenceStep)
        #expect(external.examples == kernels.examples)
        let first = try #require(external.lossHistory.first?.loss)
        #expect(abs(first - 3 * Foundation.log(2.0)) < 0.3, "first \(first)")
        #expect(abs(external.finalLoss - kernels.finalLoss) < 0.05, "\(external.finalLoss) vs \(kernels.finalLoss)")
        #expect(external.finalLoss < first - 0.2)
    }

    /// A step that changes nothing leaves the tables as initialised, and the
    /// loss (computed by the trainer, not the step) near (1 + K)·log 2.
    @Test func theLossIsTheTrainers() throws {
        let trainer = try Word2VecTrainer(text: try shakespeare(prefix: 10_000), options: smallOptions())
        var calls = 0
        let r = try trainer.train(skipGramStep: { v, u, n, _ in calls += 1; return (v, u, n) })
        #expect(calls == r.examples && calls > 0)
        // (1 + K)·log 2 when all K draws are kept; a draw equal to the context
        // word is skipped, so a little less on average, never more.
        #expect(r.finalLoss <= 4 * Foundation.log(2.0) + 1e-6 && r.finalLoss > 4 * Foundation.log(2.0) - 0.05)
        #expect(r.outputVectors.allSatisfy { $0 == 0 })
    }

    /// Every returned change lands on its row, a repeated negative's twice:
    /// with every negative row raised by 1, the output table gains exactly
    /// 1·D per row handed out (K = 8 of 3,000-odd tokens' words repeat often).
    @Test func changesAreAddedRowByRow() throws {
        var o = smallOptions()
        o.negative = 8
        let trainer = try Word2VecTrainer(text: try shakespeare(prefix: 5_000), options: o)
        var handedOut = 0
        let r = try trainer.train(skipGramStep: { v, u, negatives, _ in
            handedOut += negatives.count
            return (v, u, negatives.map { $0.map { $0 + 1 } })
        })
        let total = r.outputVectors.reduce(0) { $0 + Double($1) }
        #expect(total == Double(handedOut * o.dimension), "\(total) vs \(handedOut) rows")
    }

    @Test func errorsStopTraining() throws {
        struct Stop: Error {}
        let trainer = try Word2VecTrainer(text: try shakespeare(prefix: 10_000), options: smallOptions())
        var calls = 0
        #expect(throws: Stop.self) {
            try trainer.train(skipGramStep: { _, _, _, _ in calls += 1; throw Stop() })
        }
        #expect(calls == 1)
        let error = #expect(throws: TrainingError.self) {
            try trainer.train(skipGramStep: { v, u, n, _ in (v, u, Array(n.dropLast())) })
        }
        #expect(error?.description.contains("one per negative") == true)
        var cbow = smallOptions(.cbow)
        cbow.threads = 1
        let cbowTrainer = try Word2VecTrainer(text: "a b c a b c a b c", options: { var o = cbow; o.minCount = 1; return o }())
        #expect(throws: TrainingError.self) { try cbowTrainer.train(skipGramStep: Self.referenceStep) }
    }
}
