// Chapter 5's experiment: the digits CNN, on the same split as chapter 2's
// MLP (seeded 60/20/20), with pixels scaled from 0…16 to 0…1. (The MLP
// standardises each pixel separately; a convolution shares its weights
// across positions, so one scale for every pixel suits it better.)

import BackpropCore
import Datasets
import Foundation
import Storage
import Backpropagation

/// Everything `backprop train cnn` can set.
public struct CNNRunOptions: Sendable {
    public var epochs = 40
    public var batch = 64
    public var learningRate = 2e-3
    public var batchNorm = false
    public var dropout = 0.25
    public var seed: UInt64 = 42
    public var backend: Backend = .simd

    public init(seed: UInt64 = 42) { self.seed = seed }
}

public enum Chapter5 {
    /// Digits split as in chapter 2, pixels scaled to [0, 1].
    public static func digits(seed: UInt64) throws -> SplitData {
        let parts = try BundledData.digits().split(trainFraction: 0.6, validationFraction: 0.2, seed: seed)
        let preprocessing = InputPreprocessing.scale(1.0 / 16)
        func scaled(_ d: Dataset) throws -> Dataset {
            var out = d
            out.features = try preprocessing.apply(d.features)
            return out
        }
        return SplitData(train: try scaled(parts.train), validation: try scaled(parts.validation), test: try scaled(parts.test),
                         preprocessing: preprocessing)
    }

    /// Trains the digits CNN with Adam and a cosine schedule.
    public static func run(
        _ o: CNNRunOptions, onEpoch: (EpochReport) -> Void = { _ in }
    ) throws -> (summary: RunSummary, trainer: ClassifierTrainer<Float>, data: SplitData) {
        let start = Date()
        let data = try digits(seed: o.seed)
        let model: Sequential<Float> = try DigitsCNN.make(batchNorm: o.batchNorm, dropout: o.dropout, seed: o.seed, backend: o.backend)
        let trainer = ClassifierTrainer(model: model, optimizer: try Adam(model.parameters, learningRate: o.learningRate, backend: o.backend))
        var options = TrainingOptions(epochs: o.epochs, batchSize: o.batch, seed: o.seed)
        options.schedule = .cosine(warmup: 0, total: o.epochs, minimum: o.learningRate / 20)
        try trainer.fit(train: data.train, validation: data.validation, options: options, onEpoch: onEpoch)
        let test = try trainer.evaluate(data.test)
        let train = try trainer.evaluate(data.train)
        let summary = RunSummary(
            chapter: 5, model: "cnn", dataset: "digits",
            metrics: [("train_accuracy", train.accuracy), ("test_accuracy", test.accuracy), ("test_loss", test.loss)],
            seconds: Date().timeIntervalSince(start),
            details: [("parameters", .integer(model.parameterCount)), ("epochs", .integer(o.epochs)),
                      ("batch_norm", .bool(o.batchNorm)), ("backend", .string(o.backend.rawValue))])
        return (summary, trainer, data)
    }

    /// The checkpoint of a finished `run` (architecture, class names, pixel
    /// scale, batch-norm running statistics, the run's summary as metadata).
    public static func checkpoint(_ o: CNNRunOptions, model: Sequential<Float>, data: SplitData, summary: RunSummary) -> Checkpoint {
        DigitsCNNClassifier(model: model, batchNorm: o.batchNorm, dropout: o.dropout, classNames: data.train.classNames,
                            preprocessing: data.preprocessing).checkpoint(metadata: summary.checkpointMetadata(seed: o.seed))
    }

    /// The tour's chapter-5 run.
    public static func tour(seed: UInt64) -> [(name: String, run: () throws -> RunSummary)] {
        [("CNN on digits", { try run(CNNRunOptions(seed: seed)).summary })]
    }
}
