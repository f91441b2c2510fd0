// Gradient clipping by global norm (as torch.nn.utils.clip_grad_norm_):
//   N = √(Σ over every parameter of ‖g‖²);  if N > c, every g ← g · c/(N + 10⁻⁶).
// Scaling all gradients by one factor keeps the update's direction and only
// shortens it, which tames the rare huge step (exploding gradients,
// chapter 6) without biasing the rest.

import BackpropCore

public enum GradientClipping {
    /// Clips in place; returns the norm before clipping. The sum of squares
    /// is accumulated in Double so large models do not lose precision.
    @discardableResult
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func clipGlobalNorm<T: TensorScalar>(_ parameters: [Parameter<T>], maxNorm: Double) -> Double {
        var sum = 0.0
        for p in parameters {
            for g in p.grad.scalars { sum += Double(g) * Double(g) }
        }
        let norm = sum.squareRoot()
        let coefficient = maxNorm / (norm + 1e-6)
        if coefficient < 1 {
            for p in parameters {
                p.grad = p.grad.scaled(by: T(coefficient))
            }
        }
        return norm
    }
}
