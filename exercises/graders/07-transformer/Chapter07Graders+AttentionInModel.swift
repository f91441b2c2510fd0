// Grader for exercise 7.5: the student's multi-head causal self-attention,
// a `Layer` (qkv [B, T, 3C] → y [B, T, C], dy → dqkv), inside the book's
// GPT. In order, stopping at the first stage that fails:
//   1. forward: y against 7.1's loops (`attentionReference`) run head by
//      head on the columns each head owns, a hand-worked case and scores
//      near 1800;
//   2. backward: dqkv against centered finite differences of ⟨dy, y⟩ through
//      that reference;
//   3. training: a GPT (width 16, one block, 2 heads, context 8, Double, the
//      naive kernels) with the student's layer in place of the library's
//      attention (`MultiHeadAttention.replaceAttention`) trains on the first
//      10,000 characters of tinyshakespeare for 150 steps (Adam 0.01, β₂ =
//      0.99, clipping at 1, the steps of GPTTrainer), seed 7, and must
//      reach a validation loss of at most 3.0 nats per character.
// The variants below only name a wrong answer's likely mistake; they are
// never the expected values.

import Backpropagation
import BackpropCore
import ExerciseKit
import Foundation
import Graders06
import RecurrentNetworks
import Transformer

extension Chapter07Graders {
    /// The settings of the training stage, stated in the exercise.
    public struct AttentionTraining: Sendable {
        public var prefix = 10_000, width = 16, heads = 2, layers = 1, context = 8, batch = 4
        public var steps = 150, learningRate = 0.01, seed: UInt64 = 7
        /// The validation loss (nats per character) a correct layer must reach.
        public var target = 3.0
        public init() {}
    }

    /// The forward-pass mistakes the grader recognises.
    enum MultiHeadMistake: CaseIterable {
        case unmasked, scaleByWidth, interleavedHeads

        var hint: String {
            switch self {
            case .unmasked: return " — no causal mask: position i must not see positions j > i"
            case .scaleByWidth:
                return " — you divided the scores by √C (the whole width); each head divides by √d with d = C/H, "
                    + "its own width"
            case .interleavedHeads:
                return " — you read each head's q, k and v as one block of 3d columns; the layout is all queries "
                    + "(columns 0 ..< C), then all keys (C ..< 2C), then all values (2C ..< 3C), and head h owns "
                    + "columns h·d ..< (h+1)·d of each"
            }
        }
    }

    /// y [B·T·C] from qkv [B·T·3C], head by head with 7.1's loops, or with `mistake` made.
    static func multiHeadReference(_ qkv: [Double], batch: Int, length: Int, width c: Int, heads: Int,
                                   mistake: MultiHeadMistake? = nil) -> [Double] {
        let d = c / heads
        var y = [Double](repeating: 0, count: batch * length * c)
        for b in 0..<batch {
            for h in 0..<heads {
                // the columns of head h's queries, keys and values
                let (q0, k0, v0) = mistake == .interleavedHeads ? (3 * h * d, 3 * h * d + d, 3 * h * d + 2 * d)
                                                                : (h * d, c + h * d, 2 * c + h * d)
                func block(_ start: Int, _ factor: Double = 1) -> [[Double]] {
                    (0..<length).map { t in (0..<d).map { qkv[(b * length + t) * 3 * c + start + $0] * factor } }
                }
                let q = block(q0, mistake == .scaleByWidth ? 1 / Double(heads).squareRoot() : 1)
                let out = attentionReference(q, block(k0), block(v0), masked: mistake != .unmasked).output
                for t in 0..<length { for e in 0..<d { y[(b * length + t) * c + h * d + e] = out[t][e] } }
            }
        }
        return y
    }

