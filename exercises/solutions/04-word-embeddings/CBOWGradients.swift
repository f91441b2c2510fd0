// Reference solution to exercise 4.4: skip-gram's loss and gradients with
// the mean of the context vectors as the hidden vector h; the chain rule
// through the mean gives each context row 1/C of ∂L/∂h.

import ExerciseKit
import Foundation

public func cbowGradients(
    contexts: [[Double]], positive u: [Double], negatives: [[Double]]
) throws -> (loss: Double, dContexts: [[Double]], dPositive: [Double], dNegatives: [[Double]]) {
    let count = Double(contexts.count)
    let h = u.indices.map { i in contexts.reduce(0) { $0 + $1[i] } / count }
    let positiveScore = dot(u, h)
    var loss = softplus(-positiveScore)
    let gPositive = sigmoid(positiveScore) - 1  // ∂L/∂(u·h)
    var dHidden = u.map { gPositive * $0 }
    var dNegatives: [[Double]] = []
    for uk in negatives {
        let score = dot(uk, h)
        loss += softplus(score)
        let g = sigmoid(score)  // ∂L/∂(uₖ·h)
        dNegatives.append(h.map { g * $0 })
        for i in dHidden.indices { dHidden[i] += g * uk[i] }
    }
    let share = dHidden.map { $0 / count }
    return (loss, contexts.map { _ in share }, h.map { gPositive * $0 }, dNegatives)
}
