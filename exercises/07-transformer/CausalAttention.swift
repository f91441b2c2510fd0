// Exercise 7.1 — causal scaled dot-product attention, one head
// (chapters/07-transformer.md, "Queries, keys and values", "Why divide by √d",
// "The causal mask").
//
// A sequence of T positions has queries Q (T × d), keys K (T × d) and values
// V (T × d_v), one row per position. Position i may attend to positions
// j ≤ i only (it must not see the future). Compute
//
//   sᵢⱼ = (qᵢ · kⱼ) / √d                   the scores, scaled by √d
//   sᵢⱼ = −∞ for j > i                     the causal mask
//   Aᵢⱼ = e^(sᵢⱼ) / Σ_{m ≤ i} e^(sᵢₘ)      softmax along each row
//   outᵢ = Σ_{j ≤ i} Aᵢⱼ · vⱼ              (d_v entries)
//
// Return the output (T × d_v) and the attention weights A (T × T). Each row
// of A sums to 1, and every entry above the diagonal (j > i) is exactly 0,
// so row 0 is [1, 0, 0, …]. Scores can be large (hundreds or thousands): the
// softmax must not overflow (subtract each row's largest unmasked score).
//
// Worked example of the scores (T = 2, d = d_v = 1): Q = [[1], [1]],
// K = [[0], [ln 3]], V = [[1], [5]]. Row 0 sees only position 0, so
// A₀ = [1, 0] and out₀ = v₀ = [1]. Row 1 sees both, with scores
// s₁ = [0, ln 3] (√1 = 1): take the softmax and the weighted sum of V by
// hand, and compare with your code (the grader checks this case).
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/07-transformer --filter Chapter07Exercises/causalAttention

import ExerciseKit

public func causalAttention(
    query: [[Double]], key: [[Double]], value: [[Double]]
) throws -> (output: [[Double]], weights: [[Double]]) {
    throw NotAttempted()
}