    /// dqkv written out analytically, head by head with 7.4's variants and
    /// `mistake` made. Used only to recognise a wrong answer.
    static func multiHeadBackwardVariant(_ qkv: [Double], _ dy: [Double], batch: Int, length: Int, width c: Int, heads: Int,
                                         _ mistake: AttentionBackwardMistake) -> [Double] {
        let d = c / heads
        var dqkv = [Double](repeating: 0, count: qkv.count)
        for b in 0..<batch {
            for h in 0..<heads {
                func block(_ v: [Double], _ stride: Int, _ start: Int) -> [[Double]] {
                    (0..<length).map { t in (0..<d).map { v[(b * length + t) * stride + start + $0] } }
                }
                let r = attentionBackwardVariant(block(qkv, 3 * c, h * d), block(qkv, 3 * c, c + h * d),
                                                 block(qkv, 3 * c, 2 * c + h * d), block(dy, c, h * d), mistake)
                for t in 0..<length {
                    for e in 0..<d {
                        let row = (b * length + t) * 3 * c
                        dqkv[row + h * d + e] = r.dq[t][e]
                        dqkv[row + c + h * d + e] = r.dk[t][e]
                        dqkv[row + 2 * c + h * d + e] = r.dv[t][e]
                    }
                }
            }
        }
        return dqkv
    }

    struct MultiHeadCase {
        var batch, length, width, heads: Int
        var qkv, dy: [Double]
        var expected: [Double]?
        var note: String
    }

    static var multiHeadCases: [MultiHeadCase] {
        // 7.1's hand-worked case as one sequence with one head (C = d = 1):
        // q = (1, 1), k = (0, ln 3), v = (1, 5) give y = (1, 4).
        var cases = [MultiHeadCase(batch: 1, length: 2, width: 1, heads: 1, qkv: [1, 0, 1, 1, log(3), 5], dy: [1, -2],
                                   expected: [1, 4], note: "hand-worked (7.1's case: B = 1, T = 2, C = 1, one head)")]
        var rng = SeededRandom(seed: 7505)
        for (b, t, c, h) in [(2, 3, 4, 2), (1, 4, 6, 3), (2, 4, 8, 2)] {
            cases.append(MultiHeadCase(batch: b, length: t, width: c, heads: h,
                                       qkv: (0..<(b * t * 3 * c)).map { _ in rng.uniform(-1.5, 1.5) },
                                       dy: (0..<(b * t * c)).map { _ in rng.uniform(-1, 1) },
                                       note: "random, B = \(b), T = \(t), C = \(c), \(h) heads"))
        }
        // Queries and keys near 30 in every column: scores about 1800 (e^1800 = ∞).
        let (b, t, c) = (1, 3, 4)
        cases.append(MultiHeadCase(
            batch: b, length: t, width: c, heads: 1,
            qkv: (0..<(b * t * 3 * c)).map { i in rng.uniform(-0.3, 0.3) + (i % (3 * c) < 2 * c ? 30 : 0) },
            dy: (0..<(b * t * c)).map { _ in rng.uniform(-1, 1) }, note: "large scores (about 1800), B = 1, T = 3, C = 4"))
        return cases
    }

