// Training a GPT on a character corpus: random windows, AdamW, linear
// warm-up then cosine decay, clipping, periodic validation.
//
//   each step:  B random windows of T tokens (inputs) and the same shifted by one (targets)
//               loss = mean cross-entropy over the B·T predictions; backward
//               clip the global gradient norm to 1.0
//               η(t) = warm-up then cosine to η_min (Backpropagation/Schedules.swift)
//               AdamW: weight decay λ on matrices (embeddings, projections) only;
//               LayerNorm gains and biases are not decayed (shrinking them
//               towards 0 has no regularising meaning)
// Validation: during training, the mean loss over `evaluationBatches` random
// windows of the validation text (its own seeded generator, so every
// evaluation of one run sees the same windows); at the end, the exact mean
// over the whole validation split, cut into consecutive windows of T tokens,
// so the reported figure has no sampling noise.

import BackpropCore
import Foundation
import Backpropagation
import RecurrentNetworks

/// The knobs of a GPT training run (defaults: the baby GPT).
public struct GPTTrainingOptions: Sendable {
    public var steps = 2000
    public var batch = 12
    public var learningRate = 1e-3
    public var minimumLearningRate = 1e-4
    public var warmup = 100
    public var weightDecay = 0.1
    public var beta2 = 0.99
    public var clip = 1.0
    public var evaluationInterval = 250
    public var evaluationBatches = 20
    public var seed: UInt64 = 1337

    public init() {}

    /// Sets the run's length and peak learning rate and fits the schedule to
    /// them, as `backprop train gpt --steps N --lr X` does: the rate decays to
    /// a tenth of its peak, the warm-up lasts at most a tenth of the run, and
    /// the validation loss is measured at least once before the end. (The
    /// defaults already fit: 2,000 steps, 10⁻³ decaying to 10⁻⁴, 100 warm-up
    /// steps, an evaluation every 250.)
    public mutating func fitSchedule(steps: Int, learningRate: Double) {
        self.steps = steps
        self.learningRate = learningRate
        minimumLearningRate = learningRate / 10
        warmup = min(warmup, max(steps / 10, 1))
        evaluationInterval = max(1, min(evaluationInterval, steps))
    }

    func validate() throws {
        for (name, v) in [("steps", steps), ("batch", batch)] where v < 1 {
            throw TrainingError.invalidOption(name: name, value: "\(v)", reason: "must be at least 1")
        }
        guard learningRate.isFinite, learningRate > 0 else {
            throw TrainingError.invalidOption(name: "learning rate", value: "\(learningRate)", reason: "must be positive and finite")
        }
    }
}

/// One point of the loss curve.
public struct GPTLossPoint: Sendable {
    public var iteration: Int
    public var trainLoss: Double
    public var validationLoss: Double?
}

/// What a training run produced.
public struct GPTTrainingResult: Sendable {
    public var history: [GPTLossPoint]
    public var validationLoss: Double
    /// The loss on the held-out test part, over all of it, once after
    /// training; nil for a corpus without one.
    public var testLoss: Double?
    public var seconds: Double
    public var tokensPerSecond: Double
    public var millisecondsPerStep: Double
}

public enum GPTTrainer {
    /// AdamW with decay on rank-2 parameters and none on the rest.
    public static func optimizers<S: TensorScalar>(for model: GPT<S>, options: GPTTrainingOptions) throws -> [Adam<S>] {
        let matrices = model.parameters.filter { $0.value.rank == 2 }
        let vectors = model.parameters.filter { $0.value.rank != 2 }

        return [
            try Adam(matrices, learningRate: options.learningRate, beta1: 0.9, beta2: options.beta2, weightDecay: options.weightDecay, decoupled: true, backend: model.backend),
            try Adam(vectors, learningRate: options.learningRate, beta1: 0.9, beta2: options.beta2, weightDecay: 0, decoupled: true, backend: model.backend),
        ]
    }

    /// The schedule: `warmup` linear steps, then cosine to the minimum at the last step.
    public static func schedule(_ options: GPTTrainingOptions) -> LearningRateSchedule {
        .cosine(warmup: options.warmup, total: options.steps, minimum: options.minimumLearningRate)
    }

    /// Mean validation loss over `batches` random windows drawn with `seed`.
    public static func evaluate<S: TensorScalar>(_ model: GPT<S>, tokens: [Int], batches: Int, batch: Int, seed: UInt64) throws -> Double {
        var rng = SeededRandom(seed: seed)
        var total = 0.0
        for _ in 0..<batches {
            let (x, y) = try CharacterCorpus.randomWindows(tokens, batch: batch, length: model.config.context, rng: &rng)
            total += try model.loss(inputs: x, targets: y, batch: batch, length: model.config.context, mode: .inference, backward: false)
        }
        return total / Double(max(batches, 1))
    }

