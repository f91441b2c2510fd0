// Reference solution of exercise 3.1.

import AutomaticDifferentiation
import ExerciseKit
import Foundation

/// log(1 + eˣ) = max(x, 0) + log(1 + e^−|x|);  d/dx = σ(x), from e^−|x| as well.
public func softplus(_ x: Value) throws -> Value {
    let t = x.data, e = exp(-abs(t))
    let sigma = t >= 0 ? 1 / (1 + e) : e / (1 + e)
    return Value(max(t, 0) + log1p(e), op: "softplus", parents: [x], local: [sigma])
}

/// aᵇ = e^(b·ln a);  ∂/∂a = b·aᵇ⁻¹,  ∂/∂b = aᵇ·ln a.
public func power(_ a: Value, _ b: Value) throws -> Value {
    let y = pow(a.data, b.data)
    return Value(y, op: "pow", parents: [a, b], local: [b.data * pow(a.data, b.data - 1), y * log(a.data)])
}
