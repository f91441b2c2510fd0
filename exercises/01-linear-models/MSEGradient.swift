// Exercise 1.2 — the gradient of the mean squared error
// (chapters/01-linear-models.md, "Linear regression").
//
// For predictions p and targets t of length N,
//   L = (1/N) Σᵢ (pᵢ − tᵢ)².
// Return the vector ∂L/∂p (same length as p). Derive it first on paper:
// write L out for N = 2, differentiate with respect to p₁, and notice which
// terms of the sum do not depend on p₁. Then check your result on a
// one-element case by finite differences, (L(p + h) − L(p − h)) / 2h.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/01-linear-models --filter Chapter01Exercises/mseGradient

import ExerciseKit

public func mseGradient(prediction: [Double], target: [Double]) throws -> [Double] {
    throw NotAttempted()
}
