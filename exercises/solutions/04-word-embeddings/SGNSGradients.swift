// Reference solution to exercise 4.1: each term's loss is a softplus
// (−log σ(x) = softplus(−x), computed so that it never overflows) and its
// derivative with respect to the dot product is a sigmoid, spread to the two
// vectors of the dot product by the chain rule.

import ExerciseKit
import Foundation

/// softplus(z) = log(1 + e^z), finite for any finite z.
func softplus(_ z: Double) -> Double { max(z, 0) + log1p(exp(-abs(z))) }

/// σ(x), without overflow for either sign of x.
func sigmoid(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
}

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

public func sgnsGradients(
    center v: [Double], context u: [Double], negatives: [[Double]]
) throws -> (loss: Double, dCenter: [Double], dContext: [Double], dNegatives: [[Double]]) {
    let positive = dot(u, v)
    var loss = softplus(-positive)
    let gPositive = sigmoid(positive) - 1  // ∂L/∂(u·v)
    var dCenter = u.map { gPositive * $0 }
    let dContext = v.map { gPositive * $0 }
    var dNegatives: [[Double]] = []
    for uk in negatives {
        let score = dot(uk, v)
        loss += softplus(score)
        let g = sigmoid(score)  // ∂L/∂(uₖ·v)
        dNegatives.append(v.map { g * $0 })
        for i in dCenter.indices { dCenter[i] += g * uk[i] }
    }
    return (loss, dCenter, dContext, dNegatives)
}
