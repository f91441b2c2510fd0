// Reference solution of exercise 3.4. The bug: the closure scaled every row
// by g[0], the first row's upstream gradient. With L = y.sum() every g[i] is
// 1, so the check the author wrote could not see it. Row i must use g[i].

import AutomaticDifferentiation
import BackpropCore
import ExerciseKit
import Foundation

public func rowLogSumExp(_ x: Variable<Double>) throws -> Variable<Double> {
    let (n, c) = (x.shape[0], x.shape[1])
    let v = x.value.scalars
    var out = [Double](repeating: 0, count: n), p = [Double](repeating: 0, count: n * c)
    for i in 0..<n {
        let row = v[(i * c)..<(i * c + c)]
        let m = row.max()!
        let s = row.map { exp($0 - m) }.reduce(0, +)
        out[i] = m + log(s)
        for j in 0..<c { p[i * c + j] = exp(v[i * c + j] - out[i]) }
    }
    let probabilities = p
    return try Variable.custom("logSumExp", value: Tensor(out), inputs: [x], saved: [Tensor(p)]) { g in
        var dx = [Double](repeating: 0, count: n * c)
        for i in 0..<n {
            for j in 0..<c { dx[i * c + j] = g.scalars[i] * probabilities[i * c + j] }
        }
        return [try Tensor(shape: [n, c], scalars: dx)]
    }
}
