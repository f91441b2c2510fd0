// Exercise 2.2 — the gradient of softmax cross-entropy
// (chapters/02-backpropagation.md, "Softmax and cross-entropy together").
//
// logits has n rows (one per example) of C scores each; labels[i] ∈ 0..<C is
// the class of row i. The loss is the mean cross-entropy of the softmax:
//
//   pᵢⱼ = e^(zᵢⱼ) / Σₖ e^(zᵢₖ)                  (softmax of row i)
//   L   = −(1/n) Σᵢ log pᵢ,labels[i]
//
// Return ∂L/∂z, an n × C array with one entry per logit. The chapter's
// section derives it (there with a target distribution q; here q is one-hot
// at labels[i], no label smoothing): implement it from there, or derive it
// yourself by writing row i's term as log Σₖ e^(zᵢₖ) − zᵢ,labels[i] and
// differentiating with respect to one zᵢⱼ, once for j = labels[i] and once
// for j ≠ labels[i]. Keep the 1/n of the mean. Check a 1 × 2 case by finite
// differences of L.
//
// The grader also uses logits around ±1000: e^1000 is infinite in Double, so
// compute the softmax stably with softmax(z) = softmax(z − maxₖ zₖ)
// (subtract the row's maximum first).
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/02-backpropagation --filter Chapter02Exercises/softmaxCrossEntropyGradient

import ExerciseKit
import Foundation  // exp

public func softmaxCrossEntropyGradient(logits: [[Double]], labels: [Int]) throws -> [[Double]] {
    throw NotAttempted()
}
