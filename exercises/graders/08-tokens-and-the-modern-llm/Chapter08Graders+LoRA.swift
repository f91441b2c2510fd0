// Grader for exercise 8.5: the student's LoRA linear layer (frozen W,
// trainable A and B, y = x Wᵀ + (α/r)·(x Aᵀ) Bᵀ), then inside the book's
// Llama. In order, stopping at the first stage that fails:
//   1. initialisation: A [r, in] ~ U(−1/√in, 1/√in) drawn from the given
//      generator, B [out, r] = 0, W the given matrix, parameters [A, B];
//   2. forward: y against the formula written out (B set by the grader, so
//      that the side path shows), rows [n, in] and batches [B, T, in];
//   3. backward: dx, dA and dB against centered finite differences of
//      ⟨dy, y⟩ through the grader's formula; W neither changed nor given a
//      gradient; a second backward adds (gradients accumulate);
//   4. merge: W ← W + (α/r)·B A and B ← 0, the function unchanged;
//   5. fine-tuning: a small character-level Llama (Double, the naive
//      kernels) is pretrained by the grader on the first 30,000 characters
//      of tinyshakespeare, in which PETRUCHIO never speaks; then the student's layer takes the place
//      of W_q and W_v in every block (the model's own copies are zeroed and
//      the layer's side path is plugged in with
//      `LoRAAdapter.replaceSidePath(with:)`), only A and B train, on
//      PETRUCHIO's fine-tuning speeches (`SpeakerSlice`), and the loss on
//      his held-out speeches must fall to the stated target; then the
//      layers are merged and the loss must not move.
// The variants below only name a wrong answer's likely mistake.

import BackpropCore
import Backpropagation
import Datasets
import ExerciseKit
import Foundation
import RecurrentNetworks
import TokensAndTheModernLLM
import Transformer

/// (W [out, in], rank r, α, generator) → the student's layer.
public typealias MakeLoRALayer<L> = (Tensor<Double>, Int, Double, inout SeededRandom) throws -> L

extension Chapter08Graders {
    /// The student's layer, reached through closures (the grader cannot name its type).
    public struct LoRALayerAccess<L: Layer<Double>> {
        public let make: MakeLoRALayer<L>
        /// W, A, B
        public let parts: (L) -> (weight: Parameter<Double>, a: Parameter<Double>, b: Parameter<Double>)
        public let merge: (L) throws -> Void

        public init(make: @escaping MakeLoRALayer<L>, parts: @escaping (L) -> (weight: Parameter<Double>, a: Parameter<Double>, b: Parameter<Double>),
                    merge: @escaping (L) throws -> Void) {
            (self.make, self.parts, self.merge) = (make, parts, merge)
        }
    }

    /// The settings of the fine-tuning stage, stated in the exercise.
    public struct LoRAFineTuning: Sendable {
        /// The base model: tinyshakespeare's 65 characters, context 16, one
        /// block of width 32, 4 query heads sharing 2 key/value heads, SwiGLU hidden 64.
        public var context = 16, width = 32, heads = 4, kvHeads = 2, hidden = 64, layers = 1
        /// Pretraining (all parameters, AdamW) on the first `baseCharacters` of tinyshakespeare.
        public var baseCharacters = 30_000, baseSteps = 40, baseLearningRate = 0.01
        /// Fine-tuning (A and B only) on PETRUCHIO's speeches.
        public var steps = 30, learningRate = 0.03, rank = 4, alpha = 8.0, batch = 8
        public var seed: UInt64 = 85
        /// Held-out windows of the speaker's last speeches the loss is measured on.
        public var heldOutWindows = 48
        /// The held-out loss (nats per character) the fine-tuned model must reach.
        public var target = 3.20
        public init() {}
    }

    /// y = x Wᵀ + s·(x Aᵀ) Bᵀ for x [n][in].
    static func loraReference(_ x: [[Double]], _ w: [[Double]], _ a: [[Double]], _ b: [[Double]], scale s: Double,
                              includeW: Bool = true) -> [[Double]] {
        x.map { row in
            let ax = a.map { ar in zip(ar, row).reduce(0) { $0 + $1.0 * $1.1 } }
            return w.indices.map { o in
                (includeW ? zip(w[o], row).reduce(0) { $0 + $1.0 * $1.1 } : 0) + s * zip(b[o], ax).reduce(0) { $0 + $1.0 * $1.1 }
            }
        }
    }

