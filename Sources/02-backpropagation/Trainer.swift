// The training loop of chapter 2, used by every classifier in the book.
//
// Each epoch: shuffle the training rows with the run's seeded generator, cut
// them into minibatches, and for each batch
//   zero gradients → forward → softmax cross-entropy → backward
//   → (clip) → optimizer step;
// then evaluate on the validation part. The learning rate follows a schedule
// per epoch. Early stopping ends training when the validation loss has not
// improved for `patience` epochs and restores the best parameters.
//
// A NaN or infinite loss or gradient stops training with
// `TrainingError.nonFinite`, naming the step and the tensor, before the
// parameters are touched.

import BackpropCore
import Datasets
import Foundation

/// How to train.
public struct TrainingOptions: Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var seed: UInt64
    public var schedule: LearningRateSchedule = .constant
    public var clipNorm: Double? = nil
    public var labelSmoothing: Double = 0
    /// Stop after this many epochs without a better validation loss (nil: never).
    public var patience: Int? = nil

    public init(epochs: Int, batchSize: Int, seed: UInt64) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
    }
}

/// What one epoch did.
public struct EpochReport: Sendable {
    public var epoch: Int
    public var learningRate: Double
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double?
    public var validationAccuracy: Double?
}

/// Loss, accuracy and predictions of a model on a dataset.
public struct Evaluation: Sendable {
    public var loss: Double
    public var accuracy: Double
    public var predictions: [Int]
}

/// Trains a classifier (a model producing logits) with softmax cross-entropy.
public final class ClassifierTrainer<Scalar: TensorScalar> {
    public let model: Sequential<Scalar>
    public let optimizer: any Optimizer
    public private(set) var history: [EpochReport] = []
    /// The number of optimizer steps taken so far.
    public private(set) var steps = 0

    public init(model: Sequential<Scalar>, optimizer: any Optimizer) {
        self.model = model
        self.optimizer = optimizer
    }

    /// One step on one minibatch; returns the batch loss and its predictions.
    @discardableResult
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(_ x: Tensor<Scalar>, _ labels: [Int], options: TrainingOptions) throws -> (loss: Double, predictions: [Int]) {
        optimizer.zeroGrad()
        let (logits, cache) = try model.forward(x, mode: .training)
        let (loss, dlogits) = try SoftmaxCrossEntropy.lossAndGradient(
            logits: logits, labels: labels, labelSmoothing: options.labelSmoothing, backend: model.backend)
        try TrainingError.requireFinite(loss, "loss", step: steps)
        try model.backwardParameters(dlogits, cache: cache)  // no gradient for the input batch
        for (name, p) in model.namedParameters {
            try TrainingError.requireFinite(p.grad, "gradient of \(name)", step: steps)
        }
        if let c = options.clipNorm { GradientClipping.clipGlobalNorm(model.parameters, maxNorm: c, backend: model.backend) }
        optimizer.step()
        steps += 1
        return (Double(loss), Metrics.argmaxRows(logits))
    }

    /// Trains for `options.epochs` epochs (fewer with early stopping).
    /// - Parameter onEpoch: called after every epoch (for progress lines).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func fit(
        train: Dataset, validation: Dataset? = nil, options: TrainingOptions,
        onEpoch: (EpochReport) -> Void = { _ in }
    ) throws {
        guard options.epochs >= 1 else {
            throw TrainingError.invalidOption(name: "epochs", value: "\(options.epochs)", reason: "must be at least 1")
        }
        guard options.batchSize >= 1 else {
            throw TrainingError.invalidOption(name: "batch size", value: "\(options.batchSize)", reason: "must be at least 1")
        }
        guard train.count > 0 else { throw TrainingError.unsuitableData("the training set \(train.name) is empty") }
        let x: Tensor<Scalar> = train.features.converted()
        var rng = SeededRandom(seed: options.seed)
        let baseRate = optimizer.learningRate
        var best: (loss: Double, values: [Tensor<Scalar>])?
        var sinceBest = 0
        for epoch in 0..<options.epochs {
            optimizer.learningRate = options.schedule.rate(at: epoch, base: baseRate)
            let order = rng.permutation(train.count)
            var lossSum = 0.0, correct = 0
            for start in stride(from: 0, to: order.count, by: options.batchSize) {
                let rows = order[start..<min(start + options.batchSize, order.count)]
                let labels = rows.map { train.labels[$0] }
                let (loss, predictions) = try step(x.rows(rows), labels, options: options)
                lossSum += loss * Double(rows.count)
                correct += zip(predictions, labels).filter { $0 == $1 }.count
            }
            var report = EpochReport(
                epoch: epoch, learningRate: optimizer.learningRate, trainLoss: lossSum / Double(train.count),
                trainAccuracy: Double(correct) / Double(train.count))
            if let validation, validation.count > 0 {
                let e = try evaluate(validation)
                report.validationLoss = e.loss
                report.validationAccuracy = e.accuracy
            }
            history.append(report)
            onEpoch(report)
            if let patience = options.patience, let vl = report.validationLoss {
                if best == nil || vl < best!.loss {
                    best = (vl, model.parameters.map(\.value))
                    sinceBest = 0
                } else {
                    sinceBest += 1
                    if sinceBest >= patience { break }
                }
            }
        }
        optimizer.learningRate = baseRate
        if let best {
            for (p, v) in zip(model.parameters, best.values) { p.value = v }
        }
    }

    /// Loss, accuracy and predictions in inference mode, in batches of 512.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func evaluate(_ data: Dataset, labelSmoothing: Double = 0) throws -> Evaluation {
        let x: Tensor<Scalar> = data.features.converted()
        var lossSum = 0.0
        var predictions: [Int] = []
        for start in stride(from: 0, to: data.count, by: 512) {
            let rows = start..<min(start + 512, data.count)
            let logits = try model(x.rows(rows))
            let labels = Array(data.labels[rows])
            lossSum += Double(try SoftmaxCrossEntropy.loss(logits: logits, labels: labels, labelSmoothing: labelSmoothing, backend: model.backend))
                * Double(rows.count)
            predictions += Metrics.argmaxRows(logits)
        }
        return Evaluation(
            loss: lossSum / Double(max(data.count, 1)),
            accuracy: Metrics.accuracy(predicted: predictions, actual: data.labels), predictions: predictions)
    }
}
