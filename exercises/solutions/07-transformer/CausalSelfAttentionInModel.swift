// Reference solution to exercise 7.5: multi-head causal self-attention as a
// layer, with plain loops over (sequence, head, query, key). The forward
// pass keeps P for the backward pass.

import BackpropCore
import Backpropagation
import ExerciseKit
import Foundation

public final class MyCausalSelfAttention: Layer {
    public let heads: Int
    public var backend: Backend = .naive
    public var parameters: [Parameter<Double>] { [] }
    public var summary: String { "MyCausalSelfAttention(\(heads) heads)" }

    public struct Cache {
        var qkv: [Double]
        /// P [B, H, T, T]
        var p: [Double]
        var batch: Int, length: Int, width: Int
    }

    public init(heads: Int) { self.heads = heads }

    public func forward(_ qkv: Tensor<Double>, mode: Mode) throws -> (output: Tensor<Double>, cache: Cache) {
        let (bs, tl, c) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
        let d = c / heads, scale = 1 / Double(d).squareRoot()
        let x = qkv.scalars
        var y = [Double](repeating: 0, count: bs * tl * c), p = [Double](repeating: 0, count: bs * heads * tl * tl)
        func at(_ b: Int, _ t: Int, _ col: Int) -> Double { x[(b * tl + t) * 3 * c + col] }
        for b in 0..<bs {
            for h in 0..<heads {
                for i in 0..<tl {
                    // scores of the visible keys j ≤ i, shifted by their maximum
                    var s = (0...i).map { j in (0..<d).map { at(b, i, h * d + $0) * at(b, j, c + h * d + $0) }.reduce(0, +) * scale }
                    let top = s.max()!
                    s = s.map { exp($0 - top) }
                    let total = s.reduce(0, +)
                    for j in 0...i {
                        let pij = s[j] / total
                        p[((b * heads + h) * tl + i) * tl + j] = pij
                        for e in 0..<d { y[(b * tl + i) * c + h * d + e] += pij * at(b, j, 2 * c + h * d + e) }
                    }
                }
            }
        }
        return (try Tensor(shape: [bs, tl, c], scalars: y), Cache(qkv: x, p: p, batch: bs, length: tl, width: c))
    }

    public func backward(_ dy: Tensor<Double>, cache: Cache) throws -> Tensor<Double> {
        let (bs, tl, c) = (cache.batch, cache.length, cache.width)
        let d = c / heads, scale = 1 / Double(d).squareRoot()
        let x = cache.qkv, g = dy.scalars
        var dx = [Double](repeating: 0, count: x.count)
        func row(_ b: Int, _ t: Int) -> Int { (b * tl + t) * 3 * c }
        for b in 0..<bs {
            for h in 0..<heads {
                for i in 0..<tl {
                    let pRow = ((b * heads + h) * tl + i) * tl
                    // dP_ij = dY_i·v_j, then the softmax's backward pass over the row
                    let dp = (0...i).map { j in (0..<d).map { g[(b * tl + i) * c + h * d + $0] * x[row(b, j) + 2 * c + h * d + $0] }.reduce(0, +) }
                    let inner = (0...i).map { cache.p[pRow + $0] * dp[$0] }.reduce(0, +)
                    for j in 0...i {
                        let pij = cache.p[pRow + j], ds = pij * (dp[j] - inner) * scale
                        for e in 0..<d {
                            dx[row(b, i) + h * d + e] += ds * x[row(b, j) + c + h * d + e]          // dQ_i += dS_ij k_j / √d
                            dx[row(b, j) + c + h * d + e] += ds * x[row(b, i) + h * d + e]          // dK_j += dS_ij q_i / √d
                            dx[row(b, j) + 2 * c + h * d + e] += pij * g[(b * tl + i) * c + h * d + e]  // dV_j += P_ij dY_i
                        }
                    }
                }
            }
        }
        return try Tensor(shape: [bs, tl, 3 * c], scalars: dx)
    }
}
