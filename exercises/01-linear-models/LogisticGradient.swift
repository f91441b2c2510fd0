// Exercise 1.3 — the gradient of logistic regression
// (chapters/01-linear-models.md, "Logistic regression").
//
// The model scores each row xᵢ of x (n rows, d columns) as zᵢ = w·xᵢ + b and
// its loss is the mean binary cross-entropy with targets yᵢ ∈ [0, 1]:
//   L = (1/n) Σᵢ −yᵢ log σ(zᵢ) − (1 − yᵢ) log(1 − σ(zᵢ)),   σ(z) = 1/(1 + e^(−z)).
// Return ∂L/∂w (length d) and ∂L/∂b.
// Hint: start from ∂L/∂zᵢ and use the chain rule; check your result on a
// case with n = d = 1 by finite differences.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/01-linear-models --filter Chapter01Exercises/logisticGradient

import ExerciseKit

public func logisticGradient(
    x: [[Double]], y: [Double], weights: [Double], bias: Double
) throws -> (dWeights: [Double], dBias: Double) {
    throw NotAttempted()
}
