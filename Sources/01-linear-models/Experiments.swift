// Chapter 1's experiments: each trains one model on one dataset and returns a
// RunSummary. `backprop train …` runs one; `backprop tour` runs them all.
// Splits: iris is shuffled with the run's seed and split 60/20/20 into
// train/validation/test; features are standardised on the training part.

import BackpropCore
import Datasets
import Foundation

/// The datasets chapter 1 can train on.
public enum Chapter1Dataset: String, CaseIterable, Sendable {
    /// Two separable Gaussian clouds (generated).
    case blobs
    /// The four XOR corners (generated).
    case xor
    /// Iris, all three species (one-versus-rest).
    case iris
    /// Iris, setosa against the other two (linearly separable).
    case irisSetosa = "iris-setosa"
    /// Iris, virginica against the other two (not separable).
    case irisVirginica = "iris-virginica"
    /// A noisy straight line (regression).
    case line

    /// The train and test parts, standardised where the features need it.
    public func load(seed: UInt64) throws -> (train: Dataset, test: Dataset) {
        let p = try prepared(seed: seed)
        return (p.train, p.test)
    }

    /// The train and test parts and the preprocessing applied to raw
    /// features (saved in checkpoints, so a served model sees what it saw).
    public func prepared(seed: UInt64) throws -> (train: Dataset, test: Dataset, preprocessing: InputPreprocessing) {
        switch self {
        case .blobs:
            let all = try SyntheticData.blobs(count: 200, seed: seed)
            let parts = try all.split(trainFraction: 0.7, validationFraction: 0, seed: seed)
            return (parts.train, parts.test, .none)
        case .xor:
            // Four points: we "test" on the training set, since the question is
            // whether a line can fit them at all.
            let all = try SyntheticData.xor()
            return (all, all, .none)
        case .iris, .irisSetosa, .irisVirginica:
            var all = try BundledData.iris()
            if self == .irisSetosa { all = all.oneVersusRest(positive: 0) }
            if self == .irisVirginica { all = all.oneVersusRest(positive: 2) }
            let parts = try all.split(trainFraction: 0.6, validationFraction: 0.2, seed: seed)
            let scaler = try Standardizer(fitting: parts.train.features)
            return (try scaler.transform(parts.train), try scaler.transform(parts.test), .standardize(scaler))
        case .line:
            throw TrainingError.unsuitableData("'line' is a regression dataset; use it with `train linear`")
        }
    }
}

/// Chapter 1's models, by the names `backprop train` gives them.
public enum LinearModelKind: String, CaseIterable, Sendable {
    case perceptron, logistic, linear

    /// The datasets the model trains on: the line for the regression, the
    /// classification sets for the classifiers.
    public var datasets: [Chapter1Dataset] {
        self == .linear ? [.line] : Chapter1Dataset.allCases.filter { $0 != .line }
    }
}

/// Everything `backprop train perceptron|logistic|linear` can set.
public struct LinearModelRunOptions: Sendable {
    public var model: LinearModelKind
    public var dataset: Chapter1Dataset
    public var epochs: Int
    public var learningRate: Double
    public var seed: UInt64

    /// The chapter's settings for each model: the perceptron on the blobs,
    /// 100 epochs at rate 1; logistic regression on iris, 500 epochs at 0.5;
    /// linear regression on the line, 200 epochs at 0.1.
    public init(model: LinearModelKind, seed: UInt64 = 42) {
        self.model = model
        self.seed = seed
        switch model {
        case .perceptron: (dataset, epochs, learningRate) = (.blobs, 100, 1)
        case .logistic: (dataset, epochs, learningRate) = (.iris, 500, 0.5)
        case .linear: (dataset, epochs, learningRate) = (.line, 200, 0.1)
        }
    }
}

