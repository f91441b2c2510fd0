// Training on slices of tinyshakespeare (small settings, fast in DEBUG).

import BackpropCore
import Foundation
import Testing
@testable import WordEmbeddings

@Suite struct TrainingTests {
    @Test(arguments: [Word2VecArchitecture.sgns, .cbow])
    func lossDecreases(model: Word2VecArchitecture) throws {
        var o = smallOptions(model)
        o.epochs = 3
        o.learningRate = 0.1  // a larger step than word2vec's, for a short run
        o.sample = 1e-2
        o.historyPoints = 10
        let r = try Word2VecTrainer(text: try shakespeare(prefix: 100_000), options: o).train()
        let first = try #require(r.lossHistory.first?.loss), last = r.finalLoss
        // At the start u = 0, so L = (1 + K)·log 2 ≈ 2.77 for K = 3.
        #expect(abs(first - 4 * Foundation.log(2.0)) < 0.3, "first \(first)")
        #expect(last < first - 0.2, "loss went from \(first) to \(last)")
        #expect(r.embeddings.vectors.allSatisfy { $0.isFinite })
    }

    @Test(arguments: [Word2VecArchitecture.sgns, .cbow])
    func singleThreadIsBitReproducible(model: Word2VecArchitecture) throws {
        let text = try shakespeare(prefix: 20_000)
        let a = try Word2VecTrainer(text: text, options: smallOptions(model)).train()
        let b = try Word2VecTrainer(text: text, options: smallOptions(model)).train()
        #expect(a.embeddings.vectors.map(\.bitPattern) == b.embeddings.vectors.map(\.bitPattern))
        #expect(a.outputVectors.map(\.bitPattern) == b.outputVectors.map(\.bitPattern))
        let c = try Word2VecTrainer(text: text, options: smallOptions(model, seed: 8)).train()
        #expect(a.embeddings.vectors != c.embeddings.vectors)
    }

    @Test func twinsTrainAlikeAndTwoThreadsWork() throws {
        let text = try shakespeare(prefix: 20_000)
        var o = smallOptions()
        o.backend = .naive
        let naive = try Word2VecTrainer(text: text, options: o).train()
        o.backend = .simd
        let simd = try Word2VecTrainer(text: text, options: o).train()
        // Same random draws; only rounding differs, so the runs stay close.
        let diff = zip(naive.embeddings.vectors, simd.embeddings.vectors).map { abs($0 - $1) }.max() ?? 0
        #expect(diff < 1e-3, "naive and simd runs differ by \(diff)")
        o.threads = 2
        let two = try Word2VecTrainer(text: text, options: o).train()
        #expect(two.embeddings.vectors.allSatisfy { $0.isFinite } && two.examples > 0)
    }

    /// After a short run on the first 200k characters, related pairs
    /// (king–queen, thou–thee…) are closer than mismatched pairs of the same
    /// words. Untrained vectors give a margin near 0; a broken gradient sign
    /// or update gives ≤ 0.
    @Test func relatedPairsBeatMismatchedPairs() throws {
        var o = smallOptions()
        o.dimension = 24
        o.window = 4
        o.epochs = 3
        o.minCount = 3
        o.learningRate = 0.1
        o.sample = 1e-2
        let r = try Word2VecTrainer(text: try shakespeare(prefix: 200_000), options: o).train()
        let report = EvaluationSet.evaluate(r.embeddings)
        #expect(report.margin > 0.05, "related \(report.relatedMean) vs mismatched \(report.mismatchedMean)")
    }

    @Test func invalidOptionsAreRejected() throws {
        var o = smallOptions()
        o.window = 0
        let error = #expect(throws: TrainingError.self) { try Word2VecTrainer(text: "a b c", options: o) }
        #expect(error?.description.contains("window") == true)
    }
}
