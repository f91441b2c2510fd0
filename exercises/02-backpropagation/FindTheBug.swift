// Exercise 2.6 — find the bug in a backward pass
// (chapters/02-backpropagation.md, "Backpropagation" and "Gradient checks").
//
// Debug and measure. A two-layer network with a tanh hidden layer maps x
// (n rows of `in` features) to y, with PyTorch's layout (W₁ is hidden × in,
// W₂ is out × hidden):
//
//   z = x·W₁ᵀ + b₁     (n × hidden)
//   h = tanh(z)         (n × hidden)
//   y = h·W₂ᵀ + b₂     (n × out)
//
// Given the upstream gradient dy = ∂L/∂y (n × out), its backward pass returns
// ∂L/∂x, ∂L/∂W₁, ∂L/∂b₁, ∂L/∂W₂ and ∂L/∂b₂, each shaped like what it
// differentiates. Somebody wrote it as below. It compiles, it runs, its
// shapes are right, and on small weights its gradients even look plausible,
// but it contains one bug, in the backward pass (the forward pass is
// correct). Find it and return the correct gradients for the given inputs.
// Your gradient checker from exercise 2.5 finds it: compare each returned
// gradient with centered differences of L = Σᵢₒ dyᵢₒ·yᵢₒ (whose gradient with
// respect to y is dy) and see which ones disagree; then read those lines
// again against the chain rule.
//
//   let n = x.count, inputs = x[0].count, hidden = weight1.count, outputs = weight2.count
//   // Forward.
//   var z = [[Double]](repeating: [Double](repeating: 0, count: hidden), count: n)
//   for i in 0..<n {
//       for j in 0..<hidden {
//           z[i][j] = bias1[j]
//           for k in 0..<inputs { z[i][j] += x[i][k] * weight1[j][k] }
//       }
//   }
//   let h = z.map { $0.map { tanh($0) } }
//   // Backward.
//   var gradW2 = [[Double]](repeating: [Double](repeating: 0, count: hidden), count: outputs)
//   var gradB2 = [Double](repeating: 0, count: outputs)
//   var gradH = [[Double]](repeating: [Double](repeating: 0, count: hidden), count: n)
//   for i in 0..<n {
//       for o in 0..<outputs {
//           gradB2[o] += dy[i][o]
//           for j in 0..<hidden {
//               gradW2[o][j] += dy[i][o] * h[i][j]
//               gradH[i][j] += dy[i][o] * weight2[o][j]
//           }
//       }
//   }
//   let gradZ = zip(gradH, z).map { g, a in zip(g, a).map { $0 * (1 - $1 * $1) } }
//   var gradW1 = [[Double]](repeating: [Double](repeating: 0, count: inputs), count: hidden)
//   var gradB1 = [Double](repeating: 0, count: hidden)
//   var gradX = [[Double]](repeating: [Double](repeating: 0, count: inputs), count: n)
//   for i in 0..<n {
//       for j in 0..<hidden {
//           gradB1[j] += gradZ[i][j]
//           for k in 0..<inputs {
//               gradW1[j][k] += gradZ[i][j] * x[i][k]
//               gradX[i][k] += gradZ[i][j] * weight1[j][k]
//           }
//       }
//   }
//   return (gradX, gradW1, gradB1, gradW2, gradB2)
//
// The grader compares your gradients with centered finite differences of the
// forward pass, which it writes itself, with weights large enough that some
// |z| exceed 1.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/02-backpropagation --filter Chapter02Exercises/findTheBug

import ExerciseKit
import Foundation

public func twoLayerTanhBackward(
    x: [[Double]], weight1: [[Double]], bias1: [Double], weight2: [[Double]], bias2: [Double], dy: [[Double]]
) throws -> (dx: [[Double]], dWeight1: [[Double]], dBias1: [Double], dWeight2: [[Double]], dBias2: [Double]) {
    throw NotAttempted()
}
