// Exercise 7.2 — the backward pass of layer normalisation
// (chapters/07-transformer.md, "LayerNorm").
//
// LayerNorm normalises each ROW of x (n rows of D features; one row per
// token) over its own features, then scales and shifts with γ and β (D each,
// shared by all rows):
//
//   μᵢ  = (1/D) Σⱼ xᵢⱼ,    σ²ᵢ = (1/D) Σⱼ (xᵢⱼ − μᵢ)²    (biased, as PyTorch)
//   x̂ᵢⱼ = (xᵢⱼ − μᵢ) / √(σ²ᵢ + ε)
//   yᵢⱼ = γⱼ · x̂ᵢⱼ + βⱼ
//
// Given x, γ, ε and the upstream gradient dy = ∂L/∂y (n × D), return
//
//   dx      n × D, like x: ∂L/∂xᵢⱼ
//   dGamma  D entries:     ∂L/∂γⱼ
//   dBeta   D entries:     ∂L/∂βⱼ
//
// (β does not appear in any of the three, so it is not an argument.) The
// section "LayerNorm" of the chapter derives the backward pass for one row;
// follow it, or better, derive it yourself first. Method: μᵢ and σ²ᵢ are
// functions of the whole row, so every x̂ᵢⱼ depends on every xᵢₖ of its row
// (and on no other row). Differentiate x̂ᵢⱼ with respect to xᵢₖ through all
// three routes (directly, through μᵢ, through σ²ᵢ), then sum over j with
// the weights ∂L/∂x̂ᵢⱼ. γ and β are used by every row, so collect their
// contributions from all rows.
//
// Two checks on your dx: each row sums to 0 (shifting a row by a constant
// does not change its output), and with ε = 0 each row is orthogonal to
// that row's x̂ (neither does scaling it). A third: nudge one xᵢⱼ by ±10⁻⁶
// and compare the centered difference of L = Σ dy ⊙ y with your dxᵢⱼ; the
// grader does this for every entry.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/07-transformer --filter Chapter07Exercises/layerNormBackward

import ExerciseKit

public func layerNormBackward(
    x: [[Double]], gamma: [Double], dy: [[Double]], epsilon: Double
) throws -> (dx: [[Double]], dGamma: [Double], dBeta: [Double]) {
    throw NotAttempted()
}
