// Shared helpers for chapter 1's tests.

import BackpropCore
import Foundation

/// Loads a PyTorch fixture from Tests/Fixtures.
func fixture(_ name: String) throws -> Fixture {
    try Fixture.load(
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(name).json"))
}

/// The largest |a − b| / max(1, |b|) over two tensors of equal shape.
func maxRelativeDifference<T: TensorScalar>(_ a: Tensor<T>, _ b: Tensor<T>) -> Double {
    precondition(a.shape == b.shape, "shapes \(a.shape) and \(b.shape) differ")
    return zip(a.scalars, b.scalars).map { abs(Double($0) - Double($1)) / max(1, abs(Double($1))) }.max() ?? 0
}

/// A seeded random Double tensor with entries uniform in [−1, 1).
func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor<Double> {
    var rng = SeededRandom(seed: seed)
    return try! Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.uniform(-1, 1) })
}

/// Both kernel twins, for parameterised tests.
let bothKernelSets: [any KernelSet.Type] = [Naive.self, SIMDKernels.self]
