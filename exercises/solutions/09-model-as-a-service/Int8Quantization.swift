// Reference solution of exercise 9.9 (int8 quantization and its error bound).
//
// The bound: rounding moves w_i / s by at most 1/2, so |w_i − s q_i| ≤ s/2,
// and |Σ_i (w_i − s q_i) x_i| ≤ Σ_i (s/2) |x_i| = (s/2) ‖x‖₁. Every step is
// attained when each w_i / s sits halfway between two integers and x_i has
// the sign of w_i − s q_i (only the row's largest weight, exactly ±127 s,
// cannot err, so the true error falls short of the bound by (s/2)·|x_m|).

import ExerciseKit

public func quantizeInt8(_ weights: [[Float]]) throws -> (scales: [Float], levels: [[Int8]]) {
    var scales: [Float] = [], levels: [[Int8]] = []
    for row in weights {
        let largest = row.reduce(Float(0)) { max($0, abs($1)) }
        guard largest > 0 else {
            scales.append(0)
            levels.append([Int8](repeating: 0, count: row.count))
            continue
        }
        let s = largest / 127
        scales.append(s)
        levels.append(row.map { Int8(min(127, max(-127, ($0 / s).rounded(.toNearestOrAwayFromZero)))) })
    }
    return (scales, levels)
}

public func dequantizeInt8(scales: [Float], levels: [[Int8]]) throws -> [[Float]] {
    zip(scales, levels).map { s, q in q.map { s * Float($0) } }
}

public func int8ErrorBound(x: [Float], row: [Float]) throws -> Float {
    let s = row.reduce(Float(0)) { max($0, abs($1)) } / 127
    return s / 2 * x.reduce(Float(0)) { $0 + abs($1) }
}
