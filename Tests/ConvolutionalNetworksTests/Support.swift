// Shared helpers for chapter 4's layer tests.

import BackpropCore
import Foundation
import NeuralNetworks

func fixture(_ name: String) throws -> Fixture {
    try Fixture.load(
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(name).json"))
}

func maxRelativeDifference<T: TensorScalar>(_ a: Tensor<T>, _ b: Tensor<T>) -> Double {
    precondition(a.shape == b.shape, "shapes \(a.shape) and \(b.shape) differ")
    return zip(a.scalars, b.scalars).map { abs(Double($0) - Double($1)) / max(1, abs(Double($1))) }.max() ?? 0
}

func randomTensor(_ shape: [Int], seed: UInt64, scale: Double = 1) -> Tensor<Double> {
    var rng = SeededRandom(seed: seed)
    return try! Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.uniform(-scale, scale) })
}

/// Finite-difference reports for L = Σ y ⊙ R: input and every parameter.
func checkLayer<L: Layer>(_ layer: L, input x: Tensor<Double>, seed: UInt64 = 77) throws -> [String: GradientCheckReport]
where L.Scalar == Double {
    let (y, cache) = try layer.forward(x, mode: .training)
    let r = randomTensor(y.shape, seed: seed)
    for p in layer.parameters { p.zeroGrad() }
    let dx = try layer.backward(r, cache: cache)
    func loss(_ input: Tensor<Double>) throws -> Double { try layer.forward(input, mode: .training).output.multiplying(r).sum() }
    var reports = ["input": try GradientCheck.check(loss, at: x, analytic: dx)]
    for p in layer.parameters {
        let saved = p.value
        reports[p.name] = try GradientCheck.check({ v in
            p.value = v
            defer { p.value = saved }
            return try loss(x)
        }, at: saved, analytic: p.grad)
    }
    return reports
}
