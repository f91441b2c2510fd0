// Models to serve before any checkpoint exists: chapter 2's digits MLP,
// trained in a few seconds (release build), with the standardiser that maps
// raw pixel values (0…16) to the features it was trained on; and rebuilding
// that MLP from a chapter-2 checkpoint (`backprop train mlp --save`).

import BackpropCore
import Foundation
import NeuralNetworks

public enum DemoModels {
    /// A trained digits classifier and the raw test rows with their labels.
    public struct Digits: Sendable {
        public var classifier: MLPClassifier
        public var testInputs: [[Double]]
        public var testLabels: [Int]
        public var testAccuracy: Double
        /// Layer widths, e.g. "64-256-256-10".
        public var architecture: String
    }

    /// Trains a 64-hidden…-10 ReLU MLP on the bundled digits (60/20/20 split
    /// as in chapter 2) with Adam and a cosine decay.
    public static func digits(hidden: [Int] = [256, 256], epochs: Int = 10, seed: UInt64 = 42) throws -> Digits {
        let parts = try BundledData.digits().split(trainFraction: 0.6, validationFraction: 0.2, seed: seed)
        let scaler = try Standardizer(fitting: parts.train.features)
        let model: Sequential<Float> = try MultilayerPerceptron.make(
            inputs: parts.train.featureCount, hidden: hidden, outputs: parts.train.classNames.count, seed: seed)
        let optimizer = try OptimizerKind.adam.make(model.parameters, learningRate: 1e-3, kernels: SIMDKernels.self)
        let trainer = ClassifierTrainer(model: model, optimizer: optimizer)
        var options = TrainingOptions(epochs: epochs, batchSize: 64, seed: seed)
        options.schedule = .cosine(warmup: 0, total: epochs, minimum: 5e-5)
        try trainer.fit(train: try scaler.transform(parts.train), validation: try scaler.transform(parts.validation), options: options)
        let test = try trainer.evaluate(try scaler.transform(parts.test))
        let classifier = try MLPClassifier(
            model: model, inputWidth: parts.test.featureCount, standardizer: scaler,
            config: [("dataset", .string("digits")), ("hidden", .array(hidden.map { .integer($0) })),
                     ("activation", .string("relu")), ("standardized_inputs", .bool(false))])
        let width = parts.test.featureCount
        let rows = (0..<parts.test.count).map { i in parts.test.features.scalars[(i * width)..<((i + 1) * width)].map { Double($0) } }
        let widths = [width] + hidden + [parts.test.classNames.count]
        return Digits(classifier: classifier, testInputs: rows, testLabels: parts.test.labels, testAccuracy: test.accuracy,
                      architecture: widths.map(String.init).joined(separator: "-"))
    }
}

extension MLPClassifier {
    /// Rebuilds chapter 2's MLP from its checkpoint (model "mlp", config
    /// hidden/activation/dropout, tensors "0.weight"…). The model expects the
    /// inputs it was trained on (standardised features for digits).
    /// - Throws: `CheckpointError` or `ServingError.invalidInput` naming what does not fit.
    public convenience init(checkpoint: Checkpoint, path: String = "") throws {
        guard checkpoint.model == "mlp" else {
            throw CheckpointError.wrongModel(path: path, found: checkpoint.model, expected: "mlp")
        }
        let config = Dictionary(checkpoint.config, uniquingKeysWith: { a, _ in a })
        guard case .array(let widths)? = config["hidden"] else {
            throw CheckpointError.malformed(path: path, reason: "config has no 'hidden' layer widths")
        }
        let hidden = try widths.map { value -> Int in
            switch value {
            case .integer(let i): return i
            case .number(let x) where x == x.rounded() && x >= 1: return Int(x)
            default: throw CheckpointError.malformed(path: path, reason: "'hidden' holds \(value.rendered), not a width")
            }
        }
        var activation = UnaryFunction.relu
        if case .string(let name)? = config["activation"] {
            let known: [UnaryFunction] = [.relu, .tanh, .sigmoid, .gelu, .geluTanh, .leakyRelu(slope: 0.01)]
            guard let f = known.first(where: { $0.name == name }) else {
                throw CheckpointError.malformed(path: path, reason: "unknown activation '\(name)'")
            }
            activation = f
        }
        var dropout = 0.0
        if case .number(let p)? = config["dropout"] { dropout = p }
        let weights = checkpoint.tensors.filter { $0.name.hasSuffix(".weight") }
        guard let first = weights.first?.tensor, let last = weights.last?.tensor, first.shape.count == 2, last.shape.count == 2 else {
            throw CheckpointError.malformed(path: path, reason: "no weight matrices")
        }
        let model: Sequential<Float> = try MultilayerPerceptron.make(
            inputs: first.shape[1], hidden: hidden, outputs: last.shape[0], activation: activation,
            dropout: dropout, seed: 0)
        try model.load(checkpoint, path: path)
        try self.init(model: model, inputWidth: first.shape[1], config: checkpoint.config)
    }
}
