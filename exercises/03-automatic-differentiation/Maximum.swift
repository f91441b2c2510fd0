// Exercise 3.5 — a new tensor operation with its backward pass
// (chapters/03-automatic-differentiation.md, "A new operation").
//
// Derive and implement. Add the elementwise maximum of two tensors of the
// same shape to the engine, y = maximum(a, b) with yᵢ = max(aᵢ, bᵢ), as an
// operation of its own with `Variable.custom(_:value:inputs:saved:backward:)`:
// compute the value from a.value and b.value, then give the closure that
// turns g = ∂L/∂y into [∂L/∂a, ∂L/∂b].
//
// - Where aᵢ = bᵢ (a tie) the maximum has no derivative; use the subgradient
//   PyTorch's torch.maximum uses: gᵢ/2 to each operand.
// - maximum(x, x) must give x the whole gᵢ (the engine adds the two halves).
// - Either operand may be a constant (`tape.constant`); the engine skips its
//   gradient.
// - Shapes that differ must throw an error (this operation does not broadcast).
// - The closure must capture tensors, never a Variable.
//
// The grader compares the gradients of L = Σ w ⊙ maximum(a, b) with
// centered finite differences away from ties, and checks ties, maximum(x, x),
// maximum(x, 0) and mismatched shapes by hand-worked cases.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/03-automatic-differentiation --filter Chapter03Exercises/maximum

import AutomaticDifferentiation
import BackpropCore
import ExerciseKit

public func maximum(_ a: Variable<Double>, _ b: Variable<Double>) throws -> Variable<Double> {
    throw NotAttempted()
}
