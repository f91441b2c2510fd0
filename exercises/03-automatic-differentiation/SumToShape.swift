// Exercise 3.3 — the backward pass of broadcasting
// (chapters/03-automatic-differentiation.md, "Broadcasting's backward is a sum").
//
// Derive and implement. An operand x of shape `target` was broadcast to the
// larger shape `shape` in the forward pass, by NumPy's rule: align the two
// shapes from the right; a missing leading axis, or an axis of size 1 in
// `target`, is repeated to the size of `shape`'s axis. `gradient` is ∂L/∂y
// for the broadcast result y, of shape `shape`, stored row-major (the last
// axis varies fastest). Return ∂L/∂x, of shape `target`, row-major.
//
// Examples of the shapes: [2, 3] → [3] (a bias), [2, 3] → [2, 1],
// [3, 4, 5] → [4, 1], [2, 3] → [] (a scalar: one number). `target` always
// broadcasts to `shape`.
//
// The grader checks hand-worked cases, then finite differences of
// Σ gradient ⊙ broadcast(x) with respect to x on 2-, 3- and 4-axis shapes.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/03-automatic-differentiation --filter Chapter03Exercises/sumToShape

import ExerciseKit

public func sumToShape(_ gradient: [Double], shape: [Int], target: [Int]) throws -> [Double] {
    throw NotAttempted()
}
