// Chapter 3's runs: chapter 2's XOR network trained by the scalar engine
// and by the tensor engine, and chapter 2's digits MLP trained by the
// tensor engine — the same data, splits, initialisation, optimizer,
// schedule and batch order as chapter 2's runs with the same seed
// (Backpropagation's Experiments.swift), so the numbers can be compared
// with `backprop train mlp` directly.

import Backpropagation
import BackpropCore
import Datasets
import Foundation
import LinearModels

/// What `backprop train autodiff-mlp` can set.
public struct AutodiffRunOptions: Sendable {
    public var seed: UInt64 = 42
    public var backend: Backend = .simd
    /// Optimizer steps (nil: chapter 2's 40 epochs).
    public var steps: Int?

    public init(seed: UInt64 = 42, backend: Backend = .simd, steps: Int? = nil) {
        self.seed = seed
        self.backend = backend
        self.steps = steps
    }
}

public enum Chapter3 {
    /// XOR as four rows of Doubles and their labels (chapter 1's `SyntheticData.xor`).
    public static func xorData() throws -> (inputs: [[Double]], labels: [Int]) {
        let d = try SyntheticData.xor()
        return ((0..<d.count).map { i in (0..<2).map { Double(d.features[i, $0]) } }, d.labels)
    }

    /// Chapter 2's XOR run (2 → 4 tanh → 2, Adam at 0.05, 300 epochs of the
    /// four points in one batch) with the scalar engine: the final loss and
    /// accuracy. Each epoch's batch is the four points in the order chapter
    /// 2's trainer draws (which changes only the order of the sum).
    public static func trainXORScalar(seed: UInt64, epochs: Int = 300) throws -> (loss: Double, accuracy: Double) {
        let (inputs, labels) = try xorData()
        let model = try ScalarMLP(inputs: 2, hidden: [4], outputs: 2, activation: .tanh, seed: seed)
        let adam = ScalarAdam(model.parameters, learningRate: 0.05)
        var rng = SeededRandom(seed: seed)
        for _ in 0..<epochs {
            let order = rng.permutation(inputs.count)
            adam.zeroGrad()
            let loss = model.loss(order.map { inputs[$0] }, order.map { labels[$0] })
            loss.backward()
            adam.step()
        }
        let loss = model.loss(inputs, labels).data
        let predicted = inputs.map { x in model(x).map(\.data).enumerated().max { $0.element < $1.element }!.offset }
        return (loss, Metrics.accuracy(predicted: predicted, actual: labels))
    }

    /// The same XOR run with the tensor engine (and chapter 2's Adam).
    public static func trainXORTensor(seed: UInt64, epochs: Int = 300, backend: Backend = .simd) throws -> (loss: Double, accuracy: Double) {
        let data = try SyntheticData.xor()
        let model = try AutodiffMLP<Double>(inputs: 2, hidden: [4], outputs: 2, activation: .tanh, seed: seed, backend: backend)
        let adam = try Adam(model.parameters, learningRate: 0.05, backend: backend)
        try model.fit(train: data, options: TrainingOptions(epochs: epochs, batchSize: 4, seed: seed), optimizer: adam)
        let e = try model.evaluate(data)
        return (e.loss, e.accuracy)
    }

    /// Chapter 2's digits MLP (64 → 256 → 256 → 10, ReLU, dropout 0.1, Adam
    /// at 1e-3 with cosine decay over 40 epochs, batch 64) with the tensor engine.
    public static func runDigits(_ o: AutodiffRunOptions) throws -> (summary: RunSummary, model: AutodiffMLP<Float>) {
        let start = Date()
        let c = MLPRunOptions.defaults(for: "digits", seed: o.seed)!
        let data = try Chapter2.data("digits", seed: o.seed)
        let model = try AutodiffMLP<Float>(inputs: data.train.featureCount, hidden: c.widths, outputs: data.train.classNames.count,
                                           activation: c.activation, dropout: c.dropout, seed: o.seed, backend: o.backend)
        let adam = try Adam(model.parameters, learningRate: c.learningRate, backend: o.backend)
        var options = TrainingOptions(epochs: c.epochs, batchSize: c.batch, seed: o.seed)
        options.schedule = .cosine(warmup: 0, total: c.epochs, minimum: c.learningRate / 20)
        if let steps = o.steps {
            let perEpoch = (data.train.count + c.batch - 1) / c.batch
            options.epochs = max(1, (steps + perEpoch - 1) / perEpoch)
            options.schedule = .cosine(warmup: 0, total: options.epochs, minimum: c.learningRate / 20)
        }
        let losses = try model.fit(train: data.train, options: options, optimizer: adam, maxSteps: o.steps)
        let test = try model.evaluate(data.test)
        let summary = RunSummary(
            chapter: 3, model: "autodiff-mlp", dataset: "digits",
            metrics: [("test_accuracy", test.accuracy), ("test_loss", test.loss), ("final_batch_loss", losses.last ?? .nan)],
            seconds: Date().timeIntervalSince(start),
            details: [("widths", .array(c.widths.map { .integer($0) })), ("steps", .integer(losses.count)),
                      ("tape_bytes_per_step", .integer(model.lastTapeBytes)), ("backend", .string(o.backend.rawValue))])
        return (summary, model)
    }

    /// The tour's chapter-3 runs: XOR with the scalar engine, the digits MLP with the tensor engine.
    public static func tour(seed: UInt64) -> [(name: String, run: () throws -> RunSummary)] {
        [("XOR, scalar engine", {
            let start = Date()
            let r = try trainXORScalar(seed: seed)
            return RunSummary(chapter: 3, model: "scalar-mlp", dataset: "xor",
                              metrics: [("train_accuracy", r.accuracy), ("train_loss", r.loss)],
                              seconds: Date().timeIntervalSince(start), details: [("engine", .string("Value"))])
        }), ("digits MLP, tensor engine", { try runDigits(AutodiffRunOptions(seed: seed)).summary })]
    }
}
