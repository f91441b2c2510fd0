// Helpers for the modern block's tests: Float copies of seeded tensors,
// fixtures' parameters loaded by name, and the tolerances they share.
//
// Tolerances (all on maxRelativeDifference, |a − b| / max(1, |b|)):
// - Double against PyTorch's float64: 1e-12. Both compute the same formulas
//   with sums of at most a few dozen terms in another order, so they differ
//   by a few ulp (2.2e-16) times the sums' condition; 1e-12 leaves room for
//   that and still catches any wrong term (which moves results by 1e-3 or more).
// - Float against float64 fixtures: 2e-5 for outputs, 1e-4 for gradients.
//   A Float sum of n terms is within n·u·Σ|terms| (u = 6e-8); with n ≤ 24
//   and terms of order 1 that is about 1.5e-6, and the backward passes chain
//   three or four such steps, some with cancellation (softmax's and RMSNorm's
//   inner sums), so an order of magnitude more.
// - naive against SIMD twins in Float: the same bounds, since the twins sum
//   in different orders (vector lanes, FMA) and the SIMD sigmoid differs
//   from `expf` by up to 2.5e-7 relative.
// - Finite differences (checkLayer, GradientCheck): 1e-6 relative. The
//   centered difference with h = 1e-6 has truncation error h²·|f‴|/6 ≈ 1e-12
//   and rounding error ε·|L|/h ≈ 1e-10 absolute, which on gradients of
//   order 1e-3 is up to 1e-7 relative.

import BackpropCore
import Backpropagation
import TestSupport

/// A seeded random tensor in `S` (Float tensors are the Double ones rounded).
func random<S: TensorScalar>(_ shape: [Int], seed: UInt64, scale: Double = 1, as: S.Type = S.self) -> Tensor<S> {
    randomTensor(shape, seed: seed, scale: scale).converted(to: S.self)
}

/// Sets each named parameter's value from the fixture's "param:<prefix><name>".
func load<S: TensorScalar>(_ named: [(String, Parameter<S>)], from f: Fixture, prefix: String = "") throws {
    for (name, p) in named {
        let t: Tensor<S> = try f.tensor("param:" + prefix + name)
        precondition(t.shape == p.value.shape, "\(name): fixture \(t.shape), layer \(p.value.shape)")
        p.value = t
    }
}

/// The largest relative difference between each named parameter's gradient
/// and the fixture's "grad:<prefix><name>", with the worst name.
func worstGradient<S: TensorScalar>(_ named: [(String, Parameter<S>)], against f: Fixture, prefix: String = "") throws -> (Double, String) {
    var worst = (0.0, "")
    for (name, p) in named {
        let expected: Tensor<S> = try f.tensor("grad:" + prefix + name)
        let e = maxRelativeDifference(p.grad, expected)
        if e >= worst.0 { worst = (e, name) }
    }
    return worst
}

/// Tolerances per scalar type: (outputs, gradients) against float64 references.
func tolerances<S: TensorScalar>(_: S.Type) -> (output: Double, gradient: Double) {
    S.self == Double.self ? (1e-12, 1e-12) : (2e-5, 1e-4)
}
