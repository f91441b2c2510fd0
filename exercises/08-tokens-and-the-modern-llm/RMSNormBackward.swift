// Exercise 8.3 — the backward pass of RMSNorm
// (chapters/08-tokens-and-the-modern-llm.md, "RMSNorm").
//
// Derive and implement. RMSNorm normalises each row x (C features) by its
// root mean square and scales it by a learned gain g [C]; unlike LayerNorm
// it subtracts no mean and has no bias:
//
//   r = 1/√((1/C)·Σₖ xₖ² + ε)        (ε inside the square root)
//   x̂ⱼ = xⱼ·r,   yⱼ = gⱼ·x̂ⱼ
//
// Given x [n][C], g [C], ε and dy = ∂L/∂y [n][C], return dx = ∂L/∂x
// [n][C] and dGain = ∂L/∂g [C] (summed over the rows).
//
// Derive dx on paper first: r depends on every xₖ of the row, so ∂L/∂xⱼ
// has a direct term and a term through r. Write aₖ = dyₖ·gₖ (the gradient
// with respect to x̂) and look for an expression in a, x̂ and r. A check you
// can do by hand: with ε = 0, scaling a row leaves y unchanged, so what
// must Σⱼ dxⱼ·xⱼ be?
//
// The grader compares with centered finite differences of
// L = Σ dy ⊙ RMSNorm(x), on rows of ordinary, tiny (where ε matters) and
// large values, ε from 0 to 0.1 and rows of width 1; checks Σⱼ dxⱼ xⱼ = 0
// at ε = 0; and compares with the book's RMSNorm.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/08-tokens-and-the-modern-llm --filter Chapter08Exercises/rmsNormBackward

import ExerciseKit

public func rmsNormBackward(x: [[Double]], gain: [Double], dy: [[Double]], epsilon: Double) throws -> (dx: [[Double]], dGain: [Double]) {
    throw NotAttempted()
}