/// Runs chapter 1's models.
public enum Chapter1 {
    /// One run of `o`; `saveTo` writes the trained model's checkpoint.
    /// - Throws: `TrainingError.unsuitableData` for a dataset the model does not train on.
    public static func run(_ o: LinearModelRunOptions, saveTo: URL? = nil) throws -> RunSummary {
        guard o.model.datasets.contains(o.dataset) else {
            throw TrainingError.unsuitableData("\(o.model.rawValue) does not train on '\(o.dataset.rawValue)'; "
                                               + "it trains on \(o.model.datasets.map(\.rawValue).joined(separator: ", "))")
        }
        switch o.model {
        case .perceptron:
            return try perceptron(dataset: o.dataset, epochs: o.epochs, learningRate: o.learningRate, seed: o.seed, saveTo: saveTo)
        case .logistic:
            return try logistic(dataset: o.dataset, epochs: o.epochs, learningRate: o.learningRate, seed: o.seed, saveTo: saveTo)
        case .linear:
            return try linear(epochs: o.epochs, learningRate: o.learningRate, seed: o.seed, saveTo: saveTo)
        }
    }

    /// Writes a chapter-1 classifier's checkpoint with the run's summary as metadata.
    static func save<M: SavableLinearModel>(_ models: [M], train: Dataset, preprocessing: InputPreprocessing,
                                            summary: RunSummary, seed: UInt64, to url: URL?) throws {
        guard let url else { return }
        try LinearClassifier(models: models, classNames: train.classNames, preprocessing: preprocessing)
            .save(to: url, metadata: summary.checkpointMetadata(seed: seed))
    }

    /// The perceptron on a dataset (one-versus-rest when it has three classes);
    /// `saveTo` writes the trained model's checkpoint.
    public static func perceptron(
        dataset: Chapter1Dataset, epochs: Int, learningRate: Double, seed: UInt64, saveTo: URL? = nil
    ) throws -> RunSummary {
        let start = Date()
        let (train, test, preprocessing) = try dataset.prepared(seed: seed)
        let options = ClassifierOptions(epochs: epochs, learningRate: learningRate, seed: seed)
        if train.classNames.count == 2 {
            let (model, mistakes) = try Perceptron.train(on: train, options: options)
            let converged = mistakes.last == 0
            let summary = RunSummary(
                chapter: 1, model: "perceptron", dataset: dataset.rawValue,
                metrics: [("train_accuracy", try model.accuracy(on: train)), ("test_accuracy", try model.accuracy(on: test))],
                seconds: Date().timeIntervalSince(start),
                details: [("epochs", .integer(mistakes.count)), ("converged", .bool(converged)),
                          ("updates", .integer(Int(mistakes.reduce(0, +))))])
            try save([model], train: train, preprocessing: preprocessing, summary: summary, seed: seed, to: saveTo)
            return summary
        }
        let ovr = try OneVersusRest<Perceptron>(training: train, options: options)
        let summary = RunSummary(
            chapter: 1, model: "perceptron", dataset: dataset.rawValue,
            metrics: [("train_accuracy", try ovr.accuracy(on: train)), ("test_accuracy", try ovr.accuracy(on: test))],
            seconds: Date().timeIntervalSince(start),
            details: [("strategy", .string("one-versus-rest")),
                      ("converged", .array(ovr.histories.map { .bool($0.last == 0) }))])
        try save(ovr.models, train: train, preprocessing: preprocessing, summary: summary, seed: seed, to: saveTo)
        return summary
    }

