// Exercise 7.2 — the backward pass of layer normalisation
// (chapters/07-transformer.md, "LayerNorm").
//
// LayerNorm normalises each ROW of x (n rows of D features; one row per
// token) over its own features, then scales and shifts with γ and β (D each):
//
//   μᵢ  = (1/D) Σⱼ xᵢⱼ,    σ²ᵢ = (1/D) Σⱼ (xᵢⱼ − μᵢ)²    (biased, as PyTorch)
//   x̂ᵢⱼ = (xᵢⱼ − μᵢ) / √(σ²ᵢ + ε)
//   yᵢⱼ = γⱼ · x̂ᵢⱼ + βⱼ
//
// Given x, γ, ε and the upstream gradient dy = ∂L/∂y (n × D), return
//
//   dx  (n × D)   ∂L/∂x, through x̂ AND through μᵢ and σ²ᵢ, which depend on x:
//                 with gᵢⱼ = dyᵢⱼ·γⱼ and rᵢ = 1/√(σ²ᵢ + ε),
//                 dxᵢⱼ = rᵢ · ( gᵢⱼ − mean_j(gᵢ) − x̂ᵢⱼ · mean_j(gᵢ ⊙ x̂ᵢ) )
//   dγ  (D)       dγⱼ = Σᵢ dyᵢⱼ · x̂ᵢⱼ   (a sum over rows)
//   dβ  (D)       dβⱼ = Σᵢ dyᵢⱼ
//
// (β does not appear in any of the three, so it is not an argument.) Derive
// dx yourself before you read the formula above if you can: the chapter does
// it in three lines. Two checks on your answer: each row of dx sums to 0
// (shifting a row by a constant does not change the output), and with ε = 0
// each row of dx is orthogonal to that row's x̂ (neither does scaling it).
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/07-transformer --filter Chapter07Exercises/layerNormBackward

import ExerciseKit

public func layerNormBackward(
    x: [[Double]], gamma: [Double], dy: [[Double]], epsilon: Double
) throws -> (dx: [[Double]], dGamma: [Double], dBeta: [Double]) {
    throw NotAttempted()
}
