// Dataset: a table of examples with integer class labels, and the fixed-seed
// splits and standardisation every chapter uses.
//
// Contract
// - `features` is a [n, d] matrix, one example per row; `labels[i]` is the
//   class index of row i, in 0..<classNames.count.
// - `split` shuffles with a seeded permutation, so the same seed gives the
//   same train/validation/test rows on every machine.
// - `Standardizer` learns each feature's mean and standard deviation on the
//   training rows only (fitting it on test rows would leak information).

import BackpropCore

/// Labelled examples for classification.
public struct Dataset: Sendable {
    public var name: String
    /// [n, d]: one example per row.
    public var features: Tensor<Float>
    /// The class index of each row.
    public var labels: [Int]
    /// Human-readable class names, indexed by label.
    public var classNames: [String]

    /// - Throws: `TensorError` if `features` is not a matrix with one row per label,
    ///   or a label is outside 0..<classNames.count.
    public init(name: String, features: Tensor<Float>, labels: [Int], classNames: [String]) throws {
        let (rows, _) = try features.matrixShape("Dataset(\(name))")
        guard rows == labels.count else {
            throw TensorError.shapeMismatch(
                operation: "Dataset(\(name))", lhs: features.shape, rhs: [labels.count],
                reason: "one label per row is needed")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classNames.count }) {
            throw TensorError.invalidValue(
                operation: "Dataset(\(name))",
                reason: "label \(bad) is outside 0..<\(classNames.count)")
        }
        self.name = name
        self.features = features
        self.labels = labels
        self.classNames = classNames
    }

    /// The number of examples.
    public var count: Int { labels.count }
    /// The number of features per example.
    public var featureCount: Int { features.shape[1] }

    /// The rows with the given indices, in that order.
    public func subset<C: Collection>(_ indices: C, name: String? = nil) -> Dataset
    where C.Element == Int {
        // Indices come from our own permutations, so the result is valid by construction.
        try! Dataset(
            name: name ?? self.name, features: features.rows(indices),
            labels: indices.map { labels[$0] }, classNames: classNames)
    }

    /// The same examples relabelled as a binary task: `positive` → 1, others → 0.
    public func oneVersusRest(positive: Int) -> Dataset {
        try! Dataset(
            name: "\(name) (\(classNames[positive]) vs rest)", features: features,
            labels: labels.map { $0 == positive ? 1 : 0 },
            classNames: ["not \(classNames[positive])", classNames[positive]])
    }

    /// Splits into train, validation and test parts after a seeded shuffle.
    /// Fractions are of the whole; the test part gets what remains.
    public func split(
        trainFraction: Double, validationFraction: Double, seed: UInt64
    ) throws -> (train: Dataset, validation: Dataset, test: Dataset) {
        guard trainFraction > 0, validationFraction >= 0, trainFraction + validationFraction < 1 else {
            throw TensorError.invalidValue(
                operation: "Dataset.split",
                reason: "fractions \(trainFraction) + \(validationFraction) must leave room for a test part")
        }
        var rng = SeededRandom(seed: seed)
        let order = rng.permutation(count)
        let nTrain = Int((Double(count) * trainFraction).rounded())
        let nValidation = Int((Double(count) * validationFraction).rounded())
        return (
            subset(order[0..<nTrain], name: "\(name)/train"),
            subset(order[nTrain..<(nTrain + nValidation)], name: "\(name)/validation"),
            subset(order[(nTrain + nValidation)...], name: "\(name)/test")
        )
    }
}

/// Per-feature standardisation z = (x − μ) / σ, fitted on training data.
public struct Standardizer: Sendable {
    public let mean: [Float]
    public let std: [Float]

    /// Fits μ and σ (population standard deviation) per column. A constant
    /// column gets σ = 1 so it maps to zero instead of dividing by zero.
    public init(fitting x: Tensor<Float>) throws {
        let (rows, cols) = try x.matrixShape("Standardizer")
        var mean = [Double](repeating: 0, count: cols)
        var sq = [Double](repeating: 0, count: cols)
        for i in 0..<rows {
            for j in 0..<cols { mean[j] += Double(x.scalars[i * cols + j]) }
        }
        for j in 0..<cols { mean[j] /= Double(max(rows, 1)) }
        for i in 0..<rows {
            for j in 0..<cols {
                let d = Double(x.scalars[i * cols + j]) - mean[j]
                sq[j] += d * d
            }
        }
        self.mean = mean.map { Float($0) }
        self.std = sq.map { s in
            let sd = (s / Double(max(rows, 1))).squareRoot()
            return sd > 1e-12 ? Float(sd) : 1
        }
    }

    /// A standardizer with known statistics (e.g. read from a checkpoint).
    /// - Throws: `TensorError` unless both lists have the same length and every σ is positive and finite.
    public init(mean: [Float], std: [Float]) throws {
        guard mean.count == std.count else {
            throw TensorError.shapeMismatch(operation: "Standardizer", lhs: [mean.count], rhs: [std.count], reason: "one σ per mean is needed")
        }
        guard mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw TensorError.invalidValue(operation: "Standardizer", reason: "means must be finite and standard deviations positive")
        }
        self.mean = mean
        self.std = std
    }

    /// Applies (x − μ) / σ column by column.
    public func transform(_ x: Tensor<Float>) throws -> Tensor<Float> {
        let (rows, cols) = try x.matrixShape("Standardizer.transform")
        guard cols == mean.count else {
            throw TensorError.shapeMismatch(
                operation: "Standardizer.transform", lhs: x.shape, rhs: [mean.count],
                reason: "fitted on \(mean.count) features")
        }
        var out = x
        for i in 0..<rows {
            for j in 0..<cols { out.scalars[i * cols + j] = (x.scalars[i * cols + j] - mean[j]) / std[j] }
        }
        return out
    }

    /// A dataset with standardised features.
    public func transform(_ d: Dataset) throws -> Dataset {
        var out = d
        out.features = try transform(d.features)
        return out
    }
}
