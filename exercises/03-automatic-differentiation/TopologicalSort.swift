// Exercise 3.2 — topological order without recursion
// (chapters/03-automatic-differentiation.md, "Topological order").
//
// Implement. Return every Value that `root` depends on (itself included),
// each exactly once, ordered so that every value comes after all of its
// parents; the root is therefore last. Walking this list backwards is what
// lets `backward()` finish each value's gradient before passing it on.
//
// A value may be a parent of several values (a shared subexpression) or
// appear twice among one value's parents (a·a): it is still listed once.
//
// Do not recurse: a graph 100,000 operations deep must work on a thread
// with a 1 MB stack, where a recursive depth-first search overflows and
// crashes. Keep your own stack of work instead. (Do not call the library's
// `topologicalOrder()`; that is what you are rewriting.)
//
// The grader checks the definition edge by edge on graphs with shared and
// repeated values, runs the chain rule in your order and compares the
// gradients with finite differences, and sorts a chain 100,000 deep.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/03-automatic-differentiation --filter Chapter03Exercises/topologicalOrder

import AutomaticDifferentiation
import ExerciseKit

public func topologicalOrder(_ root: Value) throws -> [Value] {
    throw NotAttempted()
}