    /// Logistic regression (one-versus-rest when the dataset has three classes);
    /// `saveTo` writes the trained model's checkpoint.
    public static func logistic(
        dataset: Chapter1Dataset, epochs: Int, learningRate: Double, seed: UInt64,
        backend: Backend = .simd, saveTo: URL? = nil
    ) throws -> RunSummary {
        let start = Date()
        let (train, test, preprocessing) = try dataset.prepared(seed: seed)
        let options = ClassifierOptions(epochs: epochs, learningRate: learningRate, seed: seed, backend: backend)
        if train.classNames.count == 2 {
            let (model, losses) = try LogisticRegression<Float>.train(on: train, options: options)
            let y = Tensor(test.labels.map { Float($0) })
            let testLoss = try BinaryCrossEntropy.forward(logits: try model.logits(test.features), targets: y)
            let summary = RunSummary(
                chapter: 1, model: "logistic", dataset: dataset.rawValue,
                metrics: [("train_accuracy", try model.accuracy(on: train)), ("test_accuracy", try model.accuracy(on: test)),
                          ("train_loss", losses.last ?? .nan), ("test_loss", Double(testLoss))],
                seconds: Date().timeIntervalSince(start), details: [("epochs", .integer(epochs))])
            try save([model], train: train, preprocessing: preprocessing, summary: summary, seed: seed, to: saveTo)
            return summary
        }
        let ovr = try OneVersusRest<LogisticRegression<Float>>(training: train, options: options)
        let summary = RunSummary(
            chapter: 1, model: "logistic", dataset: dataset.rawValue,
            metrics: [("train_accuracy", try ovr.accuracy(on: train)), ("test_accuracy", try ovr.accuracy(on: test))],
            seconds: Date().timeIntervalSince(start),
            details: [("strategy", .string("one-versus-rest")), ("epochs", .integer(epochs))])
        try save(ovr.models, train: train, preprocessing: preprocessing, summary: summary, seed: seed, to: saveTo)
        return summary
    }

    /// Linear regression on a noisy line: normal equations against gradient
    /// descent; `saveTo` writes the gradient-descent model's checkpoint.
    public static func linear(epochs: Int, learningRate: Double, seed: UInt64, saveTo: URL? = nil) throws -> RunSummary {
        let start = Date()
        let train = try SyntheticData.noisyLine(count: 100, seed: seed)
        let test = try SyntheticData.noisyLine(count: 100, seed: seed &+ 1)
        let exact = try NormalEquations.fit(train.x, train.y)
        var model = try LinearRegression<Float>(features: 1)
        let history = try model.fit(train.x, train.y, epochs: epochs, learningRate: Float(learningRate))
        let prediction = try model.predict(test.x)
        let testMSE = try MeanSquaredError.forward(prediction, try test.y.reshaped(prediction.shape))
        let gap = max(abs(Double(model.weight.scalars[0]) - exact.weights[0]), abs(Double(model.bias.scalars[0]) - exact.bias))
        let summary = RunSummary(
            chapter: 1, model: "linear", dataset: "line",
            metrics: [("train_loss", Double(history.last ?? .nan)), ("test_loss", Double(testMSE))],
            seconds: Date().timeIntervalSince(start),
            details: [("slope", .number(Double(model.weight.scalars[0]))), ("intercept", .number(Double(model.bias.scalars[0]))),
                      ("exact_slope", .number(exact.weights[0])), ("exact_intercept", .number(exact.bias)),
                      ("gap_to_normal_equations", .number(gap)), ("epochs", .integer(epochs))])
        if let saveTo { try model.save(to: saveTo, metadata: summary.checkpointMetadata(seed: seed)) }
        return summary
    }

    /// Every chapter-1 run the tour shows, with default settings, as named
    /// closures so a caller can report progress between them.
    public static func tour(seed: UInt64) -> [(name: String, run: () throws -> RunSummary)] {
        func run(_ model: LinearModelKind, on dataset: Chapter1Dataset) -> () throws -> RunSummary {
            var o = LinearModelRunOptions(model: model, seed: seed)
            o.dataset = dataset
            return { try Chapter1.run(o) }
        }
        return [
            ("linear regression", run(.linear, on: .line)),
            ("perceptron on blobs", run(.perceptron, on: .blobs)),
            ("perceptron on iris-setosa", run(.perceptron, on: .irisSetosa)),
            ("perceptron on xor", run(.perceptron, on: .xor)),
            ("logistic on xor", run(.logistic, on: .xor)),
            ("logistic on iris", run(.logistic, on: .iris)),
        ]
    }
}
