// Reference solution to exercise 2.6. The given code takes tanh's derivative
// from the pre-activation, 1 − z²; it is 1 − tanh²(z) = 1 − h². Everything
// else in it is right.

import ExerciseKit
import Foundation

public func twoLayerTanhBackward(
    x: [[Double]], weight1: [[Double]], bias1: [Double], weight2: [[Double]], bias2: [Double], dy: [[Double]]
) throws -> (dx: [[Double]], dWeight1: [[Double]], dBias1: [Double], dWeight2: [[Double]], dBias2: [Double]) {
    let n = x.count, inputs = x[0].count, hidden = weight1.count, outputs = weight2.count
    let h = x.map { row in (0..<hidden).map { j in tanh(zip(row, weight1[j]).map { $0 * $1 }.reduce(bias1[j], +)) } }
    var gradW2 = [[Double]](repeating: [Double](repeating: 0, count: hidden), count: outputs)
    var gradB2 = [Double](repeating: 0, count: outputs)
    var gradZ = [[Double]](repeating: [Double](repeating: 0, count: hidden), count: n)
    for i in 0..<n {
        for o in 0..<outputs {
            gradB2[o] += dy[i][o]
            for j in 0..<hidden {
                gradW2[o][j] += dy[i][o] * h[i][j]
                gradZ[i][j] += dy[i][o] * weight2[o][j]
            }
        }
        for j in 0..<hidden { gradZ[i][j] *= 1 - h[i][j] * h[i][j] }
    }
    var gradW1 = [[Double]](repeating: [Double](repeating: 0, count: inputs), count: hidden)
    var gradB1 = [Double](repeating: 0, count: hidden)
    var gradX = [[Double]](repeating: [Double](repeating: 0, count: inputs), count: n)
    for i in 0..<n {
        for j in 0..<hidden {
            gradB1[j] += gradZ[i][j]
            for k in 0..<inputs {
                gradW1[j][k] += gradZ[i][j] * x[i][k]
                gradX[i][k] += gradZ[i][j] * weight1[j][k]
            }
        }
    }
    return (gradX, gradW1, gradB1, gradW2, gradB2)
}
