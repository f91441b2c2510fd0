// The perceptron (Rosenblatt, 1958): a linear threshold unit
//     ŷ = sign(w·x + b)
// trained one example at a time by the rule: for each misclassified
// example (y·(w·x + b) ≤ 0, with labels y ∈ {−1, +1}),
//     w ← w + η·y·x,   b ← b + η·y.
// Each update moves the boundary toward classifying that example correctly.
// Novikoff (1962): if some unit vector w* separates the data with margin γ
// and every ‖x‖ ≤ R, the rule makes at most (R/γ)² mistakes, then stops.
// On data that is not linearly separable (XOR) it never stops.

import BackpropCore
import Datasets

/// Rosenblatt's perceptron for two classes (labels 0/1 at the API, ±1 inside).
public struct Perceptron: Sendable {
    /// [d]
    public var weights: [Float]
    public var bias: Float

    /// What one training run did.
    public struct Report: Sendable {
        /// Mistakes (= updates) made in each epoch.
        public var mistakesPerEpoch: [Int]
        /// True if the last epoch made no mistake: the data is separated.
        public var converged: Bool
        /// (weights, bias) after every update, for the figure of the boundary moving.
        public var snapshots: [([Float], Float)]
    }

    public init(features: Int) {
        weights = Array(repeating: 0, count: features)
        bias = 0
    }

    /// The score w·x + b of one example.
    public func score(_ x: UnsafeBufferPointer<Float>) -> Float {
        var s = bias
        for j in 0..<weights.count { s += weights[j] * x[j] }
        return s
    }

    /// Runs the perceptron rule for up to `epochs` passes, visiting examples in
    /// a fresh seeded order each pass, stopping after the first pass with no mistake.
    public mutating func fit(
        _ data: Dataset, epochs: Int, learningRate: Float = 1, seed: UInt64, recordSnapshots: Bool = false
    ) throws -> Report {
        try OptionChecks.validate(epochs: epochs, learningRate: Double(learningRate))
        guard data.classNames.count == 2 else {
            throw TrainingError.unsuitableData("the perceptron separates two classes, \(data.name) has \(data.classNames.count)")
        }
        guard data.featureCount == weights.count else {
            throw TensorError.shapeMismatch(
                operation: "Perceptron.fit", lhs: data.features.shape, rhs: [weights.count],
                reason: "the model has \(weights.count) inputs")
        }
        var rng = SeededRandom(seed: seed)
        var report = Report(mistakesPerEpoch: [], converged: false, snapshots: [])
        let d = weights.count
        for epoch in 0..<epochs {
            var mistakes = 0
            for i in rng.permutation(data.count) {
                let y: Float = data.labels[i] == 1 ? 1 : -1
                let s = data.features.scalars.withUnsafeBufferPointer { all in
                    score(UnsafeBufferPointer(rebasing: all[(i * d)..<((i + 1) * d)]))
                }
                if y * s <= 0 {  // misclassified (or on the boundary)
                    for j in 0..<d { weights[j] += learningRate * y * data.features.scalars[i * d + j] }
                    bias += learningRate * y
                    mistakes += 1
                    if recordSnapshots { report.snapshots.append((weights, bias)) }
                }
            }
            try TrainingError.requireFinite(bias, "bias", step: epoch)
            report.mistakesPerEpoch.append(mistakes)
            if mistakes == 0 { report.converged = true; break }
        }
        return report
    }
}

extension Perceptron: BinaryLinearClassifier {
    public func scores(_ x: Tensor<Float>) throws -> [Float] {
        let (n, d) = try x.matrixShape("Perceptron.scores")
        guard d == weights.count else {
            throw TensorError.shapeMismatch(
                operation: "Perceptron.scores", lhs: x.shape, rhs: [weights.count],
                reason: "the model has \(weights.count) inputs")
        }
        return x.scalars.withUnsafeBufferPointer { all in
            (0..<n).map { i in score(UnsafeBufferPointer(rebasing: all[(i * d)..<((i + 1) * d)])) }
        }
    }

    public static func train(on data: Dataset, options: ClassifierOptions) throws -> (Perceptron, [Double]) {
        var model = Perceptron(features: data.featureCount)
        let report = try model.fit(data, epochs: options.epochs, learningRate: Float(options.learningRate), seed: options.seed)
        return (model, report.mistakesPerEpoch.map(Double.init))
    }
}
