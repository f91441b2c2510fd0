// The grader of exercise 8.5 (a LoRA layer fine-tuned inside the Llama) is
// tested too: it accepts the reference solution, fine-tuning included, and
// rejects broken layers before any training, saying why; and its
// fine-tuning stage rejects a model that has not been fine-tuned. Skipped
// when an instructor has removed exercises/solutions/08-tokens-and-the-modern-llm.

#if canImport(Solutions08)
import BackpropCore
import Backpropagation
import ExerciseKit
import Foundation
@testable import Graders08
import RecurrentNetworks
import Solutions08
import Testing
import TokensAndTheModernLLM
import Transformer

/// The reference layer with one mistake.
final class BrokenLoRALayer: Layer {
    let variant: Int
    let right: Solutions08.LoRALinearLayer
    var backend: Backend = .naive
    var parameters: [Parameter<Double>] { variant == 1 ? [right.weight, right.a, right.b] : right.parameters }
    var summary: String { "BrokenLoRALayer(\(variant))" }

    init(weight: Tensor<Double>, rank: Int, alpha: Double, rng: inout SeededRandom, variant: Int) throws {
        self.variant = variant
        // Variant 0 scales the side path by α: the reference layer with α·r.
        right = try Solutions08.LoRALinearLayer(weight: weight, rank: rank, alpha: variant == 0 ? alpha * Double(rank) : alpha, rng: &rng)
        if variant == 6 { right.a.value = try Tensor(shape: right.a.value.shape, repeating: 0) }
    }

    func forward(_ x: Tensor<Double>, mode: Mode) throws -> (output: Tensor<Double>, cache: Solutions08.LoRALinearLayer.Cache) {
        try right.forward(x, mode: mode)
    }

    func backward(_ dy: Tensor<Double>, cache: Solutions08.LoRALinearLayer.Cache) throws -> Tensor<Double> {
        if variant == 3 {   // gradients overwritten instead of added
            right.a.zeroGrad()
            right.b.zeroGrad()
        }
        let dx = try right.backward(dy, cache: cache)
        if variant == 7 { right.weight.grad = try Tensor(shape: right.weight.value.shape, repeating: 0.5) }
        if variant == 8 {   // the gradients without the scale s (right for the first call, from zero)
            let s = right.alpha / Double(right.a.value.shape[0])
            right.a.grad = try Tensor(shape: right.a.grad.shape, scalars: right.a.grad.scalars.map { $0 / s })
            right.b.grad = try Tensor(shape: right.b.grad.shape, scalars: right.b.grad.scalars.map { $0 / s })
        }
        guard variant == 2 else { return dx }
        // dx = dy W only.
        let w = right.weight.value, (outs, ins) = (w.shape[0], w.shape[1]), n = dy.count / outs
        var out = [Double](repeating: 0, count: n * ins)
        for i in 0..<n { for o in 0..<outs { for j in 0..<ins { out[i * ins + j] += dy.scalars[i * outs + o] * w.scalars[o * ins + j] } } }
        return try Tensor(shape: dx.shape, scalars: out)
    }

    func merge() throws {
        switch variant {
        case 4:   // W += B A, without the scale
            let (w, a, b) = (right.weight.value, right.a.value, right.b.value)
            let (outs, ins, r) = (w.shape[0], w.shape[1], a.shape[0])
            var merged = w.scalars
            for o in 0..<outs { for j in 0..<ins { for k in 0..<r { merged[o * ins + j] += b.scalars[o * r + k] * a.scalars[k * ins + j] } } }
            right.weight.value = try Tensor(shape: w.shape, scalars: merged)
            right.b.value = try Tensor(shape: b.shape, repeating: 0)
        case 5:   // B left as it was
            let b = right.b.value
            try right.merge()
            right.b.value = b
        default:
            try right.merge()
        }
    }
}

@Suite struct Chapter08LoRASelfTests {
    static var solution: Chapter08Graders.LoRALayerAccess<Solutions08.LoRALinearLayer> {
        Chapter08Graders.LoRALayerAccess(
            make: { w, r, alpha, rng in try Solutions08.LoRALinearLayer(weight: w, rank: r, alpha: alpha, rng: &rng) },
            parts: { ($0.weight, $0.a, $0.b) }, merge: { try $0.merge() })
    }

