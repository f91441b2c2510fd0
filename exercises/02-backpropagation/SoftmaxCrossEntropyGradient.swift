// Exercise 2.2 — the gradient of softmax cross-entropy
// (chapters/02-backpropagation.md, "Softmax and cross-entropy together").
//
// logits has n rows (one per example) of C scores each; labels[i] ∈ 0..<C is
// the class of row i. The loss is the mean cross-entropy of the softmax:
//
//   pᵢⱼ = e^(zᵢⱼ) / Σₖ e^(zᵢₖ)                  (softmax of row i)
//   L   = −(1/n) Σᵢ log pᵢ,labels[i]
//
// Return ∂L/∂z, an n × C array:
//
//   ∂L/∂zᵢⱼ = (pᵢⱼ − [j = labels[i]]) / n
//
// where [j = labels[i]] is 1 for the correct class and 0 otherwise (the
// one-hot target). The grader also uses logits around ±1000: e^1000 is
// infinite in Double, so compute the softmax stably with
// softmax(z) = softmax(z − maxₖ zₖ) (subtract the row's maximum first).
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/02-backpropagation --filter Chapter02Exercises/softmaxCrossEntropyGradient

import ExerciseKit
import Foundation  // exp

public func softmaxCrossEntropyGradient(logits: [[Double]], labels: [Int]) throws -> [[Double]] {
    throw NotAttempted()
}