    /// Exercise 7.5: forward, then backward, then training (see the top of
    /// this file). `make(heads)` builds the student's layer; `training` can
    /// shorten the run (the self-tests do).
    public static func attentionInModel<L: Layer>(_ make: (Int) throws -> L, training: AttentionTraining = AttentionTraining())
        throws -> GradeReport where L.Scalar == Double {
        var report = GradeReport()
        // 1. Forward.
        var made: [(layer: L, cache: L.Cache)] = []
        for c in multiHeadCases {
            let layer = try make(c.heads)
            let want = c.expected ?? multiHeadReference(c.qkv, batch: c.batch, length: c.length, width: c.width, heads: c.heads)
            let (y, cache) = try layer.forward(try Tensor(shape: [c.batch, c.length, 3 * c.width], scalars: c.qkv), mode: .training)
            made.append((layer, cache))
            let setting = "forward, \(c.note)" + (c.expected != nil ? ": qkv = \(Grade.show(c.qkv))" : "")
            guard y.shape == [c.batch, c.length, c.width] else {
                report.check(false, "\(setting): y must be [B, T, C] = [\(c.batch), \(c.length), \(c.width)] for qkv "
                    + "[\(c.batch), \(c.length), \(3 * c.width)], got \(y.shape)")
                continue
            }
            var hint = ""
            if y.scalars.contains(where: { !$0.isFinite }) {
                hint = " — NaN or ∞: subtract each row's largest visible score before exponentiating"
            } else if let m = MultiHeadMistake.allCases.first(where: { m in
                Grade.close(y.scalars, multiHeadReference(c.qkv, batch: c.batch, length: c.length, width: c.width,
                                                          heads: c.heads, mistake: m), 1e-9)
            }) {
                hint = m.hint
            }
            report.check(Grade.close(y.scalars, want, 1e-9), "\(setting): expected y = \(Grade.show(want)), got "
                + Grade.show(y.scalars) + hint)
        }
        guard report.passed else { return report }

        // 2. Backward, against finite differences of the reference forward pass.
        for (c, (layer, cache)) in zip(multiHeadCases, made) {
            let dqkv: Tensor<Double>
            do {
                dqkv = try layer.backward(try Tensor(shape: [c.batch, c.length, c.width], scalars: c.dy), cache: cache)
            } catch is NotAttempted {
                report.check(false, "your forward pass is right; backward still throws NotAttempted")
                return report
            }
            func loss(_ qkv: [Double]) -> Double {
                zip(multiHeadReference(qkv, batch: c.batch, length: c.length, width: c.width, heads: c.heads), c.dy)
                    .map { $0 * $1 }.reduce(0, +)
            }
            let want = GradientCheck.numericalGradient(of: { loss($0.scalars) }, at: Tensor(c.qkv)).scalars
            let setting = "backward, \(c.note)" + (c.expected != nil ? ": qkv = \(Grade.show(c.qkv)), dy = \(Grade.show(c.dy))" : "")
            guard dqkv.shape == [c.batch, c.length, 3 * c.width] else {
                report.check(false, "\(setting): dqkv must have qkv's shape [\(c.batch), \(c.length), \(3 * c.width)], got \(dqkv.shape)")
                continue
            }
            var hint = ""
            if dqkv.scalars.contains(where: { !$0.isFinite }) {
                hint = " — NaN or ∞ in the gradient"
            } else if let m = AttentionBackwardMistake.allCases.first(where: { m in
                Grade.close(dqkv.scalars, multiHeadBackwardVariant(c.qkv, c.dy, batch: c.batch, length: c.length, width: c.width,
                                                                   heads: c.heads, m), 1e-6)
            }) {
                hint = m.hint
            }
            report.check(Grade.close(dqkv.scalars, want, 1e-6), "\(setting): expected dqkv ≈ \(Grade.show(want)) (finite "
                + "differences of ⟨dy, y⟩; per row: dQ, then dK, then dV), got \(Grade.show(dqkv.scalars))" + hint)
        }
        guard report.passed else { return report }

        // 3. Training inside the GPT.
        let t = training
        let corpus = try CharacterCorpus.shakespeare(prefix: t.prefix)
        let config = try GPTConfig(vocabulary: corpus.vocabulary, context: t.context, layers: t.layers, heads: t.heads, width: t.width)
        let model = try GPT<Double>(config: config, seed: t.seed, backend: .naive)
        for block in model.blocks {
            do {
                try block.attention.replaceAttention(with: try make(t.heads))
            } catch let error as TrainingError {
                report.check(false, "the GPT refused your layer: \(error)")
                return report
            }
        }
        var options = GPTTrainingOptions()
        options.fitSchedule(steps: max(t.steps, 1), learningRate: t.learningRate)
        options.weightDecay = 0
        let optimizers = try GPTTrainer.optimizers(for: model, options: options)
        var rng = SeededRandom(seed: t.seed)
        for step in 0..<t.steps {
            let (x, y) = try CharacterCorpus.randomWindows(corpus.train, batch: t.batch, length: t.context, rng: &rng)
            try GPTTrainer.step(model, optimizers: optimizers, inputs: x, targets: y, batch: t.batch,
                                learningRate: t.learningRate, clip: options.clip, iteration: step)
        }
        let validation = try GPTTrainer.evaluateAll(model, tokens: corpus.validation)
        let setting = "training a GPT (width \(t.width), \(t.layers) block, \(t.heads) heads, context \(t.context), your "
            + "attention) on the first \(t.prefix) characters of tinyshakespeare for \(t.steps) steps (batch \(t.batch), "
            + "Adam \(t.learningRate), seed \(t.seed))"
        Chapter06Graders.checkValidationLoss(&report, validation, target: t.target, setting: setting, corpus: corpus,
                                             library: "the library's attention reaches 2.85")
        return report
    }
}
