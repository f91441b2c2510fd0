// Exercise 2.5 — a gradient checker
// (chapters/02-backpropagation.md, "Gradient checks"; the error analysis is in
// chapters/01-linear-models.md, "Gradient checking").
//
// Debug and measure: the tool every backward pass in the book is tested with.
// Two functions.
//
// `numericalGradient(of:at:step:)` returns the numerical gradient of a scalar
// function f of a vector at the point x (same length as x), by centered
// finite differences with the given step h: entry i compares f at x moved by
// +h and by −h along coordinate i alone. Conventions the grader enforces:
//   - centered, not one-sided: the grader uses a cubic with a large step,
//     where a one-sided difference is visibly off; work out on paper what the
//     centered difference of x³ with step h returns exactly, and compare;
//   - the step is the argument h, whatever its size;
//   - every evaluation of f sees x with exactly one coordinate moved, all
//     others bit for bit as given. Restore a perturbed coordinate from a
//     saved copy of its value: adding h and subtracting it again need not
//     give the original Double back, and the error then leaks into every
//     later coordinate's evaluations (the grader records every point f sees).
//
// `relativeError(analytic:numerical:)` compares two gradients of equal length
// the way the chapter does: for each entry, |aᵢ − nᵢ| divided by the larger
// of 10⁻⁸ and |aᵢ| + |nᵢ|, and the result is the worst (largest) entry's value.
// Two zero entries give 0, not NaN.
//
// Check yourself: f(x) = Σ xᵢ² has gradient 2x; with your checker, the
// relative error between 2x and the numerical gradient should be ~10⁻¹⁰.
// (Exercise 2.6 is a good use for this checker.)
//
// Replace both `throw`s with your code, then run:
//   swift test --package-path exercises/02-backpropagation --filter Chapter02Exercises/gradientChecker

import ExerciseKit

public func numericalGradient(of f: ([Double]) -> Double, at x: [Double], step h: Double) throws -> [Double] {
    throw NotAttempted()
}

public func relativeError(analytic: [Double], numerical: [Double]) throws -> Double {
    throw NotAttempted()
}