    /// Mean loss per token over the whole of `tokens`, cut into consecutive,
    /// non-overlapping windows of the model's context (the last, shorter
    /// window included), `batch` windows per forward pass: every token after
    /// the first is predicted exactly once.
    public static func evaluateAll<S: TensorScalar>(_ model: GPT<S>, tokens: [Int], batch: Int = 64) throws -> Double {
        let (nats, count) = try totalLossOverWindows(tokens, context: model.config.context, batch: batch, name: "validation text") {
            try model.loss(inputs: $0, targets: $1, batch: $2, length: $3, mode: .inference, backward: false)
        }
        return nats / Double(count)
    }

    /// Total loss (nats) and the number of predictions over the whole of
    /// `tokens` in consecutive windows of `context` (the last, shorter window
    /// included), `batch` windows per call of `meanLoss(inputs, targets,
    /// windows, length)`: every token after the first is predicted once.
    /// Chapter 8's Llama evaluates the same way.
    public static func totalLossOverWindows(
        _ tokens: [Int], context t: Int, batch: Int, name: String,
        meanLoss: ([Int], [Int], Int, Int) throws -> Double
    ) throws -> (nats: Double, count: Int) {
        guard tokens.count >= 2 else {
            throw TrainingError.invalidOption(name: name, value: "\(tokens.count) tokens", reason: "needs at least 2 tokens")
        }
        let starts = Array(stride(from: 0, to: tokens.count - 1, by: t))
        var total = 0.0, count = 0
        func run(_ group: ArraySlice<Int>, length: Int) throws {
            var x: [Int] = [], y: [Int] = []
            for s in group { x += tokens[s..<s + length]; y += tokens[s + 1...s + length] }
            total += try meanLoss(x, y, group.count, length) * Double(x.count); count += x.count
        }
        let full = starts.filter { $0 + t < tokens.count }
        for i in stride(from: 0, to: full.count, by: batch) { try run(full[i..<min(i + batch, full.count)], length: t) }
        if let last = starts.last, last + t >= tokens.count { try run([last], length: tokens.count - 1 - last) }
        return (total, count)
    }

    /// One optimisation step on a batch; returns the loss before the update.
    @discardableResult
    public static func step<S: TensorScalar>(
        _ model: GPT<S>, optimizers: [Adam<S>], inputs: [Int], targets: [Int], batch: Int,
        learningRate: Double, clip: Double, iteration: Int
    ) throws -> Double {
        model.zeroGrad()
        let loss = try model.loss(inputs: inputs, targets: targets, batch: batch, length: inputs.count / batch)
        try TrainingError.requireFinite(loss, "the loss", step: iteration)
        let norm = GradientClipping.clipGlobalNorm(model.parameters, maxNorm: clip, backend: model.backend)
        try TrainingError.requireFinite(norm, "the gradient norm", step: iteration)
        for o in optimizers { o.learningRate = learningRate; o.step() }
        return loss
    }

    /// Trains `model` on the corpus; `progress` is called after every step.
    public static func train(
        _ model: GPT<Float>, corpus: CharacterCorpus, options: GPTTrainingOptions,
        progress: (_ iteration: Int, _ loss: Double, _ tokensPerSecond: Double) -> Void = { _, _, _ in },
        evaluated: (GPTLossPoint) -> Void = { _ in }
    ) throws -> GPTTrainingResult {
        try options.validate()
        let optimizers = try optimizers(for: model, options: options)
        let schedule = schedule(options)
        var rng = SeededRandom(seed: options.seed)
        let length = model.config.context
        var history: [GPTLossPoint] = []
        let start = Date()
        var trainingSeconds = 0.0
        for t in 0..<options.steps {
            let stepStart = Date()
            let (x, y) = try CharacterCorpus.randomWindows(corpus.train, batch: options.batch, length: length, rng: &rng)
            let loss = try step(model, optimizers: optimizers, inputs: x, targets: y, batch: options.batch,
                                learningRate: schedule.rate(at: t, base: options.learningRate), clip: options.clip, iteration: t)
            trainingSeconds += Date().timeIntervalSince(stepStart)
            var point = GPTLossPoint(iteration: t + 1, trainLoss: loss, validationLoss: nil)
            if (t + 1) % options.evaluationInterval == 0 || t == 0 {
                point.validationLoss = try evaluate(model, tokens: corpus.validation, batches: options.evaluationBatches, batch: options.batch, seed: options.seed &+ 1)
                evaluated(point)
            }
            history.append(point)
            progress(t + 1, loss, Double((t + 1) * options.batch * length) / trainingSeconds)
        }
        let validation = try evaluateAll(model, tokens: corpus.validation)
        let test = corpus.test.count > model.config.context ? try evaluateAll(model, tokens: corpus.test) : nil
        return GPTTrainingResult(
            history: history, validationLoss: validation, testLoss: test, seconds: Date().timeIntervalSince(start),
            tokensPerSecond: Double(options.steps * options.batch * length) / trainingSeconds,
            millisecondsPerStep: trainingSeconds * 1000 / Double(options.steps))
    }
}