    /// The layer's contract, pretraining and fine-tuning (about seven seconds
    /// of a debug build's CPU time); the reference layer clears the target by a
    /// margin, and the base model misses it by one (the stub quotes these numbers).
    @Test func loraGraderAcceptsTheSolution() throws {
        let o = Chapter08Graders.LoRAFineTuning()
        var losses: (before: Double, after: Double, merged: Double)?
        let report = try Chapter08Graders.loraInModel(Self.solution, fineTuning: o) { losses = ($0, $1, $2) }
        #expect(report.passed, "\(report.failures)")
        let l = try #require(losses)
        print("LoRA fine-tuning, the reference layer: held-out loss \(l.before) → \(l.after), merged \(l.merged) (target \(o.target))")
        #expect(l.after <= o.target - 0.05 && l.before >= o.target + 0.05, "\(l)")
    }

    /// The book's own LoRA (LoRAAdapter, unreplaced) on the same base and
    /// settings reaches the target too: the exercise asks for what the
    /// library does, and the measured numbers the stub quotes.
    @Test func theLibrarysLoRAReachesTheTarget() throws {
        let o = Chapter08Graders.LoRAFineTuning()
        let (model, slice, encode) = try Chapter08Graders.baseModel(o)
        let train = encode(slice.train), heldOut = encode(slice.heldOut)
        let before = try Chapter08Graders.heldOutLoss(model, heldOut, windows: o.heldOutWindows)
        try model.addLoRA(rank: o.rank, alpha: o.alpha, targets: [.query, .value], seed: o.seed)
        let trainable = model.loraParameters.map(\.parameter)
        var options = GPTTrainingOptions()
        options.seed = o.seed
        options.warmup = 5
        options.weightDecay = 0
        options.fitSchedule(steps: o.steps, learningRate: o.learningRate)
        let optimizers = try LlamaTrainer.optimizers(for: model, options: options, parameters: trainable)
        let schedule = GPTTrainer.schedule(options)
        var rng = SeededRandom(seed: o.seed + 1)
        for t in 0..<o.steps {
            let (x, y) = try CharacterCorpus.randomWindows(train, batch: o.batch, length: o.context, rng: &rng)
            try LlamaTrainer.step(model, optimizers: optimizers, inputs: x, targets: y, batch: o.batch,
                                  learningRate: schedule.rate(at: t, base: o.learningRate), clip: 1, iteration: t, parameters: trainable)
        }
        let after = try Chapter08Graders.heldOutLoss(model, heldOut, windows: o.heldOutWindows)
        print("LoRA fine-tuning, the library's adapters: held-out loss \(before) → \(after) (target \(o.target))")
        #expect(after <= o.target - 0.05 && before >= o.target + 0.05, "\(before) → \(after)")
    }

    @Test("the LoRA grader rejects broken layers before fine-tuning and says why", arguments: [
        ("the side path scaled by α", 0, "scaled by α/r, not α"),
        ("W among the parameters", 1, "W is frozen: it must not be among the parameters"),
        ("dx without the side path", 2, "that is dy W alone"),
        ("gradients overwritten", 3, "must double A.grad and B.grad"),
        ("merge without the scale", 4, "with the scale s = α/r"),
        ("merge leaves B", 5, "the update is counted twice"),
        ("A initialised to zero", 6, "nothing would ever train"),
        ("W given a gradient", 7, "W is frozen: its value must not change"),
        ("A's and B's gradients without the scale", 8, "belongs in the gradients too"),
    ])
    func loraGraderRejects(name: String, variant: Int, hint: String) throws {
        let access = Chapter08Graders.LoRALayerAccess<BrokenLoRALayer>(
            make: { w, r, alpha, rng in try BrokenLoRALayer(weight: w, rank: r, alpha: alpha, rng: &rng, variant: variant) },
            parts: { ($0.right.weight, $0.right.a, $0.right.b) }, merge: { try $0.merge() })
        var o = Chapter08Graders.LoRAFineTuning()
        o.baseSteps = 0
        o.steps = 0
        let report = try Chapter08Graders.loraInModel(access, fineTuning: o)
        #expect(!report.passed, "\(name) passed")
        #expect(report.failures.contains { $0.contains(hint) }, "\(name): \(report.failures)")
        #expect(!report.failures.contains { $0.contains("fine-tuning your layers") }, "\(name) reached fine-tuning")
    }

    /// Without fine-tuning steps the held-out loss stays the base model's, above the target.
    @Test func fineTuningStageRejectsAnUntunedModel() throws {
        var o = Chapter08Graders.LoRAFineTuning()
        o.steps = 0
        let report = try Chapter08Graders.loraInModel(Self.solution, fineTuning: o)
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.contains("must fall to") == true, "\(report.failures)")
    }
}
#endif
