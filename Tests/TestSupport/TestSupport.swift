// Helpers shared by every chapter's tests: the PyTorch fixture loader,
// seeded random tensors, a relative-difference measure, and the layer
// gradient check (finite differences of L = Σ y ⊙ R for a fixed random R,
// so ∂L/∂y = R is what backward receives).

import BackpropCore
import Foundation
import Backpropagation

/// Loads `Tests/Fixtures/<name>.json`.
public func fixture(_ name: String) throws -> Fixture {
    try Fixture.load(
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(name).json"))
}

/// The largest |a − b| / max(1, |b|) over two tensors of equal shape.
public func maxRelativeDifference<T: TensorScalar>(_ a: Tensor<T>, _ b: Tensor<T>) -> Double {
    precondition(a.shape == b.shape, "shapes \(a.shape) and \(b.shape) differ")
    return zip(a.scalars, b.scalars).map { abs(Double($0) - Double($1)) / max(1, abs(Double($1))) }.max() ?? 0
}

/// A seeded random Double tensor with entries uniform in [−scale, scale).
public func randomTensor(_ shape: [Int], seed: UInt64, scale: Double = 1) -> Tensor<Double> {
    var rng = SeededRandom(seed: seed)
    return try! Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.uniform(-scale, scale) })
}

/// Class labels that fixtures store as whole-number floats.
public func labels(_ t: Tensor<Double>) -> [Int] { t.scalars.map { Int($0) } }


/// Finite-difference reports for a layer's backward: the input gradient and
/// every parameter's, for L = Σ y ⊙ R with a seeded random R. Any layer of
/// the book fits, sequence layers included ([batch, time, features] inputs,
/// or token ids for an embedding). Reports are keyed "input" and by parameter
/// name; where a layer has several parameters of one name (a Sequential, or
/// attention's two projections), by "index.name", the index counting
/// `layer.parameters`.
public func checkLayer<L: Layer>(
    _ layer: L, input x: Tensor<Double>, seed: UInt64 = 99, mode: Mode = .training
) throws -> [String: GradientCheckReport] where L.Scalar == Double {
    let (y, cache) = try layer.forward(x, mode: mode)
    let r = randomTensor(y.shape, seed: seed)
    for p in layer.parameters { p.zeroGrad() }
    let dx = try layer.backward(r, cache: cache)
    func loss(_ input: Tensor<Double>) throws -> Double { try layer.forward(input, mode: mode).output.multiplying(r).sum() }
    var reports = ["input": try GradientCheck.check(loss, at: x, analytic: dx)]
    let names = layer.parameters.map(\.name)
    for (i, p) in layer.parameters.enumerated() {
        let saved = p.value
        let key = names.filter { $0 == p.name }.count == 1 ? p.name : "\(i).\(p.name)"
        reports[key] = try GradientCheck.check({ v in
            p.value = v
            defer { p.value = saved }
            return try loss(x)
        }, at: saved, analytic: p.grad)
    }
    return reports
}
