// Exercise 2.4 — the backward pass of a linear layer
// (chapters/02-backpropagation.md, "The layer contract"; the affine map's
// gradient is derived in chapters/01-linear-models.md, "The gradient of an
// affine map").
//
// The layer maps x (n rows of `in` features) to y = x·Wᵀ + b, where the
// weight W has `out` rows of `in` entries (PyTorch's convention) and b has
// `out` entries:
//
//   yᵢₒ = Σₖ xᵢₖ·Wₒₖ + bₒ.
//
// Given the upstream gradient dy = ∂L/∂y (n × out), return ∂L/∂x (n × in,
// like x), ∂L/∂W (out × in, like W) and ∂L/∂b (out entries, like b). Every row
// of the batch uses the same W and b, so their gradients collect one term per
// row: a sum over the n rows, not a mean. (b is not an argument: none of the
// three gradients depends on it.)
//
// Chapter 1 derives all three for this layout: implement them from there.
// To derive them yourself, take one entry θ (some xⱼₖ, Wₚₖ or bₚ) and use the
// chain rule, ∂L/∂θ = Σᵢ Σₒ dyᵢₒ·∂yᵢₒ/∂θ: only the terms whose yᵢₒ contains
// θ survive. Check a 1 × 1 case (n = in = out = 1) by finite differences.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/02-backpropagation --filter Chapter02Exercises/linearBackward

import ExerciseKit

public func linearBackward(
    x: [[Double]], weight: [[Double]], dy: [[Double]]
) throws -> (dx: [[Double]], dWeight: [[Double]], dBias: [Double]) {
    throw NotAttempted()
}
