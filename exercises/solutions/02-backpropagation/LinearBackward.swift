// Reference solution to exercise 2.4: dx = dy·W, dW = dyᵀ·x, db = Σᵢ dyᵢ.

import ExerciseKit

public func linearBackward(
    x: [[Double]], weight: [[Double]], dy: [[Double]]
) throws -> (dx: [[Double]], dWeight: [[Double]], dBias: [Double]) {
    let n = x.count, outputs = weight.count, inputs = weight.first?.count ?? 0
    var dx = [[Double]](repeating: [Double](repeating: 0, count: inputs), count: n)
    var dw = [[Double]](repeating: [Double](repeating: 0, count: inputs), count: outputs)
    var db = [Double](repeating: 0, count: outputs)
    for i in 0..<n {
        for o in 0..<outputs {
            let g = dy[i][o]
            db[o] += g
            for k in 0..<inputs {
                dx[i][k] += g * weight[o][k]
                dw[o][k] += g * x[i][k]
            }
        }
    }
    return (dx, dw, db)
}
