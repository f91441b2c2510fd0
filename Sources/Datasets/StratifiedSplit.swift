// A stratified split: every class is divided in the same proportions, so a
// 10-class set with 500 examples per class splits into exactly 350 / 50 / 100
// of each class, and no part is short of any class by chance.
//
// The algorithm (reproduced exactly by chapters/experiments/05-mnist-lenet.py):
//
//   rng ← SeededRandom(seed)                         xoshiro256** seeded by SplitMix64
//   for each class k = 0, 1, …, K−1 in order:
//       rows ← the indices of the class-k examples, ascending
//       p    ← rng.permutation(rows.count)          Fisher–Yates from the back
//       n_train = round(f_train · n), n_validation = round(f_validation · n), rest test
//       append rows[p[0..<n_train]] to train, the next n_validation to
//       validation, the rest to test
//   then rng.shuffle each of train, validation and test (in that order),
//   so no part is sorted by class.

import BackpropCore

/// Row indices of a split.
public struct SplitIndices: Sendable, Equatable {
    public var train: [Int]
    public var validation: [Int]
    public var test: [Int]
}

extension Dataset {
    /// The row indices of a seeded stratified split (algorithm above).
    /// - Throws: `TensorError.invalidValue` unless the fractions leave room for a test part.
    public func stratifiedSplitIndices(trainFraction: Double, validationFraction: Double, seed: UInt64) throws -> SplitIndices {
        guard trainFraction > 0, validationFraction >= 0, trainFraction + validationFraction < 1 else {
            throw TensorError.invalidValue(
                operation: "Dataset.stratifiedSplit",
                reason: "fractions \(trainFraction) + \(validationFraction) must leave room for a test part")
        }
        var rng = SeededRandom(seed: seed)
        var parts = SplitIndices(train: [], validation: [], test: [])
        for k in 0..<classNames.count {
            let rows = labels.indices.filter { labels[$0] == k }
            let p = rng.permutation(rows.count)
            let nTrain = Int((Double(rows.count) * trainFraction).rounded())
            let nValidation = Int((Double(rows.count) * validationFraction).rounded())
            parts.train += p[0..<nTrain].map { rows[$0] }
            parts.validation += p[nTrain..<(nTrain + nValidation)].map { rows[$0] }
            parts.test += p[(nTrain + nValidation)...].map { rows[$0] }
        }
        rng.shuffle(&parts.train)
        rng.shuffle(&parts.validation)
        rng.shuffle(&parts.test)
        return parts
    }

    /// A seeded stratified split into train, validation and test parts.
    public func stratifiedSplit(
        trainFraction: Double, validationFraction: Double, seed: UInt64
    ) throws -> (train: Dataset, validation: Dataset, test: Dataset) {
        let s = try stratifiedSplitIndices(trainFraction: trainFraction, validationFraction: validationFraction, seed: seed)
        return (subset(s.train, name: "\(name)/train"), subset(s.validation, name: "\(name)/validation"),
                subset(s.test, name: "\(name)/test"))
    }
}
