// Exercise 2.4 — the backward pass of a linear layer
// (chapters/02-backpropagation.md; the affine map's gradient is derived in
// chapters/01-linear-models.md, "The gradient of an affine map").
//
// The layer maps x (n rows of `in` features) to y = x·Wᵀ + b, where the
// weight W has `out` rows of `in` entries (PyTorch's convention) and b has
// `out` entries:
//
//   yᵢₒ = Σₖ xᵢₖ·Wₒₖ + bₒ.
//
// Given the upstream gradient dy = ∂L/∂y (n × out), return
//
//   dx = dy·W     (n × in)      dxᵢₖ = Σₒ dyᵢₒ·Wₒₖ
//   dW = dyᵀ·x    (out × in)    dWₒₖ = Σᵢ dyᵢₒ·xᵢₖ
//   db = Σᵢ dyᵢ   (out)         dbₒ  = Σᵢ dyᵢₒ      (a sum over rows, not a mean)
//
// (b does not appear in any of the three, so it is not an argument.)
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/02-backpropagation --filter Chapter02Exercises/linearBackward

import ExerciseKit

public func linearBackward(
    x: [[Double]], weight: [[Double]], dy: [[Double]]
) throws -> (dx: [[Double]], dWeight: [[Double]], dBias: [Double]) {
    throw NotAttempted()
}
