// Gradient clipping by global norm (as torch.nn.utils.clip_grad_norm_):
//   N = √(Σ over every parameter of ‖g‖²);  if N > c, every g ← g · c/(N + 10⁻⁶).
// Scaling all gradients by one factor keeps the update's direction and only
// shortens it, which tames the rare huge step (exploding gradients,
// chapter 6) without biasing the rest.
//
// Both steps run on the backend: `sumOfSquares` (a Double result; see its
// floating-point note in SumOfSquares.swift) and `scale`.

import BackpropCore

public enum GradientClipping {
    /// Clips in place; returns the norm before clipping.
    @discardableResult
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func clipGlobalNorm<T: TensorScalar>(
        _ parameters: [Parameter<T>], maxNorm: Double, backend: Backend
    ) -> Double {
        let kernels = backend.kernels
        var sum = 0.0
        for p in parameters {
            sum += p.grad.scalars.withUnsafeBufferPointer { kernels.sumOfSquares(count: $0.count, $0.baseAddress!) }
        }
        let norm = sum.squareRoot()
        let coefficient = maxNorm / (norm + 1e-6)
        if coefficient < 1 {
            for p in parameters {
                p.grad.scalars.withUnsafeMutableBufferPointer { kernels.scale(count: $0.count, alpha: T(coefficient), $0.baseAddress!) }
            }
        }
        return norm
    }
}
