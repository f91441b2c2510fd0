// Exercise 1.6 — the perceptron's updates against Novikoff's bound
// (chapters/01-linear-models.md, "The perceptron" and "Novikoff's theorem").
//
// Debug and measure. Run an experiment and compute the number the theorem
// predicts for it:
//
//   - updates: run the perceptron rule of exercise 1.1 with η = 1, starting
//     from w = 0 and b = 0, visiting the rows of x in index order (0, 1, …,
//     n − 1, the same order every epoch), and stop after the first epoch in
//     which no example is a mistake. Return the total number of updates. The
//     grader's data is always linearly separable, so the loop ends.
//   - bound: Novikoff's (R/γ)² for the given direction u, with R and γ as the
//     chapter's theorem defines them. u has d + 1 entries, the last one being
//     the bias's, and need not have length 1. If u does not separate the data
//     with a positive margin the theorem promises nothing: return
//     Double.infinity.
//
// labels are 0 or 1 (label 1 is s = +1, label 0 is s = −1, as in 1.1).
// Before you run the grader, work the first case out by hand: x = [[2], [−1]],
// labels [1, 0], u = [1, 0]. How many updates? What are R, γ and the bound?
// Then compare the bound with your count on the iris case the grader prints:
// the theorem is a guarantee, not an estimate.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/01-linear-models --filter Chapter01Exercises/perceptronMistakeBound

import ExerciseKit

public func perceptronMistakeBound(
    x: [[Double]], labels: [Int], direction u: [Double]
) throws -> (updates: Int, bound: Double) {
    throw NotAttempted()
}
