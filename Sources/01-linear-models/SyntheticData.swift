// Generated datasets for chapter 1: made from a seed, so they need no files
// and are the same on every machine.
//
// - blobs: two Gaussian clouds far enough apart to be linearly separable.
// - xor:   the four corners of the unit square labelled by x₁ XOR x₂; no line
//          separates them (see `XORArgument`).
// - line:  points on y = a·x + b with Gaussian noise, for regression.

import BackpropCore
import Datasets

/// Seeded generators for chapter 1's toy problems.
public enum SyntheticData {
    /// Two isotropic Gaussian clouds in 2-D with centres (−c, −c) and (c, c),
    /// standard deviation `spread`; `count` points split evenly.
    public static func blobs(count: Int = 200, separation c: Double = 2, spread: Double = 0.7, seed: UInt64) throws -> Dataset {
        guard count >= 2 else { throw TrainingError.invalidOption(name: "count", value: "\(count)", reason: "need at least 2 points") }
        var rng = SeededRandom(seed: seed)
        var x: [Float] = []
        var labels: [Int] = []
        for i in 0..<count {
            let label = i % 2
            let centre = label == 1 ? c : -c
            x.append(Float(rng.normal(mean: centre, std: spread)))
            x.append(Float(rng.normal(mean: centre, std: spread)))
            labels.append(label)
        }
        return try Dataset(
            name: "blobs", features: Tensor(shape: [count, 2], scalars: x), labels: labels,
            classNames: ["blue", "orange"])
    }

    /// The XOR truth table: (0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0.
    /// With `noise` > 0, `copies` jittered points around each corner.
    public static func xor(copies: Int = 1, noise: Double = 0, seed: UInt64 = 0) throws -> Dataset {
        var rng = SeededRandom(seed: seed)
        var x: [Float] = []
        var labels: [Int] = []
        for _ in 0..<max(copies, 1) {
            for (a, b) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                x.append(Float(Double(a) + (noise > 0 ? rng.normal(mean: 0, std: noise) : 0)))
                x.append(Float(Double(b) + (noise > 0 ? rng.normal(mean: 0, std: noise) : 0)))
                labels.append(a ^ b)
            }
        }
        return try Dataset(
            name: "xor", features: Tensor(shape: [labels.count, 2], scalars: x), labels: labels,
            classNames: ["x1 = x2", "x1 ≠ x2"])
    }

    /// `count` points (x, y) with x uniform in [−3, 3] and y = slope·x + intercept + N(0, noise²).
    /// Returns x as a [count, 1] matrix and y as [count].
    public static func noisyLine(
        count: Int = 100, slope: Double = 2, intercept: Double = -1, noise: Double = 0.5, seed: UInt64
    ) throws -> (x: Tensor<Float>, y: Tensor<Float>) {
        var rng = SeededRandom(seed: seed)
        var xs: [Float] = [], ys: [Float] = []
        for _ in 0..<count {
            let x = rng.uniform(-3, 3)
            xs.append(Float(x))
            ys.append(Float(slope * x + intercept + rng.normal(mean: 0, std: noise)))
        }
        return (try Tensor(shape: [count, 1], scalars: xs), Tensor(ys))
    }
}

/// Why no single linear threshold unit computes XOR.
///
/// Suppose w₁x₁ + w₂x₂ + b > 0 exactly on the XOR-true corners. Then
///   (0,0) → 0:  b ≤ 0           (1,1) → 0:  w₁ + w₂ + b ≤ 0
///   (1,0) → 1:  w₁ + b > 0      (0,1) → 1:  w₂ + b > 0
/// Adding the last two gives w₁ + w₂ + 2b > 0; adding the first two gives
/// w₁ + w₂ + 2b ≤ 0. Contradiction: at most 3 of the 4 corners can be right.
public enum XORArgument {
    /// The four inequalities' left-hand sides for a given (w₁, w₂, b), in the
    /// order (0,0), (0,1), (1,0), (1,1): the scores a linear unit gives.
    public static func scores(w1: Double, w2: Double, b: Double) -> [Double] {
        [b, w2 + b, w1 + b, w1 + w2 + b]
    }

    /// How many XOR corners the linear unit (w₁, w₂, b) classifies correctly.
    public static func correctCorners(w1: Double, w2: Double, b: Double) -> Int {
        zip(scores(w1: w1, w2: w2, b: b), [0, 1, 1, 0]).filter { ($0 > 0 ? 1 : 0) == $1 }.count
    }
}
