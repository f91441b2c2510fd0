// Reference solution to exercise 4.5: all gradients at the vectors before
// the step (exercise 4.1's), then x − α·∂L/∂x for each vector.

import ExerciseKit

public func skipGramStep(
    center v: [Double], context u: [Double], negatives: [[Double]], learningRate a: Double
) throws -> (center: [Double], context: [Double], negatives: [[Double]]) {
    let g = try sgnsGradients(center: v, context: u, negatives: negatives)
    func step(_ x: [Double], _ dx: [Double]) -> [Double] { zip(x, dx).map { $0 - a * $1 } }
    return (step(v, g.dCenter), step(u, g.dContext), zip(negatives, g.dNegatives).map(step))
}
