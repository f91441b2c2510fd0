// Exercise 7.6 — find the bug in multi-head attention's backward pass
// (chapters/07-transformer.md, "Multiple heads", "Attention's backward pass").
//
// Debug and measure. Multi-head causal self-attention on one sequence of T
// positions: qkv is T × 3C (row t holds position t's queries in columns
// 0 ..< C, keys in C ..< 2C, values in 2C ..< 3C), and with d = C/H head h
// owns columns h·d ..< (h+1)·d of each part. Each head is exercise 7.1's
// causal attention (scores divided by √d); the output y is T × C, head h's
// in columns h·d ..< (h+1)·d. Given dy = ∂L/∂y (T × C), the backward pass
// returns ∂L/∂qkv (T × 3C).
//
// Somebody wrote it as below and checked it against finite differences on a
// one-head example, where it agreed to eight digits. Yet a GPT with several
// heads trains worse with it than with the library's attention. The forward
// part is right; the backward part has one bug. Find it with a gradient
// checker (yours from exercise 2.5, or centered differences of
// L = Σ dy ⊙ y): which of dQ, dK, dV disagree, on which examples, and by
// how much? Then fix it and return the correct ∂L/∂qkv for the given inputs.
//
//   let t = qkv.count, c = qkv[0].count / 3, d = c / heads
//   let scale = 1 / Double(d).squareRoot()
//   // Forward: every head's attention weights (the backward pass needs them).
//   var p = [[[Double]]](repeating: [[Double]](repeating: [Double](repeating: 0, count: t), count: t), count: heads)
//   for h in 0..<heads {
//       for i in 0..<t {
//           var s = [Double](repeating: -Double.infinity, count: t)   // masked: j > i
//           for j in 0...i {
//               s[j] = 0
//               for e in 0..<d { s[j] += qkv[i][h * d + e] * qkv[j][c + h * d + e] }
//               s[j] *= scale
//           }
//           let m = s.max()!
//           let total = s.map { exp($0 - m) }.reduce(0, +)
//           for j in 0...i { p[h][i][j] = exp(s[j] - m) / total }
//       }
//   }
//   // Backward.
//   let root = Double(c).squareRoot()
//   var dqkv = [[Double]](repeating: [Double](repeating: 0, count: 3 * c), count: t)
//   for h in 0..<heads {
//       for i in 0..<t {
//           var dp = [Double](repeating: 0, count: t)              // dP[i][j] = dy_i · v_j
//           for j in 0...i { for e in 0..<d { dp[j] += dy[i][h * d + e] * qkv[j][2 * c + h * d + e] } }
//           var inner = 0.0                                        // Σ_j P[i][j]·dP[i][j]
//           for j in 0...i { inner += p[h][i][j] * dp[j] }
//           for j in 0...i {
//               let ds = p[h][i][j] * (dp[j] - inner) / root      // ∂L/∂(q_i·k_j)
//               for e in 0..<d {
//                   dqkv[i][h * d + e] += ds * qkv[j][c + h * d + e]            // dQ
//                   dqkv[j][c + h * d + e] += ds * qkv[i][h * d + e]            // dK
//                   dqkv[j][2 * c + h * d + e] += p[h][i][j] * dy[i][h * d + e] // dV
//               }
//           }
//       }
//   }
//   return dqkv
//
// The grader compares your answer with centered finite differences of the
// forward pass, which it writes itself, on sequences with 1 to 4 heads (and
// scores near 1800 in one).
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/07-transformer --filter Chapter07Exercises/findTheAttentionBug

import ExerciseKit
import Foundation

public func multiHeadAttentionBackward(qkv: [[Double]], dOutput dy: [[Double]], heads: Int) throws -> [[Double]] {
    throw NotAttempted()
}
