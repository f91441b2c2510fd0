// Exercise 2.3 — one step of Adam
// (chapters/02-backpropagation.md, "Optimizers").
//
// Given the parameters θ, their gradient g, the moment estimates m and v from
// the previous step (all the same length; zeros before the first step), the
// step number t (1 for the first step, 2 for the second, …), the learning rate
// η, the decay rates β₁, β₂ and ε, apply Adam elementwise:
//
//   m ← β₁·m + (1 − β₁)·g              (first moment: mean of g)
//   v ← β₂·v + (1 − β₂)·g²             (second moment: mean of g²)
//   m̂ = m / (1 − β₁ᵗ)                  (bias corrections: m and v start at 0)
//   v̂ = v / (1 − β₂ᵗ)
//   θ ← θ − η · m̂ / (√v̂ + ε)           (ε is added after the square root)
//
// Return the new θ, m and v (m and v without the bias correction, ready for
// step t + 1). No weight decay. This is torch.optim.Adam's update.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/02-backpropagation --filter Chapter02Exercises/adamStep

import ExerciseKit
import Foundation  // pow, sqrt

public func adamStep(
    parameter: [Double], gradient: [Double], m: [Double], v: [Double], step t: Int,
    learningRate: Double, beta1: Double, beta2: Double, epsilon: Double
) throws -> (parameter: [Double], m: [Double], v: [Double]) {
    throw NotAttempted()
}