    static func rows(_ t: Tensor<Double>) -> [[Double]] {
        let width = t.shape.last ?? 0
        guard width > 0 else { return [] }
        return stride(from: 0, to: t.count, by: width).map { Array(t.scalars[$0..<($0 + width)]) }
    }

    /// Exercise 8.5: the layer's contract, then fine-tuning inside the Llama.
    /// `outcome`, if given, receives the fine-tuning stage's losses (for the grader's own tests).
    public static func loraInModel<L: Layer<Double>>(_ access: LoRALayerAccess<L>, fineTuning o: LoRAFineTuning = LoRAFineTuning(),
                                                     outcome: ((_ before: Double, _ after: Double, _ merged: Double) -> Void)? = nil) throws -> GradeReport {
        var report = GradeReport()
        var rng = SeededRandom(seed: 8501)
        let (inputs, outputs, rank, alpha) = (8, 6, 2, 4.0)
        let w = randomMatrix(outputs, inputs, &rng)
        let wTensor = try Tensor(shape: [outputs, inputs], scalars: w.flatMap { $0 })
        // 1. Initialisation.
        var g1 = SeededRandom(seed: 11), g2 = SeededRandom(seed: 11), g3 = SeededRandom(seed: 12)
        let layer = try access.make(wTensor, rank, alpha, &g1)
        let (weight, a, b) = access.parts(layer)
        let bound = 1 / Double(inputs).squareRoot()
        report.check(weight.value.shape == [outputs, inputs] && weight.value.scalars == wTensor.scalars,
                     "init: W must be the given \(outputs) × \(inputs) matrix, got shape \(weight.value.shape)")
        report.check(a.value.shape == [rank, inputs], "init: A must be r × in = [\(rank), \(inputs)], got \(a.value.shape)")
        report.check(b.value.shape == [outputs, rank], "init: B must be out × r = [\(outputs), \(rank)], got \(b.value.shape)")
        report.check(b.value.scalars.allSatisfy { $0 == 0 },
                     "init: B must start at zero (so the adapted layer starts as W alone), got \(Grade.show(b.value.scalars))")
        report.check(a.value.scalars.allSatisfy { abs($0) <= bound } && Set(a.value.scalars).count > 1,
                     "init: A's entries must be drawn from U(−1/√in, 1/√in) = U(−\(bound), \(bound)), got \(Grade.show(a.value.scalars))"
                         + (a.value.scalars.allSatisfy { $0 == 0 } ? " — A = 0 and B = 0 would give both zero gradients: nothing would ever train" : ""))
        let params = layer.parameters
        report.check(params.count == 2 && params[0] === a && params[1] === b,
                     "init: `parameters` must be [A, B], the trainable ones, got \(params.count) parameter(s)"
                         + (params.contains { $0 === weight } ? " — W is frozen: it must not be among the parameters, or the optimizer will change it" : ""))
        let again = try access.make(wTensor, rank, alpha, &g2), other = try access.make(wTensor, rank, alpha, &g3)
        report.check(access.parts(again).a.value.scalars == a.value.scalars && access.parts(other).a.value.scalars != a.value.scalars,
                     "init: A must be drawn from the generator passed in (the same seed must give the same A, another seed another A)")
        do {
            var g = SeededRandom(seed: 13)
            let big = try access.make(try Tensor(shape: [4, 256], repeating: 0), 4, 8, &g)
            let s = access.parts(big).a.value.scalars, n = Double(s.count)
            let mean = s.reduce(0, +) / n, variance = s.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
            let expected = 1 / (3 * 256.0)
            report.check(abs(mean) < 0.1 / 16 && abs(variance - expected) < 0.15 * expected,
                         "init: for in = 256, A's 1,024 entries must look uniform on ±1/16: mean ≈ 0 and variance ≈ 1/(3·256) = \(expected), got mean \(mean), variance \(variance)")
        }
        guard report.passed else { return report }
        // 2. Forward, with B set so that the side path shows.
        let bValues = randomMatrix(outputs, rank, &rng, scale: 0.5)
        let s = alpha / Double(rank)
        let aRows = rows(a.value)
        let x2 = randomMatrix(3, inputs, &rng), x3 = randomMatrix(6, inputs, &rng)
        let fresh = try layer.forward(try Tensor(shape: [3, inputs], scalars: x2.flatMap { $0 }), mode: .training).output
        report.check(Grade.close(fresh.scalars, loraReference(x2, w, aRows, bValues, scale: 0).flatMap { $0 }, 1e-12),
                     "forward with B = 0 (a fresh layer): y must be x Wᵀ, got \(Grade.show(Array(fresh.scalars.prefix(6))))…")
        b.value = try Tensor(shape: [outputs, rank], scalars: bValues.flatMap { $0 })
        for (x, shape) in [(x2, [3, inputs]), (x3, [2, 3, inputs])] {
            let y = try layer.forward(try Tensor(shape: shape, scalars: x.flatMap { $0 }), mode: .training).output
            let expected = loraReference(x, w, aRows, bValues, scale: s).flatMap { $0 }
            let expectedShape = Array(shape.dropLast()) + [outputs]
            var hint = ""
            if y.shape == expectedShape, !Grade.close(y.scalars, expected, 1e-10) {
                if Grade.close(y.scalars, loraReference(x, w, aRows, bValues, scale: alpha).flatMap { $0 }, 1e-10) {
                    hint = " — the side path is scaled by α/r, not α"
                } else if Grade.close(y.scalars, loraReference(x, w, aRows, bValues, scale: 1).flatMap { $0 }, 1e-10) {
                    hint = " — the side path is scaled by s = α/r"
                } else if Grade.close(y.scalars, loraReference(x, w, aRows, bValues, scale: Double(rank) / alpha).flatMap { $0 }, 1e-10) {
                    hint = " — s = α/r, not r/α"
                } else if Grade.close(y.scalars, loraReference(x, w, aRows, bValues, scale: s, includeW: false).flatMap { $0 }, 1e-10) {
                    hint = " — the frozen x Wᵀ is missing: the layer is W plus the side path"
                }
            }
            report.check(y.shape == expectedShape && Grade.close(y.scalars, expected, 1e-10),
                         "forward on x \(shape): expected y \(expectedShape) = x Wᵀ + (α/r)(x Aᵀ)Bᵀ = \(Grade.show(Array(expected.prefix(6))))…, got \(y.shape) "
                             + Grade.show(Array(y.scalars.prefix(6))) + "…" + hint)
        }
        guard report.passed else { return report }
        // 3. Backward: finite differences of ⟨dy, y⟩ through the formula.
        let dy = randomMatrix(6, outputs, &rng)
        let xTensor = try Tensor(shape: [2, 3, inputs], scalars: x3.flatMap { $0 })
        a.grad = try Tensor(shape: a.value.shape, repeating: 0)
        b.grad = try Tensor(shape: b.value.shape, repeating: 0)
        weight.grad = try Tensor(shape: weight.value.shape, repeating: 0)
        let (_, cache) = try layer.forward(xTensor, mode: .training)
        _ = try layer.forward(try Tensor(shape: [3, inputs], scalars: x2.flatMap { $0 }), mode: .training)   // another call between
        let dx = try layer.backward(try Tensor(shape: [2, 3, outputs], scalars: dy.flatMap { $0 }), cache: cache)
        let (dA, dB) = (a.grad.scalars, b.grad.scalars)
        let h = 1e-6
        func loss(_ x: [[Double]], _ aa: [[Double]], _ bb: [[Double]]) -> Double { dot(dy, loraReference(x, w, aa, bb, scale: s)) }
        func numeric(_ m: [[Double]], _ f: ([[Double]]) -> Double) -> [Double] {
            var out: [Double] = []
            for i in m.indices {
                for j in m[i].indices {
                    var p = m, q = m
                    p[i][j] += h
                    q[i][j] -= h
                    out.append((f(p) - f(q)) / (2 * h))
                }
            }
            return out
        }
        let nx = numeric(x3) { loss($0, aRows, bValues) }, na = numeric(aRows) { loss(x3, $0, bValues) }, nb = numeric(bValues) { loss(x3, aRows, $0) }
        var hint = ""
        let dxBase = dy.flatMap { row in (0..<inputs).map { i in (0..<outputs).reduce(0) { $0 + row[$1] * w[$1][i] } } }   // dy W
        if dx.shape == [2, 3, inputs], Grade.close(dx.scalars, dxBase, 1e-8), !Grade.close(dxBase, nx, 1e-6) {
            hint = " — that is dy W alone; the side path passes a gradient to x too: dx = dy W + s·(dy B) A"
        }
        report.check(dx.shape == [2, 3, inputs] && Grade.close(dx.scalars, nx, 1e-6),
                     "backward: expected dx \([2, 3, inputs]) ≈ \(Grade.show(Array(nx.prefix(6))))… (centered finite differences of ⟨dy, y⟩), got \(dx.shape) "
                         + Grade.show(Array(dx.scalars.prefix(6))) + "…" + hint)
        var hintA = "", hintB = ""
        if Grade.close(dA, na.map { $0 / s }, 1e-6) { hintA = " — the scale s = α/r belongs in the gradients too" }
        else if dA.allSatisfy({ $0 == 0 }) { hintA = " — A got no gradient: backward must add ∂L/∂A into a.grad" }
        if Grade.close(dB, nb.map { $0 / s }, 1e-6) { hintB = " — the scale s = α/r belongs in the gradients too" }
        else if dB.allSatisfy({ $0 == 0 }) { hintB = " — B got no gradient: backward must add ∂L/∂B into b.grad" }
        report.check(Grade.close(dA, na, 1e-6), "backward: expected A.grad ≈ \(Grade.show(na)), got \(Grade.show(dA))" + hintA)
        report.check(Grade.close(dB, nb, 1e-6), "backward: expected B.grad ≈ \(Grade.show(nb)), got \(Grade.show(dB))" + hintB)
        report.check(weight.value.scalars == wTensor.scalars && weight.grad.scalars.allSatisfy { $0 == 0 },
                     "backward: W is frozen: its value must not change and it gets no gradient (its grad stays 0)")
        guard report.passed else { return report }
        _ = try layer.backward(try Tensor(shape: [2, 3, outputs], scalars: dy.flatMap { $0 }), cache: cache)
        report.check(Grade.close(a.grad.scalars, dA.map { 2 * $0 }, 1e-12) && Grade.close(b.grad.scalars, dB.map { 2 * $0 }, 1e-12),
                     "backward twice with the same cache must double A.grad and B.grad (gradients are added into grad, as every layer of the book does), got A.grad "
                         + "\(Grade.show(Array(a.grad.scalars.prefix(4))))… for \(Grade.show(Array(dA.prefix(4))))… after one")
        guard report.passed else { return report }
        // 4. Merge.
        let before = try layer.forward(xTensor, mode: .inference).output
        try access.merge(layer)
        var expectedW = w
        for o in 0..<outputs { for i in 0..<inputs { expectedW[o][i] += s * (0..<rank).reduce(0) { $0 + bValues[o][$1] * aRows[$1][i] } } }
        let after = try layer.forward(xTensor, mode: .inference).output
        var mergeHint = ""
        if !Grade.close(weight.value.scalars, expectedW.flatMap { $0 }, 1e-12) {
            var unscaled = w
            for o in 0..<outputs { for i in 0..<inputs { unscaled[o][i] += (0..<rank).reduce(0) { $0 + bValues[o][$1] * aRows[$1][i] } } }
            if Grade.close(weight.value.scalars, unscaled.flatMap { $0 }, 1e-12) { mergeHint = " — fold in s·B A, with the scale s = α/r" }
        }
        report.check(Grade.close(weight.value.scalars, expectedW.flatMap { $0 }, 1e-12),
                     "merge: W must become W + (α/r)·B A = \(Grade.show(Array(expectedW[0].prefix(4))))…, got \(Grade.show(Array(weight.value.scalars.prefix(4))))…" + mergeHint)
        report.check(b.value.scalars.allSatisfy { $0 == 0 } && Grade.close(after.scalars, before.scalars, 1e-12),
                     "merge: afterwards B must be 0 and the layer must compute the same y (the side path is now inside W), got B = \(Grade.show(b.value.scalars))"
                         + (b.value.scalars.allSatisfy { $0 == 0 } ? "" : " — with B left as it was, the update is counted twice"))
        guard report.passed else { return report }
        // 5. Fine-tuning inside the Llama.
        let result = try fineTune(access, o)
        outcome?(result.before, result.after, result.merged)
        report.check(result.after <= o.target,
                     String(format: "fine-tuning your layers on W_q and W_v of a character-level Llama (pretrained %d steps on the first %d characters of tinyshakespeare), "
                                + "%d steps (batch %d, Adam %.3g, rank %d, α %.3g) on PETRUCHIO's speeches: the loss on his held-out speeches must fall to "
                                + "%.2f nats per character or less, got %.3f (the base model: %.3f; the book's own LoRA reaches 3.13)",
                            o.baseSteps, o.baseCharacters, o.steps, o.batch, o.learningRate, o.rank, o.alpha, o.target, result.after, result.before))
        report.check(abs(result.merged - result.after) <= 1e-9 * max(1, result.after),
                     "after fine-tuning, merging each of your layers and folding it into the model's projection (the adapters removed) must not change the held-out loss: \(result.after) before merging, \(result.merged) after")
        report.check(result.frozen, "fine-tuning changed a frozen weight: only A and B may change")
        return report
    }

