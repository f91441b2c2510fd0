// Reference solution of exercise 3.3: add each element of the gradient into
// the element of x it was read from (index 0 along every repeated axis).

import ExerciseKit

public func sumToShape(_ gradient: [Double], shape: [Int], target: [Int]) throws -> [Double] {
    let offset = shape.count - target.count
    // Strides of x, read as if it had `shape`: 0 along repeated axes.
    var own = [Int](repeating: 1, count: target.count)
    var acc = 1
    for i in stride(from: target.count - 1, through: 0, by: -1) { own[i] = acc; acc *= target[i] }
    let strides = (0..<shape.count).map { axis in axis < offset || target[axis - offset] == 1 ? 0 : own[axis - offset] }
    var out = [Double](repeating: 0, count: target.reduce(1, *))
    var index = [Int](repeating: 0, count: shape.count)
    for g in gradient {
        out[zip(index, strides).reduce(0) { $0 + $1.0 * $1.1 }] += g
        var axis = shape.count - 1
        while axis >= 0 {
            index[axis] += 1
            if index[axis] < shape[axis] { break }
            index[axis] = 0
            axis -= 1
        }
    }
    return out
}
