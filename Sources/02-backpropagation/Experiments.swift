// Chapter 2's experiments: an MLP on XOR, two spirals, the digits and MNIST.
// Splits: spirals and digits are shuffled with the run's seed and split
// 60/20/20 into train/validation/test; digits' pixels are standardised on
// the training part. XOR's four points are both train and test: the
// question is whether the model can represent XOR at all. MNIST, for
// comparison with chapter 5's LeNet-5, uses its fixed stratified split
// (Datasets/MNIST.swift: 3,500 / 500 / 1,000, split seed 5, whatever the
// run's seed) with pixels scaled from 0…255 to 0…1 (standardising each pixel
// would divide the rare ink near the borders by a tiny training σ).

import BackpropCore
import Datasets
import Foundation
import Storage
import LinearModels

/// The optimizers `train mlp --optimizer` offers.
public enum OptimizerKind: String, CaseIterable, Sendable {
    case sgd, momentum, nesterov, adam, adamw

    public func make<T: TensorScalar>(_ parameters: [Parameter<T>], learningRate: Double, backend: Backend) throws -> any Optimizer {
        switch self {
        case .sgd: return try SGD(parameters, learningRate: learningRate, backend: backend)
        case .momentum: return try SGD(parameters, learningRate: learningRate, momentum: 0.9, backend: backend)
        case .nesterov: return try SGD(parameters, learningRate: learningRate, momentum: 0.9, nesterov: true, backend: backend)
        case .adam: return try Adam(parameters, learningRate: learningRate, backend: backend)
        case .adamw: return try Adam.adamW(parameters, learningRate: learningRate, backend: backend)
        }
    }

    /// The learning rate this optimizer brings when it replaces the chapter's
    /// Adam: plain SGD wants larger steps than Adam (0.1), SGD with momentum
    /// 0.02; nil for Adam and AdamW, which keep the dataset's rate.
    public var learningRate: Double? {
        switch self {
        case .sgd: return 0.1
        case .momentum, .nesterov: return 0.02
        case .adam, .adamw: return nil
        }
    }
}

/// Everything `backprop train mlp` can set.
public struct MLPRunOptions: Sendable {
    public var dataset: String
    /// The hidden layers' widths, one per layer (so also the depth).
    public var widths: [Int]
    public var activation: UnaryFunction
    public var optimizer: OptimizerKind
    public var learningRate: Double
    public var epochs: Int
    public var batch: Int
    public var dropout: Double = 0
    public var seed: UInt64
    public var backend: Backend = .simd

    /// Switches the optimizer, with its own learning rate where the dataset's
    /// (tuned for Adam) would not suit it (`OptimizerKind.learningRate`).
    public mutating func use(_ optimizer: OptimizerKind) {
        self.optimizer = optimizer
        if let rate = optimizer.learningRate { learningRate = rate }
    }

    /// The chapter's settings for each dataset.
    public static func defaults(for dataset: String, seed: UInt64 = 42) -> MLPRunOptions? {
        switch dataset {
        case "xor":
            return MLPRunOptions(dataset: "xor", widths: [4], activation: .tanh, optimizer: .adam, learningRate: 0.05,
                                 epochs: 300, batch: 4, seed: seed)
        case "spirals":
            return MLPRunOptions(dataset: "spirals", widths: [64, 64], activation: .relu, optimizer: .adam, learningRate: 0.01,
                                 epochs: 200, batch: 32, seed: seed)
        case "digits":
            return MLPRunOptions(dataset: "digits", widths: [256, 256], activation: .relu, optimizer: .adam, learningRate: 1e-3,
                                 epochs: 40, batch: 64, dropout: 0.1, seed: seed)
        case "mnist":
            return MLPRunOptions(dataset: "mnist", widths: [256, 256], activation: .relu, optimizer: .adam, learningRate: 1e-3,
                                 epochs: 20, batch: 64, dropout: 0.1, seed: seed)
        default:
            return nil
        }
    }
}

/// The data of one chapter-2 run.
public struct SplitData: Sendable {
    public var train: Dataset
    public var validation: Dataset
    public var test: Dataset
    /// What was done to the raw features (saved in checkpoints).
    public var preprocessing: InputPreprocessing

    public init(train: Dataset, validation: Dataset, test: Dataset, preprocessing: InputPreprocessing = .none) {
        self.train = train
        self.validation = validation
        self.test = test
        self.preprocessing = preprocessing
    }
}

