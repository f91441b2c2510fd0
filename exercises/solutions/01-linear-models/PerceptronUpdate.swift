// Reference solution to exercise 1.1 (instructors: delete exercises/solutions
// before handing out the folder; the package still builds without it).

import ExerciseKit

public func perceptronUpdate(
    weights: [Double], bias: Double, x: [Double], label: Int, learningRate: Double
) throws -> (weights: [Double], bias: Double) {
    let s: Double = label == 1 ? 1 : -1
    var score = bias
    for j in 0..<weights.count { score += weights[j] * x[j] }
    guard s * score <= 0 else { return (weights, bias) }
    return ((0..<weights.count).map { weights[$0] + learningRate * s * x[$0] }, bias + learningRate * s)
}
