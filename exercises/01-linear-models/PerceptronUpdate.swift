// Exercise 1.1 — the perceptron update (chapters/01-linear-models.md, "The perceptron").
//
// Given the current weights w and bias b, one example x with label y ∈ {0, 1},
// and a learning rate η, return the parameters after the perceptron rule:
//
//   map the label to s = +1 (label 1) or s = −1 (label 0);
//   if s·(w·x + b) ≤ 0        (misclassified, or exactly on the boundary)
//       w ← w + η·s·x,  b ← b + η·s
//   otherwise leave w and b unchanged.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/01-linear-models --filter Chapter01Exercises/perceptronUpdate

import ExerciseKit

public func perceptronUpdate(
    weights: [Double], bias: Double, x: [Double], label: Int, learningRate: Double
) throws -> (weights: [Double], bias: Double) {
    throw NotAttempted()
}