public enum Chapter2 {
    public static let datasets = ["xor", "spirals", "digits", "mnist"]
    /// The datasets of the tour (MNIST's MLP is left to `train mlp --dataset mnist`).
    public static let tourDatasets = ["xor", "spirals", "digits"]

    /// Loads and splits a dataset by name.
    public static func data(_ name: String, seed: UInt64) throws -> SplitData {
        switch name {
        case "xor":
            let d = try SyntheticData.xor()
            return SplitData(train: d, validation: d, test: d)
        case "spirals":
            let parts = try Chapter2Data.spirals(seed: seed).split(trainFraction: 0.6, validationFraction: 0.2, seed: seed)
            return SplitData(train: parts.train, validation: parts.validation, test: parts.test)
        case "digits":
            let parts = try BundledData.digits().split(trainFraction: 0.6, validationFraction: 0.2, seed: seed)
            let scaler = try Standardizer(fitting: parts.train.features)
            return SplitData(train: try scaler.transform(parts.train), validation: try scaler.transform(parts.validation),
                             test: try scaler.transform(parts.test), preprocessing: .standardize(scaler))
        case "mnist":
            let parts = try MNIST.split()
            let preprocessing = InputPreprocessing.scale(1.0 / 255)
            func scaled(_ d: Dataset) throws -> Dataset {
                var out = d
                out.features = try preprocessing.apply(d.features)
                return out
            }
            return SplitData(train: try scaled(parts.train), validation: try scaled(parts.validation),
                             test: try scaled(parts.test), preprocessing: preprocessing)
        default:
            throw TrainingError.unsuitableData("unknown dataset '\(name)'; chapter 2 has \(datasets.joined(separator: ", "))")
        }
    }

    /// Trains an MLP and reports its test accuracy.
    public static func run(
        _ o: MLPRunOptions, onEpoch: (EpochReport) -> Void = { _ in }
    ) throws -> (summary: RunSummary, trainer: ClassifierTrainer<Float>, data: SplitData) {
        let start = Date()
        let data = try data(o.dataset, seed: o.seed)
        let model: Sequential<Float> = try MultilayerPerceptron.make(
            inputs: data.train.featureCount, hidden: o.widths, outputs: data.train.classNames.count,
            activation: o.activation, dropout: o.dropout, seed: o.seed, backend: o.backend)
        let optimizer = try o.optimizer.make(model.parameters, learningRate: o.learningRate, backend: o.backend)
        let trainer = ClassifierTrainer(model: model, optimizer: optimizer)
        var options = TrainingOptions(epochs: o.epochs, batchSize: o.batch, seed: o.seed)
        options.schedule = o.dataset == "xor" ? .constant : .cosine(warmup: 0, total: o.epochs, minimum: o.learningRate / 20)
        try trainer.fit(train: data.train, validation: data.validation, options: options, onEpoch: onEpoch)
        let test = try trainer.evaluate(data.test)
        let train = try trainer.evaluate(data.train)
        var metrics = [("train_accuracy", train.accuracy), ("test_accuracy", test.accuracy), ("test_loss", test.loss)]
        if o.dataset == "mnist" { metrics.insert(("validation_accuracy", try trainer.evaluate(data.validation).accuracy), at: 1) }
        let summary = RunSummary(
            chapter: 2, model: "mlp", dataset: o.dataset,
            metrics: metrics,
            seconds: Date().timeIntervalSince(start),
            details: [("widths", .array(o.widths.map { .integer($0) })), ("activation", .string(o.activation.name)),
                      ("optimizer", .string(o.optimizer.rawValue)), ("epochs", .integer(o.epochs)),
                      ("parameters", .integer(model.parameterCount)), ("backend", .string(o.backend.rawValue))])
        return (summary, trainer, data)
    }

    /// The checkpoint of a finished `run`: the model, its architecture, class
    /// names, input standardisation and the run's summary as metadata.
    public static func checkpoint(_ o: MLPRunOptions, model: Sequential<Float>, data: SplitData, summary: RunSummary) -> Checkpoint {
        MLPClassifier(model: model, inputs: data.train.featureCount, hidden: o.widths, outputs: data.train.classNames.count,
                      activation: o.activation, dropout: o.dropout, classNames: data.train.classNames, preprocessing: data.preprocessing)
            .checkpoint(metadata: summary.checkpointMetadata(seed: o.seed))
    }

    /// The tour's chapter-2 runs.
    public static func tour(seed: UInt64) -> [(name: String, run: () throws -> RunSummary)] {
        tourDatasets.map { name in ("MLP on \(name)", { try run(MLPRunOptions.defaults(for: name, seed: seed)!).summary }) }
    }
}