    struct FineTuneOutcome { var before: Double; var after: Double; var merged: Double; var frozen: Bool }

    /// The characters of tinyshakespeare, in order, and the text as their ids.
    static func characters(_ text: String) -> (alphabet: [Character], encode: (String) -> [Int]) {
        let alphabet = Array(Set(text)).sorted()
        let index = Dictionary(uniqueKeysWithValues: alphabet.enumerated().map { ($1, $0) })
        return (alphabet, { $0.map { index[$0] ?? 0 } })
    }

    /// Pretrained base parameters by settings, so that one process pretrains each base once.
    final class BaseCache: @unchecked Sendable {
        let lock = NSLock()
        var values: [String: [Tensor<Double>]] = [:]
    }
    static let baseCache = BaseCache()

    /// The base model (a fresh copy), pretrained on the first characters of
    /// tinyshakespeare; it does not depend on the student's code. Returns
    /// the speaker's slice and the character encoding too.
    static func baseModel(_ o: LoRAFineTuning) throws -> (model: Llama<Double>, slice: SpeakerSlice, encode: (String) -> [Int]) {
        let text = try BundledData.shakespeare()
        let slice = try SpeakerSlice(text: text, speaker: "PETRUCHIO")
        let (alphabet, encode) = characters(text)
        let config = try LlamaConfig(vocabularySize: alphabet.count, context: o.context, layers: o.layers, width: o.width, heads: o.heads,
                                     kvHeads: o.kvHeads, hidden: o.hidden)
        let model = try Llama<Double>(config: config, seed: o.seed, backend: .naive)
        let key = "\(o.context) \(o.width) \(o.heads) \(o.kvHeads) \(o.hidden) \(o.layers) \(o.baseCharacters) \(o.baseSteps) \(o.baseLearningRate) \(o.batch) \(o.seed)"
        baseCache.lock.lock()             // held while pretraining: callers in parallel wait for one run
        defer { baseCache.lock.unlock() }
        if let cached = baseCache.values[key] {
            for (p, v) in zip(model.parameters, cached) { p.value = v }
            return (model, slice, encode)
        }
        let base = encode(String(text.prefix(o.baseCharacters)))
        var options = GPTTrainingOptions()
        options.seed = o.seed
        options.warmup = 10
        options.fitSchedule(steps: max(o.baseSteps, 1), learningRate: o.baseLearningRate)
        let optimizers = try LlamaTrainer.optimizers(for: model, options: options)
        let schedule = GPTTrainer.schedule(options)
        var rng = SeededRandom(seed: o.seed)
        for t in 0..<o.baseSteps {
            let (x, y) = try CharacterCorpus.randomWindows(base, batch: o.batch, length: o.context, rng: &rng)
            try LlamaTrainer.step(model, optimizers: optimizers, inputs: x, targets: y, batch: o.batch,
                                  learningRate: schedule.rate(at: t, base: o.baseLearningRate), clip: 1, iteration: t)
        }
        baseCache.values[key] = model.parameters.map(\.value)
        return (model, slice, encode)
    }

