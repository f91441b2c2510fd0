// Exercise 7.4 — the backward pass of causal attention, one head
// (chapters/07-transformer.md, "Attention's backward pass").
//
// The forward pass is exercise 7.1's: for T positions with queries Q (T × d),
// keys K (T × d) and values V (T × d_v), one row per position,
//
//   S = Q·Kᵀ / √d                    the scores (T × T)
//   P = row-wise softmax of S, with every entry above the diagonal (j > i)
//       masked out before the softmax, so P[i][j] = 0 for j > i
//   Y = P·V                          the output (T × d_v)
//
// Given Q, K, V and the upstream gradient dY = ∂L/∂Y (T × d_v), return
//
//   dQuery  ∂L/∂Q   T × d, like Q
//   dKey    ∂L/∂K   T × d, like K
//   dValue  ∂L/∂V   T × d_v, like V
//
// The grader treats L as ⟨dY, Y⟩ = Σᵢ Σ_c dY[i][c]·Y[i][c] and compares every
// entry of your three gradients with a centered finite difference of it.
//
// Method: recompute the forward pass (stably: the scores can be in the
// thousands, so subtract each row's largest unmasked score before
// exponentiating), then walk its three lines backwards. Y = P·V and S = Q·Kᵀ/√d
// are matrix products: write one entry as a sum over an index and read off
// which entries of the other factor each gradient collects (and where the
// constant 1/√d goes). The softmax couples a whole row: every pⱼ of row i
// depends on every score of that row, so differentiate pⱼ with respect to sₖ
// (two cases, j = k and j ≠ k) and sum over j. Masked entries have pⱼ = 0;
// decide what gradient their scores receive, and check that nothing flows
// from position i to a later position.
//
// Three checks on your answer:
// - position 0 attends only to itself with weight 1, whatever its score, so
//   row 0 of dQuery must be 0;
// - adding the same vector to every key changes each row of scores by a
//   constant, which the softmax ignores, so the rows of dKey add up to the
//   zero vector;
// - the last position's value is seen by the last query only, so row T − 1
//   of dValue is P[T−1][T−1] times row T − 1 of dY.
//
// Worked example of the forward pass (T = 2, d = d_v = 1): Q = [[1], [1]],
// K = [[0], [ln 3]], V = [[1], [5]] give P = [[1, 0], [1/4, 3/4]] and
// Y = [[1], [4]]. The grader works this case by hand with dY = [[1], [1]].
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/07-transformer --filter Chapter07Exercises/causalAttentionBackward

import ExerciseKit

public func causalAttentionBackward(
    query: [[Double]], key: [[Double]], value: [[Double]], dOutput: [[Double]]
) throws -> (dQuery: [[Double]], dKey: [[Double]], dValue: [[Double]]) {
    throw NotAttempted()
}
