// Exercise 3.4 — find the bug in a backward closure
// (chapters/03-automatic-differentiation.md, "A new operation" and "How we
// know the code is right").
//
// Debug and measure. Somebody added log-sum-exp of each row to the tensor
// engine as a new operation with `Variable.custom`: x [n, c] ↦ y [n] with
// yᵢ = log Σⱼ e^xᵢⱼ, computed stably. Their test, L = y.sum() and a
// gradient check, passes. Yet a model that uses it trains badly. The code:
//
//   let (n, c) = (x.shape[0], x.shape[1])
//   let v = x.value.scalars
//   var out = [Double](repeating: 0, count: n), p = [Double](repeating: 0, count: n * c)
//   for i in 0..<n {
//       let row = v[(i * c)..<(i * c + c)]
//       let m = row.max()!
//       let s = row.map { exp($0 - m) }.reduce(0, +)
//       out[i] = m + log(s)
//       for j in 0..<c { p[i * c + j] = exp(v[i * c + j] - out[i]) }   // softmax of the row
//   }
//   let probabilities = p
//   return try Variable.custom("logSumExp", value: Tensor(out), inputs: [x], saved: [Tensor(p)]) { g in
//       let upstream = g.scalars[0]
//       var dx = [Double](repeating: 0, count: n * c)
//       for i in 0..<n {
//           for j in 0..<c { dx[i * c + j] = upstream * probabilities[i * c + j] }
//       }
//       return [try Tensor(shape: [n, c], scalars: dx)]
//   }
//
// Find the bug, explain to yourself why L = y.sum() could not see it (what
// is g then?), and return the operation with a correct backward closure.
// Checking with a random weighting, L = Σ wᵢ·yᵢ, exposes it; so does the
// book's `checkLayer`, which uses L = Σ y ⊙ R for a random R.
//
// The grader compares the values with log Σ eˣ and the gradient of
// L = Σ wᵢ·yᵢ with centered finite differences, for x a leaf and for x
// computed from one, and for logits near ±1000.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/03-automatic-differentiation --filter Chapter03Exercises/findTheClosureBug

import AutomaticDifferentiation
import BackpropCore
import ExerciseKit
import Foundation

public func rowLogSumExp(_ x: Variable<Double>) throws -> Variable<Double> {
    throw NotAttempted()
}
