// Reference solution to exercise 7.6: the given code with its bug fixed.
// The backward pass divided the score gradient by √C, the width of all heads
// together, where the forward pass divides the scores by √d = √(C/H), each
// head's width. With one head C = d and the code is right; with H heads dQ
// and dK come out 1/√H too small (dV, which does not go through the scores,
// is right), which is what a gradient check on a several-head example shows.

import ExerciseKit
import Foundation

public func multiHeadAttentionBackward(qkv: [[Double]], dOutput dy: [[Double]], heads: Int) throws -> [[Double]] {
    let t = qkv.count, c = qkv[0].count / 3, d = c / heads
    let scale = 1 / Double(d).squareRoot()
    var p = [[[Double]]](repeating: [[Double]](repeating: [Double](repeating: 0, count: t), count: t), count: heads)
    for h in 0..<heads {
        for i in 0..<t {
            var s = [Double](repeating: -Double.infinity, count: t)
            for j in 0...i {
                s[j] = 0
                for e in 0..<d { s[j] += qkv[i][h * d + e] * qkv[j][c + h * d + e] }
                s[j] *= scale
            }
            let m = s.max()!
            let total = s.map { exp($0 - m) }.reduce(0, +)
            for j in 0...i { p[h][i][j] = exp(s[j] - m) / total }
        }
    }
    var dqkv = [[Double]](repeating: [Double](repeating: 0, count: 3 * c), count: t)
    for h in 0..<heads {
        for i in 0..<t {
            var dp = [Double](repeating: 0, count: t)
            for j in 0...i { for e in 0..<d { dp[j] += dy[i][h * d + e] * qkv[j][2 * c + h * d + e] } }
            var inner = 0.0
            for j in 0...i { inner += p[h][i][j] * dp[j] }
            for j in 0...i {
                let ds = p[h][i][j] * (dp[j] - inner) * scale   // the fix: 1/√d, as in the forward pass
                for e in 0..<d {
                    dqkv[i][h * d + e] += ds * qkv[j][c + h * d + e]
                    dqkv[j][c + h * d + e] += ds * qkv[i][h * d + e]
                    dqkv[j][2 * c + h * d + e] += p[h][i][j] * dy[i][h * d + e]
                }
            }
        }
    }
    return dqkv
}
