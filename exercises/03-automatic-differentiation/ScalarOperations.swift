// Exercise 3.1 — two new operations for the scalar engine
// (chapters/03-automatic-differentiation.md, "The scalar engine").
//
// Derive and implement. Every operation of the scalar engine is one call of
//
//   Value(data, op: name, parents: [the operands], local: [∂output/∂operandᵢ])
//
// computed in the forward pass, while the operands are at hand; `backward()`
// then needs nothing but the chain rule (Value+Backward.swift). Add two
// operations this way, each as ONE new Value (not built from the engine's
// other operations):
//
//   softplus(x) = log(1 + eˣ)                   parents [x]
//   power(a, b) = aᵇ, for a > 0, b a Value too   parents [a, b], in that order
//
// Derive each local derivative yourself. softplus must stay finite, value
// and derivative, for x = ±800 (e^800 overflows Double): rewrite the formula
// so that no exponential of a large positive number is ever taken.
//
// The grader checks the structure of the node (its parents are exactly the
// operands), the value and the local derivatives against centered finite
// differences of its own formulas, x = ±800, and a graph that uses x three
// times, after `backward()`.
//
// Replace each `throw` with your code, then run:
//   swift test --package-path exercises/03-automatic-differentiation --filter Chapter03Exercises/scalarOperations

import AutomaticDifferentiation
import ExerciseKit
import Foundation

public func softplus(_ x: Value) throws -> Value {
    throw NotAttempted()
}

public func power(_ a: Value, _ b: Value) throws -> Value {
    throw NotAttempted()
}
