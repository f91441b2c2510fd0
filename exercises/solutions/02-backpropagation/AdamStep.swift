// Reference solution to exercise 2.3: Adam's moments, their bias
// corrections, and the update with ε outside the square root.

import ExerciseKit
import Foundation

public func adamStep(
    parameter: [Double], gradient: [Double], m: [Double], v: [Double], step t: Int,
    learningRate: Double, beta1: Double, beta2: Double, epsilon: Double
) throws -> (parameter: [Double], m: [Double], v: [Double]) {
    let c1 = 1 - pow(beta1, Double(t)), c2 = 1 - pow(beta2, Double(t))
    var p = parameter, m = m, v = v
    for i in p.indices {
        let g = gradient[i]
        m[i] = beta1 * m[i] + (1 - beta1) * g
        v[i] = beta2 * v[i] + (1 - beta2) * g * g
        p[i] -= learningRate * (m[i] / c1) / ((v[i] / c2).squareRoot() + epsilon)
    }
    return (p, m, v)
}
