// Exercise 1.1 — the perceptron update (chapters/01-linear-models.md, "The perceptron").
//
// Given the current weights w and bias b (w and x have the same length d),
// one example x with label y ∈ {0, 1}, and a learning rate η > 0, return the
// parameters after one application of the perceptron rule from the chapter's
// section "The perceptron". The conventions the grader checks:
//
//   - the label becomes a sign: s = +1 for label 1, s = −1 for label 0;
//   - the score is the affine map w·x + b, with w·x = Σⱼ wⱼ·xⱼ the dot product;
//   - the example counts as a mistake when s·(w·x + b) ≤ 0, so a score of
//     exactly 0 is a mistake whatever the label;
//   - on a mistake, apply the rule's update to w and to b (the bias moves too,
//     as the weight of an input that is always 1); otherwise return w and b
//     unchanged.
//
// Check your answer by hand on a one-feature case: after an update the
// example's signed score s·(w·x + b) must have grown.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/01-linear-models --filter Chapter01Exercises/perceptronUpdate

import ExerciseKit

public func perceptronUpdate(
    weights: [Double], bias: Double, x: [Double], label: Int, learningRate: Double
) throws -> (weights: [Double], bias: Double) {
    throw NotAttempted()
}
