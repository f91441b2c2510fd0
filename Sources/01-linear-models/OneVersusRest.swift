// Binary linear classifiers, and one-versus-rest for more than two classes:
// train one binary model per class ("this class" against "all others") and
// predict the class whose model gives the highest score.

import BackpropCore
import Datasets

/// Options shared by chapter 1's classifiers.
public struct ClassifierOptions: Sendable {
    public var epochs: Int
    public var learningRate: Double
    public var seed: UInt64
    public var backend: Backend

    public init(epochs: Int, learningRate: Double, seed: UInt64, backend: Backend = .simd) {
        self.epochs = epochs
        self.learningRate = learningRate
        self.seed = seed
        self.backend = backend
    }
}

/// A two-class model whose decision is the sign of a linear score.
public protocol BinaryLinearClassifier: Sendable {
    /// The score of each row; positive means class 1.
    func scores(_ x: Tensor<Float>) throws -> [Float]
    /// Trains on a two-class dataset; returns the model and its per-epoch
    /// history (loss, or mistakes for the perceptron).
    static func train(on data: Dataset, options: ClassifierOptions) throws -> (Self, [Double])
}

extension BinaryLinearClassifier {
    /// Predicted labels (0 or 1).
    public func predict(_ x: Tensor<Float>) throws -> [Int] {
        try scores(x).map { $0 > 0 ? 1 : 0 }
    }

    /// The fraction of rows of `data` predicted correctly.
    public func accuracy(on data: Dataset) throws -> Double {
        Metrics.accuracy(predicted: try predict(data.features), actual: data.labels)
    }
}

/// K binary models, one per class; predicts the class with the highest score.
public struct OneVersusRest<Model: BinaryLinearClassifier>: Sendable {
    public var models: [Model]
    /// Each model's training history.
    public var histories: [[Double]]

    public init(training data: Dataset, options: ClassifierOptions) throws {
        guard data.classNames.count >= 2 else {
            throw TrainingError.unsuitableData("\(data.name) has fewer than two classes")
        }
        models = []
        histories = []
        for k in 0..<data.classNames.count {
            let (m, h) = try Model.train(on: data.oneVersusRest(positive: k), options: options)
            models.append(m)
            histories.append(h)
        }
    }

    /// The class with the highest score for each row.
    public func predict(_ x: Tensor<Float>) throws -> [Int] {
        let all = try models.map { try $0.scores(x) }
        let n = all.first?.count ?? 0
        return (0..<n).map { i in (0..<all.count).max { all[$0][i] < all[$1][i] }! }
    }

    public func accuracy(on data: Dataset) throws -> Double {
        Metrics.accuracy(predicted: try predict(data.features), actual: data.labels)
    }
}
