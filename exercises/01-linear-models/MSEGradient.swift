// Exercise 1.2 — the gradient of the mean squared error
// (chapters/01-linear-models.md, "Linear regression").
//
// For predictions p and targets t of length N,
//   L = (1/N) Σᵢ (pᵢ − tᵢ)².
// Return the vector ∂L/∂p (same length as p). Derive it first on paper.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/01-linear-models --filter Chapter01Exercises/mseGradient

import ExerciseKit

public func mseGradient(prediction: [Double], target: [Double]) throws -> [Double] {
    throw NotAttempted()
}