    /// Mean loss per character over consecutive windows of the held-out speeches.
    static func heldOutLoss(_ model: Llama<Double>, _ tokens: [Int], windows: Int) throws -> Double {
        let n = model.config.context, count = min(windows, (tokens.count - 1) / n)
        var inputs: [Int] = [], targets: [Int] = []
        for w in 0..<count {
            inputs += tokens[(w * n)..<(w * n + n)]
            targets += tokens[(w * n + 1)..<(w * n + n + 1)]
        }
        return try model.loss(inputs: inputs, targets: targets, batch: count, length: n, mode: .inference, backward: false)
    }

    /// Pretrains the base, plugs the student's layers into W_q and W_v, trains A and B, merges.
    static func fineTune<L: Layer<Double>>(_ access: LoRALayerAccess<L>, _ o: LoRAFineTuning) throws -> FineTuneOutcome {
        let (model, slice, encode) = try baseModel(o)
        let train = encode(slice.train), heldOut = encode(slice.heldOut)
        let before = try heldOutLoss(model, heldOut, windows: o.heldOutWindows)
        try model.addLoRA(rank: o.rank, alpha: o.alpha, targets: [.query, .value], seed: o.seed)
        var rng = SeededRandom(seed: o.seed + 1)
        var layers: [(L, Linear<Double>)] = []
        for block in model.blocks {
            for (target, projection) in [(LoRATarget.query, block.attention.query), (.value, block.attention.value)] {
                let layer = try access.make(projection.weight.value, o.rank, o.alpha, &rng)
                projection.weight.value = try Tensor(shape: projection.weight.value.shape, repeating: 0)   // the layer computes the whole projection
                block.attention.adapters[target]!.replaceSidePath(with: layer)
                layers.append((layer, projection))
            }
        }
        let frozen = model.parameters.map(\.value.scalars) + layers.map { access.parts($0.0).weight.value.scalars }
        let trainable = model.loraParameters.map(\.parameter)
        var options = GPTTrainingOptions()
        options.seed = o.seed
        options.warmup = 5
        options.weightDecay = 0
        options.fitSchedule(steps: o.steps, learningRate: o.learningRate)
        let optimizers = try LlamaTrainer.optimizers(for: model, options: options, parameters: trainable)
        let schedule = GPTTrainer.schedule(options)
        for t in 0..<o.steps {
            let (x, y) = try CharacterCorpus.randomWindows(train, batch: o.batch, length: o.context, rng: &rng)
            try LlamaTrainer.step(model, optimizers: optimizers, inputs: x, targets: y, batch: o.batch,
                                  learningRate: schedule.rate(at: t, base: o.learningRate), clip: 1, iteration: t, parameters: trainable)
        }
        let after = try heldOutLoss(model, heldOut, windows: o.heldOutWindows)
        let unchanged = model.parameters.map(\.value.scalars) + layers.map { access.parts($0.0).weight.value.scalars } == frozen
        // Merge: each layer folds its update into its W, which goes back into
        // the model's projection; the adapters go. The plain model remains.
        for (layer, projection) in layers {
            try access.merge(layer)
            projection.weight.value = access.parts(layer).weight.value
        }
        for block in model.blocks { block.attention.adapters = [:] }
        let merged = try heldOutLoss(model, heldOut, windows: o.heldOutWindows)
        return FineTuneOutcome(before: before, after: after, merged: merged, frozen: unchanged)
    }
}
