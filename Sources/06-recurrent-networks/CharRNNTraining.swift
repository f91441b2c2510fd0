// Training a CharRNN with truncated BPTT: B parallel streams of the training
// text (StreamBatches), windows of T characters, the recurrent state carried
// from one window to the next but detached (gradients stop at the window's
// start), Adam, and clipping by global norm. Validation loss is measured on
// the 10% split in nats per character.
//
// The reference settings (issue 7): char-LSTM, embedding 64, hidden 256,
// T = 64, B = 32, Adam 2·10⁻³, clip 5, 2,000 steps → validation ≤ 1.65.

import BackpropCore
import Foundation
import Backpropagation

/// Settings of one character-model run.
public struct CharRNNOptions: Sendable {
    public var model = CharRNNConfig()
    /// Characters per truncated-BPTT window: the context the model trains on.
    public var context = 64
    /// Parallel streams of the text per step.
    public var batch = 32
    public var steps = 2000
    public var learningRate = 2e-3
    public var clipNorm = 5.0
    public var seed: UInt64 = 42
    public var backend: Backend = .simd
    /// Measure the validation loss every this many steps (0: only at the end).
    public var evaluationInterval = 0
    public init(cell: CellKind = .lstm, seed: UInt64 = 42) {
        model.cell = cell
        self.seed = seed
    }

    /// Throws `TrainingError.invalidOption` for a non-positive size or rate.
    public func validate() throws {
        for (name, v) in [("hidden", model.hiddenSize), ("embedding", model.embeddingSize), ("context", context),
                          ("batch", batch), ("steps", steps)] where v < 1 {
            throw TrainingError.invalidOption(name: name, value: "\(v)", reason: "must be at least 1")
        }
        guard learningRate > 0, learningRate.isFinite else {
            throw TrainingError.invalidOption(name: "lr", value: "\(learningRate)", reason: "must be a positive number")
        }
        guard clipNorm > 0 else { throw TrainingError.invalidOption(name: "clip", value: "\(clipNorm)", reason: "must be positive") }
    }
}

/// The outcome of a run: the model, its curves and a summary.
public struct CharRNNRun {
    public let model: CharRNN
    /// Training loss of every step.
    public let trainLosses: [Double]
    /// (step, validation loss) at each evaluation, the last at the end.
    public let validationCurve: [(step: Int, loss: Double)]
    public var validationLoss: Double { validationCurve.last!.loss }
    /// The loss on the held-out test part, evaluated once after training;
    /// nil for a corpus without one.
    public let testLoss: Double?
    public let seconds: Double
    public let summary: RunSummary
}

/// Truncated-BPTT training of a CharRNN.
public final class CharRNNTrainer {
    public let model: CharRNN
    public let optimizer: Adam<Float>
    public let clipNorm: Double
    var batches: StreamBatches
    var state: CharRNN.CarriedState? = nil
    public internal(set) var steps = 0
    /// Bytes the engine's tape held in the last `stepWithEngine()` (CharRNN+Engine.swift).
    public internal(set) var lastTapeBytes = 0
    /// The same counting each saved buffer once (`Tape.distinctBytesHeld`).
    public internal(set) var lastTapeDistinctBytes = 0

    public init(model: CharRNN, train tokens: [Int], options: CharRNNOptions) throws {
        try options.validate()
        self.model = model
        optimizer = try Adam(model.parameters, learningRate: options.learningRate, backend: model.backend)
        clipNorm = options.clipNorm
        batches = try StreamBatches(tokens, batch: options.batch, length: options.context)
    }

    /// One step: next window of every stream, forward, BPTT, clip, Adam.
    /// - Returns: the training loss (nats per character) before the update.
    /// - Throws: `TrainingError.nonFinite` if the loss or the gradient is NaN or infinite.
    @discardableResult
    public func step() throws -> Double {
        let (x, y, startsEpoch) = batches.next()
        if startsEpoch { state = nil }
        optimizer.zeroGrad()
        let loss = try model.step(inputs: x, targets: y, batch: batches.batch, state: &state, train: true)
        steps += 1
        try TrainingError.requireFinite(loss, "loss", step: steps)
        let norm = GradientClipping.clipGlobalNorm(model.parameters, maxNorm: clipNorm, backend: model.backend)
        try TrainingError.requireFinite(norm, "gradient", step: steps)
        optimizer.step()
        return loss
    }
}

public enum Chapter6 {
    /// Trains a character model on `corpus` (tinyshakespeare by default).
    public static func trainCharRNN(
        _ o: CharRNNOptions, corpus: CharacterCorpus? = nil, onStep: (Int, Double) -> Void = { _, _ in }
    ) throws -> CharRNNRun {
        try o.validate()
        let corpus = try corpus ?? CharacterCorpus.shakespeare()
        var rng = SeededRandom(seed: o.seed)
        let model = try CharRNN(o.model, vocabulary: corpus.vocabulary, rng: &rng, backend: o.backend)
        let trainer = try CharRNNTrainer(model: model, train: corpus.train, options: o)
        let start = Date()
        var losses: [Double] = [], curve: [(Int, Double)] = []
        var evalSeconds = 0.0
        for s in 1...o.steps {
            losses.append(try trainer.step())
            onStep(s, losses.last!)
            if o.evaluationInterval > 0 && s % o.evaluationInterval == 0 && s < o.steps {
                let t0 = Date()
                curve.append((s, try model.evaluate(corpus.validation, length: o.context)))
                evalSeconds += Date().timeIntervalSince(t0)
            }
        }
        let trainSeconds = Date().timeIntervalSince(start) - evalSeconds
        curve.append((o.steps, try model.evaluate(corpus.validation, length: o.context)))
        let testLoss = corpus.test.count >= 2 ? try model.evaluate(corpus.test, length: o.context) : nil
        let summary = RunSummary(
            chapter: 6, model: "char-\(o.model.cell.rawValue)", dataset: "tinyshakespeare",
            metrics: [("val_loss", curve.last!.1)] + (testLoss.map { [("test_loss", $0)] } ?? [])
                + [("train_loss", losses.suffix(50).reduce(0, +) / Double(min(50, losses.count)))],
            seconds: trainSeconds,
            details: [("cell", .string(o.model.cell.rawValue)), ("width", .integer(o.model.hiddenSize)),
                      ("embedding", .integer(o.model.embeddingSize)), ("context", .integer(o.context)),
                      ("batch", .integer(o.batch)), ("steps", .integer(o.steps)), ("lr", .number(o.learningRate)),
                      ("ms_per_step", .number((trainSeconds / Double(o.steps) * 1e5).rounded() / 100)),
                      ("seed", .integer(Int(o.seed)))])
        return CharRNNRun(model: model, trainLosses: losses, validationCurve: curve, testLoss: testLoss, seconds: trainSeconds,
                          summary: summary)
    }
}
