// Exercise 2.3 — one step of Adam
// (chapters/02-backpropagation.md, "Optimizers").
//
// Given the parameters θ, their gradient g, the moment estimates m and v from
// the previous step (all the same length; zeros before the first step), the
// step number t (1 for the first step, 2 for the second, …), the learning rate
// η, the decay rates β₁, β₂ and ε, apply one step of Adam, elementwise, as the
// chapter's section "Optimizers" defines it: torch.optim.Adam's update, with
// no weight decay. The conventions the grader checks:
//
//   - m is the exponential average of g and v that of g²; β₁ and β₂ weigh
//     the old average (as in PyTorch), not the new gradient;
//   - both averages start at zero, so the update uses their bias-corrected
//     versions, for step number t;
//   - ε is added after the square root, not inside it.
//
// Return the new θ, and the new m and v as stored for step t + 1 (without the
// bias correction). Check your answer on step 1 by hand: the chapter shows
// how far each parameter moves on the first step.
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
