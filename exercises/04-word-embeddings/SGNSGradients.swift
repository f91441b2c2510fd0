// Exercise 4.1 — the loss and gradients of skip-gram with negative sampling
// (chapters/04-word-embeddings.md, "Negative sampling").
//
// v is the center word's input vector, u the output vector of a context word
// that really appeared next to it, and negatives[k] = uₖ the output vectors
// of K sampled "noise" words (all vectors have the same length d; K may be 0).
// With σ(x) = 1/(1 + e^(−x)), the loss of this one (center, context) pair is
//
//   L = −log σ(u·v) − Σₖ log σ(−uₖ·v).
//
// Return L and its gradients ∂L/∂v (dCenter, length d), ∂L/∂u (dContext,
// length d) and ∂L/∂uₖ (dNegatives: one row of length d per row of
// `negatives`, in the same order). Treat every row of `negatives` as its own
// vector: if the same vector is drawn twice, it gets two rows, each the
// gradient of its own term of L, and both terms count in ∂L/∂v.
//
// The chapter's section "The gradients" derives all three: implement them
// from there. To derive them yourself, you need two scalar derivatives, of
// −log σ(x) and of −log σ(−x) (chapter 1's logistic gradient has the first),
// and then the chain rule through each dot product, which is linear in both
// of its vectors. Check a case with d = 1 and K = 1 by finite differences.
//
// The grader uses dot products of about ±40 and ±800. Compute the loss
// stably: −log σ(x) = log(1 + e^(−x)) = softplus(−x), and
// softplus(z) = max(z, 0) + log(1 + e^(−|z|)) never overflows (Foundation's
// log1p is accurate for the small argument). Writing log σ(−x) as
// log(1 − σ(x)) gives log 0 = −∞ once σ(x) rounds to 1 (x ≈ 37 already),
// and log σ(x) itself gives −∞ once e^(−x) overflows (x < −709). Likewise,
// evaluate σ(x) in a form that gives no NaN (∞/∞) at x = ±800.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/04-word-embeddings --filter Chapter04Exercises/sgnsGradients

import ExerciseKit
import Foundation  // exp, log1p

public func sgnsGradients(
    center v: [Double], context u: [Double], negatives: [[Double]]
) throws -> (loss: Double, dCenter: [Double], dContext: [Double], dNegatives: [[Double]]) {
    throw NotAttempted()
}
