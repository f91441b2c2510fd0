// Exercise 2.1 — the backward pass of ReLU
// (chapters/02-backpropagation.md, "Activations").
//
// The forward pass is elementwise: yᵢ = relu(xᵢ) = max(0, xᵢ). Given the
// input x and the upstream gradient dy = ∂L/∂y (both of length N), return
// ∂L/∂x (length N).
//
// Each yᵢ depends on xᵢ alone, so the chain rule needs one scalar derivative
// per entry: that of max(0, ·) at xᵢ. Work it out on each side of 0 (on each
// side max(0, x) is a simple function of x), and check a few entries by
// finite differences at points away from 0.
//
// ReLU has no derivative at exactly 0. Use PyTorch's convention, which the
// grader checks: the gradient there is 0, as for a negative input.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/02-backpropagation --filter Chapter02Exercises/reluBackward

import ExerciseKit

public func reluBackward(x: [Double], dy: [Double]) throws -> [Double] {
    throw NotAttempted()
}
