// The negative-sampling loss: gradient checks in Double, the PyTorch
// fixtures, and the trainer's SGD step against the reference gradient.

import BackpropCore
import Foundation
import TestSupport
import Testing
@testable import WordEmbeddings

@Suite struct LossTests {
    let v = 9, d = 4
    // Repeated ids on purpose: gradients must accumulate.
    let center = [2, 5, 2]
    let context = [7, 1, 3]
    let negatives = [[4, 4, 8], [2, 0, 7], [6, 1, 3]]
    let windows = [[0, 3, 3, 8], [1, 2, 6, 4], [5, 7, 0, 2]]

    @Test(arguments: ["sgns", "cbow"])
    func gradientCheck(model: String) throws {
        let input = randomTensor([v, d], seed: 1), output = randomTensor([v, d], seed: 2)
        func batch(_ i: Tensor<Double>, _ o: Tensor<Double>) -> NegativeSampling.Batch<Double> {
            model == "sgns"
                ? NegativeSampling.skipGramBatch(input: i, output: o, center: center, context: context, negatives: negatives)
                : NegativeSampling.cbowBatch(input: i, output: o, contexts: windows, center: center, negatives: negatives)
        }
        let b = batch(input, output)
        let wrtInput = try GradientCheck.check({ batch($0, output).loss }, at: input, analytic: b.gradInput)
        let wrtOutput = try GradientCheck.check({ batch(input, $0).loss }, at: output, analytic: b.gradOutput)
        #expect(wrtInput.passes(1e-6), "\(wrtInput)")
        #expect(wrtOutput.passes(1e-6), "\(wrtOutput)")
    }

    @Test func stableLogSigmoid() {
        #expect(NegativeSampling.logSigmoid(-800.0) == -800)
        #expect(NegativeSampling.logSigmoid(800.0) == 0)
        #expect(abs(NegativeSampling.logSigmoid(0.0) + Foundation.log(2)) < 1e-15)
        #expect(NegativeSampling.sigmoid(Float(-100)) >= 0 && NegativeSampling.sigmoid(Float(100)) == 1)
    }

    @Test func matchesPyTorchSkipGram() throws {
        let f = try fixture("ch4_sgns")
        let b = NegativeSampling.skipGramBatch(
            input: try f.tensor("input_vectors", as: Double.self), output: try f.tensor("output_vectors", as: Double.self),
            center: ids(try f.tensor("center", as: Double.self)), context: ids(try f.tensor("context", as: Double.self)),
            negatives: idRows(try f.tensor("negatives", as: Double.self)))
        #expect(abs(b.loss - (try f.scalar("loss"))) < 1e-12)
        #expect(maxRelativeDifference(b.gradInput.scalars, try f.tensor("grad_input", as: Double.self).scalars) < 1e-12)
        #expect(maxRelativeDifference(b.gradOutput.scalars, try f.tensor("grad_output", as: Double.self).scalars) < 1e-12)
    }

    @Test func matchesPyTorchCBOW() throws {
        let f = try fixture("ch4_cbow")
        let b = NegativeSampling.cbowBatch(
            input: try f.tensor("input_vectors", as: Double.self), output: try f.tensor("output_vectors", as: Double.self),
            contexts: idRows(try f.tensor("context_windows", as: Double.self)), center: ids(try f.tensor("target", as: Double.self)),
            negatives: idRows(try f.tensor("negatives", as: Double.self)))
        #expect(abs(b.loss - (try f.scalar("loss"))) < 1e-12)
        #expect(maxRelativeDifference(b.gradInput.scalars, try f.tensor("grad_input", as: Double.self).scalars) < 1e-12)
        #expect(maxRelativeDifference(b.gradOutput.scalars, try f.tensor("grad_output", as: Double.self).scalars) < 1e-12)
    }

    /// The trainer's inner step (K.step per output vector, then h += e) is
    /// SGD on the reference loss: for distinct output rows, each row moves by
    /// −α·∂L/∂row of one example.
    @Test(arguments: Backend.allCases)
    func trainerStepIsSGDOnTheLoss(backend: Backend) {
        let dim = 11, alpha: Float = 0.1
        var rng = SeededRandom(seed: 5)
        func vector() -> [Float] { (0..<dim).map { _ in Float(rng.uniform(-0.5, 0.5)) } }
        var h = vector()
        var outputs = [vector(), vector(), vector()]  // positive, then two negatives
        let reference = NegativeSampling.example(
            hidden: h.map(Double.init), positive: outputs[0].map(Double.init),
            negatives: outputs.dropFirst().map { $0.map(Double.init) })
        var error = [Float](repeating: 0, count: dim)
        func step<K: Word2VecKernels>(_: K.Type) {
            h.withUnsafeMutableBufferPointer { hp in
                error.withUnsafeMutableBufferPointer { ep in
                    for (k, _) in outputs.enumerated() {
                        outputs[k].withUnsafeMutableBufferPointer { up in
                            let s = K.dot(hp.baseAddress!, up.baseAddress!, count: dim)
                            let label: Float = k == 0 ? 1 : 0
                            K.step((label - NegativeSampling.sigmoid(s)) * alpha, hidden: hp.baseAddress!,
                                   output: up.baseAddress!, error: ep.baseAddress!, count: dim)
                        }
                    }
                    K.axpy(1, ep.baseAddress!, hp.baseAddress!, count: dim)
                }
            }
        }
        let h0 = h, u0 = outputs
        switch backend {
        case .naive: step(NaiveWord2VecKernels.self)
        case .simd: step(SIMDWord2VecKernels.self)
        }
        let grads = [reference.positive] + reference.negatives
        for j in 0..<dim {
            #expect(abs(Double(h[j]) - (Double(h0[j]) - Double(alpha) * reference.hidden[j])) < 1e-6)
            for k in 0..<3 {
                #expect(abs(Double(outputs[k][j]) - (Double(u0[k][j]) - Double(alpha) * grads[k][j])) < 1e-6)
            }
        }
    }
}
