// The grader of exercise 7.5 (causal self-attention plugged into the GPT)
// is tested too: it accepts the reference solution, training included, and
// rejects broken layers, subtle ones included, saying why; and its training
// stage rejects a model that has not learnt. Skipped when an instructor has
// removed exercises/solutions/07-transformer.

#if canImport(Solutions07)
import Backpropagation
import BackpropCore
import ExerciseKit
import Foundation
@testable import Graders07
import Solutions07
import Testing

/// The reference layer with one mistake.
final class BrokenSelfAttention: Layer {
    let variant: Int, heads: Int
    let right: Solutions07.MyCausalSelfAttention
    var backend: Backend = .naive
    var parameters: [Parameter<Double>] { variant == 8 ? [Parameter("gain", try! Tensor(shape: [1], scalars: [1]))] : [] }
    var summary: String { "BrokenSelfAttention(\(variant))" }

    struct Cache {
        var inner: Solutions07.MyCausalSelfAttention.Cache
        var qkv: [Double]
        var shape: [Int]
    }

    init(heads: Int, variant: Int) {
        self.heads = heads
        self.variant = variant
        right = Solutions07.MyCausalSelfAttention(heads: heads)
    }

    func forward(_ qkv: Tensor<Double>, mode: Mode) throws -> (output: Tensor<Double>, cache: Cache) {
        let (y, inner) = try right.forward(qkv, mode: mode)
        let cache = Cache(inner: inner, qkv: qkv.scalars, shape: qkv.shape)
        let mistakes: [Int: Chapter07Graders.MultiHeadMistake] = [0: .unmasked, 1: .scaleByWidth, 2: .interleavedHeads]
        guard let m = mistakes[variant] else { return (y, cache) }
        let (b, t, c) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
        let wrong = Chapter07Graders.multiHeadReference(qkv.scalars, batch: b, length: t, width: c, heads: heads, mistake: m)
        return (try Tensor(shape: y.shape, scalars: wrong), cache)
    }

    func backward(_ dy: Tensor<Double>, cache: Cache) throws -> Tensor<Double> {
        var dqkv = try right.backward(dy, cache: cache.inner)
        let (b, t, c) = (cache.shape[0], cache.shape[1], cache.shape[2] / 3)
        let mistakes: [Int: Chapter07Graders.AttentionBackwardMistake] = [3: .noRowSum, 4: .unmasked, 5: .noScaleInDK]
        if let m = mistakes[variant] {
            let wrong = Chapter07Graders.multiHeadBackwardVariant(cache.qkv, dy.scalars, batch: b, length: t, width: c, heads: heads, m)
            return try Tensor(shape: cache.shape, scalars: wrong)
        }
        if variant == 6, heads > 1 {
            // The last head's last value column, first position: the wrong sign.
            dqkv.scalars[3 * c - 1] = -dqkv.scalars[3 * c - 1]
        }
        if variant == 7 { throw NotAttempted() }
        return dqkv
    }
}

@Suite struct Chapter07AttentionInModelSelfTests {
    /// Forward, backward and 150 training steps (about 2 s in debug).
    @Test func attentionGraderAcceptsTheSolution() throws {
        let report = try Chapter07Graders.attentionInModel { Solutions07.MyCausalSelfAttention(heads: $0) }
        #expect(report.passed, "\(report.failures)")
    }

    /// The analytic multi-head backward pass without a mistake agrees with
    /// the solution (so the variants differ from it only by their mistake).
    @Test func referencesAgree() throws {
        for c in Chapter07Graders.multiHeadCases where c.heads > 1 {
            let layer = Solutions07.MyCausalSelfAttention(heads: c.heads)
            let (_, cache) = try layer.forward(try Tensor(shape: [c.batch, c.length, 3 * c.width], scalars: c.qkv), mode: .training)
            let dqkv = try layer.backward(try Tensor(shape: [c.batch, c.length, c.width], scalars: c.dy), cache: cache)
            for m in Chapter07Graders.AttentionBackwardMistake.allCases {
                let v = Chapter07Graders.multiHeadBackwardVariant(c.qkv, c.dy, batch: c.batch, length: c.length, width: c.width,
                                                                  heads: c.heads, m)
                #expect(!Grade.close(v, dqkv.scalars, 1e-6), "\(m) is indistinguishable in \(c.note)")
            }
        }
    }

    @Test("the attention grader rejects broken layers before training and says why", arguments: [
        ("no causal mask", 0, "no causal mask"),
        ("scores divided by √C", 1, "divided the scores by √C"),
        ("q, k, v interleaved per head", 2, "one block of 3d columns"),
        ("softmax backward without the row-sum term", 3, "row-sum term"),
        ("the mask ignored in backward", 4, "ignores the mask"),
        ("1/√d missing from dK", 5, "1/√d in dK is missing"),
        ("one entry of the last head's dV with the wrong sign", 6, "expected dqkv"),
        ("backward not written", 7, "backward still throws NotAttempted"),
        ("a layer with a parameter", 8, "refused your layer"),
    ])
    func attentionGraderRejects(name: String, variant: Int, hint: String) throws {
        var training = Chapter07Graders.AttentionTraining()
        training.steps = 0
        let report = try Chapter07Graders.attentionInModel({ BrokenSelfAttention(heads: $0, variant: variant) }, training: training)
        #expect(!report.passed, "\(name) passed")
        #expect(report.failures.contains { $0.contains(hint) }, "\(name): \(report.failures)")
        #expect(!report.failures.contains { $0.contains("training a GPT") }, "\(name) reached training")
    }

    /// An untrained model (one step) does not reach the target.
    @Test func trainingStageRejectsAnUntrainedModel() throws {
        var training = Chapter07Graders.AttentionTraining()
        training.steps = 1
        let report = try Chapter07Graders.attentionInModel({ Solutions07.MyCausalSelfAttention(heads: $0) }, training: training)
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.contains("must reach 3.00 nats per character or less") == true, "\(report.failures)")
        #expect(report.failures.first?.contains("by its frequency gives 3.28, uniform guessing ln 57 = 4.04") == true, "\(report.failures)")
    }
}
#endif
