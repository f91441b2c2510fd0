// Reference solution of exercise 3.5: the gradient goes to the operand that
// was chosen, split evenly at a tie.

import AutomaticDifferentiation
import BackpropCore
import ExerciseKit

struct ShapeMismatch: Error {}

public func maximum(_ a: Variable<Double>, _ b: Variable<Double>) throws -> Variable<Double> {
    guard a.shape == b.shape else { throw ShapeMismatch() }
    let va = a.value.scalars, vb = b.value.scalars
    // The share of g each element of a receives: 1, ½ at a tie, or 0.
    let share = zip(va, vb).map { $0 > $1 ? 1.0 : $0 == $1 ? 0.5 : 0 }
    let y = try Tensor(shape: a.shape, scalars: zip(va, vb).map { Swift.max($0, $1) })
    let shape = a.shape
    return try Variable.custom("maximum", value: y, inputs: [a, b], saved: [a.value, b.value]) { g in
        let ga = zip(g.scalars, share).map { $0 * $1 }, gb = zip(g.scalars, share).map { $0 * (1 - $1) }
        return [try Tensor(shape: shape, scalars: ga), try Tensor(shape: shape, scalars: gb)]
    }
}
