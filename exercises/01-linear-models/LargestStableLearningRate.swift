// Exercise 1.4 — the largest stable learning rate
// (chapters/01-linear-models.md, "Gradient descent and the step size").
//
// Debug and measure. Linear regression predicts ŷᵢ = w·xᵢ + b for each row xᵢ
// of x (n rows, d features) and is trained by full-batch gradient descent,
// θ ← θ − η·∇L(θ), on the mean squared error
//
//   L(w, b) = (1/n) Σᵢ (w·xᵢ + b − yᵢ)².
//
// The bias is handled as the chapter does for the normal equations: append a
// column of ones to x, so that θ = (w, b) has d + 1 entries and b is the
// weight of an input that is always 1. (x is passed without that column.)
//
// Return the critical learning rate η*: gradient descent converges for every
// start and every target when 0 < η < η*, and for η > η* it diverges (from
// almost any start). The targets y are not an argument: work out why the
// answer cannot depend on them. Method: L is quadratic in θ, so its Hessian
// is a constant (d + 1) × (d + 1) matrix; write it down, follow one step of
// gradient descent along one of its eigenvectors, and find the η at which
// that component stops shrinking. The answer depends on the largest
// eigenvalue of a small symmetric matrix, which you may compute by power
// iteration (repeat v ← M·v / ‖M·v‖; the Rayleigh quotient v·Mv / v·v tends
// to the largest eigenvalue of a symmetric positive semi-definite M).
//
// Conventions the grader enforces: a relative accuracy of 10⁻⁶, also on data
// whose two largest eigenvalues are within a few per cent of each other (so
// iterate until the estimate stops changing, not a fixed handful of times),
// and on data where a symmetric start vector such as all ones is orthogonal
// to the top eigenvector (start from a vector with irregular entries). The
// grader also runs gradient descent itself, 2% below and 2% above your η*.
//
// Check yourself on one feature: for x = [1, 2, 3] write the 2 × 2 Hessian
// out and use the closed form for the eigenvalues of a 2 × 2 symmetric matrix.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/01-linear-models --filter Chapter01Exercises/largestStableLearningRate

import ExerciseKit

public func largestStableLearningRate(x: [[Double]]) throws -> Double {
    throw NotAttempted()
}
