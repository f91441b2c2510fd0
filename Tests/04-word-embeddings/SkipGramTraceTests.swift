// The trace the chapter's diagrams draw must be the trainer's own draws:
// replaying SGD over the traced examples reproduces the trainer's tables
// bit for bit.

import BackpropCore
import Foundation
import Testing
@testable import WordEmbeddings

@Suite struct SkipGramTraceTests {
    /// One single-threaded epoch on a text short enough that the learning
    /// rate stays α₀ (it is recomputed every 1,024 positions), with the naive
    /// kernels, replayed from the trace with the same kernels in the same
    /// order: positive first, then the negatives as drawn, skipping a draw
    /// equal to the positive; then v_c += e.
    @Test(arguments: [UInt64(7), 42])
    func replayingTheTraceReproducesTheTrainer(seed: UInt64) throws {
        var o = smallOptions(seed: seed)
        o.sample = 1e-2
        o.backend = .naive
        let trainer = try Word2VecTrainer(text: try shakespeare(prefix: 4_000), options: o)
        let result = try trainer.train()
        let trace = SkipGramTrace(trainer: trainer, centres: Int.max)
        #expect(trace.kept.count == trainer.corpus.count)
        #expect(trace.sentence.count == trace.kept.filter { $0 }.count)
        try #require(trace.sentence.count < 1024 && trace.centres.count == trace.sentence.count)
        #expect(result.examples == trace.centres.map(\.examples.count).reduce(0, +))
        #expect(trace.centres.flatMap(\.examples).contains { $0.usedNegatives.count < $0.negatives.count },
                "no draw equal to its positive: the skip rule is untested")

        let d = o.dimension, alpha = Float(o.startingLearningRate)
        let tables = EmbeddingTables(rows: trainer.vocabulary.count, dimension: d, seed: o.seed)
        let error = UnsafeMutablePointer<Float>.allocate(capacity: d)
        defer { error.deallocate() }
        for centre in trace.centres {
            let h = tables.input + centre.word * d
            for e in centre.examples {
                error.update(repeating: 0, count: d)
                for (target, label) in [(e.context, Float(1))] + e.usedNegatives.map({ ($0, Float(0)) }) {
                    let u = tables.output + target * d
                    let s = NaiveWord2VecKernels.dot(h, u, count: d)
                    NaiveWord2VecKernels.step((label - NegativeSampling.sigmoid(s)) * alpha, hidden: h, output: u, error: error, count: d)
                }
                NaiveWord2VecKernels.axpy(1, error, h, count: d)
            }
        }
        let count = trainer.vocabulary.count * d
        #expect(Array(UnsafeBufferPointer(start: tables.input, count: count)).map(\.bitPattern)
                == result.embeddings.vectors.map(\.bitPattern))
        #expect(Array(UnsafeBufferPointer(start: tables.output, count: count)).map(\.bitPattern)
                == result.outputVectors.map(\.bitPattern))
    }
}
