// Exercise 5.6 — the backward pass of batch normalisation, training mode
// (chapters/05-convolutional-networks.md, "Batch normalisation").
//
// The forward pass is exercise 5.4's: x has n rows (the examples of a
// mini-batch) of F features; each feature (column) f is normalised over the
// batch with its own mean μ_f and BIASED variance σ²_f (divide by n), with ε
// inside the square root, then scaled by γ_f and shifted by β_f:
//
//   x̂[i][f] = (x[i][f] − μ_f) / √(σ²_f + ε),    y[i][f] = γ_f · x̂[i][f] + β_f
//
// Given x, γ (F entries), ε and the upstream gradient dy = ∂L/∂y (n × F),
// return
//
//   dx      n × F, like x:   ∂L/∂x[i][f]
//   dGamma  F entries:       ∂L/∂γ_f
//   dBeta   F entries:       ∂L/∂β_f
//
// (β appears in none of them, so it is not an argument.) The chapter's
// section "The backward pass" works this out; derive it yourself first.
// Method: the features do not interact, so fix one column. μ and σ² are
// functions of the whole column, so every x̂[k] depends on every x[i] of it:
// write down ∂μ/∂x[i] and ∂σ²/∂x[i], then differentiate x̂[k] with respect to
// x[i] along all three routes (directly, through μ, through σ²) and sum over
// k with the weights ∂L/∂x̂[k]. γ and β are shared by the whole batch.
//
// Checks on your dx: each column sums to 0 (adding a constant to a column
// changes nothing), and with n = 2 and ε = 0 it is exactly 0 (x̂ is then −1
// and +1 whatever the two values are). The grader uses that case, random
// batches with ε from 10⁻⁵ to 0.1, a spread of 0.01 next to ε = 10⁻³ and a
// constant feature, and compares with centered finite differences of
// L = Σ dy ⊙ y.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/05-convolutional-networks --filter Chapter05Exercises/batchNormBackward

import ExerciseKit

public func batchNormBackward(
    x: [[Double]], gamma: [Double], dy: [[Double]], epsilon: Double
) throws -> (dx: [[Double]], dGamma: [Double], dBeta: [Double]) {
    throw NotAttempted()
}
