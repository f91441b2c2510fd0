// Shared helpers for chapter 2's tests.

import BackpropCore
import Foundation
import NeuralNetworks

/// Loads a PyTorch fixture from Tests/Fixtures.
func fixture(_ name: String) throws -> Fixture {
    try Fixture.load(
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(name).json"))
}

/// The largest |a − b| / max(1, |b|).
func maxRelativeDifference<T: TensorScalar>(_ a: Tensor<T>, _ b: Tensor<T>) -> Double {
    precondition(a.shape == b.shape, "shapes \(a.shape) and \(b.shape) differ")
    return zip(a.scalars, b.scalars).map { abs(Double($0) - Double($1)) / max(1, abs(Double($1))) }.max() ?? 0
}

/// A seeded random Double tensor with entries uniform in [−scale, scale).
func randomTensor(_ shape: [Int], seed: UInt64, scale: Double = 1) -> Tensor<Double> {
    var rng = SeededRandom(seed: seed)
    return try! Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.uniform(-scale, scale) })
}

/// Labels stored by the fixtures as whole-number floats.
func labels(_ t: Tensor<Double>) -> [Int] { t.scalars.map { Int($0) } }

/// Checks a layer's backward against finite differences of L = Σ y ⊙ R:
/// the input gradient and every parameter gradient. Returns the worst report.
func checkLayer<L: Layer>(_ layer: L, input x: Tensor<Double>, seed: UInt64 = 99, mode: Mode = .training)
    throws -> [String: GradientCheckReport] where L.Scalar == Double
{
    let (y, cache) = try layer.forward(x, mode: mode)
    let r = randomTensor(y.shape, seed: seed)
    for p in layer.parameters { p.zeroGrad() }
    let dx = try layer.backward(r, cache: cache)
    func loss() throws -> Double { try layer.forward(x, mode: mode).output.multiplying(r).sum() }
    var reports = ["input": try GradientCheck.check({ try layer.forward($0, mode: mode).output.multiplying(r).sum() }, at: x, analytic: dx)]
    for p in layer.parameters {
        let saved = p.value
        reports[p.name] = try GradientCheck.check({ v in
            p.value = v
            defer { p.value = saved }
            return try loss()
        }, at: saved, analytic: p.grad)
    }
    return reports
}
