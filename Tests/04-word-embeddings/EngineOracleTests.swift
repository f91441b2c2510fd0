// The third oracle (beside finite differences and the PyTorch fixtures): the
// negative-sampling gradients derived by hand in NegativeSampling.swift
// against the same loss written with chapter 3's engine, which derives the
// gradients from the forward operations alone: rows gathered from the two
// tables, dot products as a sum over the feature axis, −log σ(±s), the mean
// over the batch. Gather's backward is a scatter-add, so a word that appears
// several times in a batch collects every contribution, as the tables'
// gradients must.

import AutomaticDifferentiation
import BackpropCore
import Testing
import TestSupport
import WordEmbeddings

@Suite struct EngineOracleTests {
    /// The engine's mean loss and the gradients of both tables; h is the mean
    /// of `hiddenWords[i]`'s input rows (one row for skip-gram).
    static func engine(input: Tensor<Double>, output: Tensor<Double>, hiddenWords: [[Int]], positive: [Int],
                       negatives: [[Int]]) throws -> (loss: Double, input: Tensor<Double>, output: Tensor<Double>) {
        let tape = Tape<Double>(backend: .naive)
        let vin = tape.variable(input), vout = tape.variable(output)
        let (n, c, d) = (positive.count, hiddenWords[0].count, input.shape[1])
        let h = try vin.gather(rows: hiddenWords.flatMap { $0 }).reshaped([n, c, d]).mean(axis: 1)   // [N, D]
        func score(_ words: [Int]) throws -> Variable<Double> { try (h * vout.gather(rows: words)).sum(axis: 1) }  // [N]
        var loss = try score(positive).sigmoid().log().scaled(by: -1)                                 // −log σ(s_o)
        for k in 0..<negatives[0].count {
            loss = try loss - score(negatives.map { $0[k] }).scaled(by: -1).sigmoid().log()              // −log σ(−s_k)
        }
        let mean = loss.mean()
        try mean.backward()
        return (mean.item, try #require(vin.grad), try #require(vout.grad))
    }

    @Test("skip-gram and CBOW gradients agree with the engine's derivation, repeated words included")
    func negativeSamplingMatchesTheEngine() throws {
        let (v, d) = (9, 5)
        let input = randomTensor([v, d], seed: 61, scale: 0.6), output = randomTensor([v, d], seed: 62, scale: 0.6)
        // word 2 is a centre twice and a negative too; word 7 a negative of the same example twice
        let center = [2, 4, 2, 0], context = [3, 2, 5, 8]
        let negatives = [[7, 7, 1], [0, 6, 2], [1, 8, 3], [5, 2, 7]]
        let sg = NegativeSampling.skipGramBatch(input: input, output: output, center: center, context: context, negatives: negatives)
        let sgEngine = try Self.engine(input: input, output: output, hiddenWords: center.map { [$0] }, positive: context, negatives: negatives)
        #expect(abs(sg.loss - sgEngine.loss) < 1e-13)
        #expect(maxRelativeDifference(sg.gradInput, sgEngine.input) < 1e-13)
        #expect(maxRelativeDifference(sg.gradOutput, sgEngine.output) < 1e-13)

        let contexts = [[1, 3, 3, 5], [0, 2, 6, 8], [4, 4, 7, 1], [2, 3, 5, 6]]
        let cb = NegativeSampling.cbowBatch(input: input, output: output, contexts: contexts, center: center, negatives: negatives)
        let cbEngine = try Self.engine(input: input, output: output, hiddenWords: contexts, positive: center, negatives: negatives)
        #expect(abs(cb.loss - cbEngine.loss) < 1e-13)
        #expect(maxRelativeDifference(cb.gradInput, cbEngine.input) < 1e-13)
        #expect(maxRelativeDifference(cb.gradOutput, cbEngine.output) < 1e-13)
    }
}
