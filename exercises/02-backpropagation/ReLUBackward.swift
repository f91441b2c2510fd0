// Exercise 2.1 — the backward pass of ReLU
// (chapters/02-backpropagation.md, "Activations").
//
// The forward pass is elementwise: yᵢ = relu(xᵢ) = max(0, xᵢ). Given the
// input x and the upstream gradient dy = ∂L/∂y (same length), return
// dx = ∂L/∂x by the chain rule dxᵢ = dyᵢ · relu′(xᵢ), that is
//
//   dxᵢ = dyᵢ   if xᵢ > 0
//   dxᵢ = 0     if xᵢ ≤ 0.
//
// ReLU has no derivative at exactly 0. Use PyTorch's convention: the
// gradient there is 0 (so x = 0 blocks the gradient like a negative input).
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/02-backpropagation --filter Chapter02Exercises/reluBackward

import ExerciseKit

public func reluBackward(x: [Double], dy: [Double]) throws -> [Double] {
    throw NotAttempted()
}
