// Two interleaved spirals: chapter 2's test of a decision boundary no line,
// and no single bend, can draw.

import BackpropCore
import Datasets

/// Generated data for chapter 2.
public enum Chapter2Data {
    /// Two interleaved spirals: class k ∈ {0, 1} at angle θ = 2π·turns·t + kπ
    /// and radius r = t for t uniform in (0.05, 1], plus Gaussian noise.
    public static func spirals(count: Int = 1000, turns: Double = 1.5, noise: Double = 0.04, seed: UInt64) throws -> Dataset {
        var rng = SeededRandom(seed: seed)
        var x: [Float] = [], labels: [Int] = []
        for i in 0..<count {
            let k = i % 2
            let t = 0.05 + 0.95 * rng.uniform()
            let angle = 2 * Double.pi * turns * t + Double(k) * Double.pi
            x.append(Float(t * cosine(angle) + rng.normal(mean: 0, std: noise)))
            x.append(Float(t * sine(angle) + rng.normal(mean: 0, std: noise)))
            labels.append(k)
        }
        return try Dataset(name: "spirals", features: Tensor(shape: [count, 2], scalars: x), labels: labels,
                           classNames: ["spiral A", "spiral B"])
    }
}

import Foundation
private func cosine(_ x: Double) -> Double { Foundation.cos(x) }
private func sine(_ x: Double) -> Double { Foundation.sin(x) }
