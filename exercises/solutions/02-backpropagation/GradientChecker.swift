// Reference solution to exercise 2.5: centered differences, each coordinate
// restored from its saved value, and the worst entry's relative error with a
// 10⁻⁸ floor in the denominator.

import ExerciseKit

public func numericalGradient(of f: ([Double]) -> Double, at x: [Double], step h: Double) throws -> [Double] {
    var probe = x
    var gradient = [Double](repeating: 0, count: x.count)
    for i in x.indices {
        let saved = probe[i]
        probe[i] = saved + h
        let plus = f(probe)
        probe[i] = saved - h
        let minus = f(probe)
        probe[i] = saved
        gradient[i] = (plus - minus) / (2 * h)
    }
    return gradient
}

public func relativeError(analytic: [Double], numerical: [Double]) throws -> Double {
    var worst = 0.0
    for (a, n) in zip(analytic, numerical) {
        let error = abs(a - n) / max(1e-8, abs(a) + abs(n))
        if error > worst || error.isNaN { worst = error }
    }
    return worst
}
