// Exercise 4.4 — the loss and gradients of CBOW with negative sampling
// (chapters/04-word-embeddings.md, "Negative sampling").
//
// CBOW turns skip-gram around: the words of a window predict the word in its
// middle. `contexts` holds the INPUT vectors v₁, …, v_C of the C context
// words of one window, one row each (C ≥ 1; a word that occurs twice in the
// window appears as two equal rows). `positive` is the OUTPUT vector u of the
// centre word, and negatives[k] = uₖ are the output vectors of K sampled
// noise words (K may be 0). All vectors have length d. The hidden vector is
// the mean of the C rows of `contexts`, every row counted (a repeated word
// twice), divided by C:
//
//   h = (v₁ + v₂ + … + v_C) / C
//
// and with σ(x) = 1/(1 + e^(−x)) the loss of this one window is
//
//   L = −log σ(u·h) − Σₖ log σ(−uₖ·h).
//
// Return L and its gradients with respect to each row of `contexts`
// (dContexts: C rows of d), to u (dPositive: d entries) and to each row of
// `negatives` (dNegatives: K rows of d, in order). Treat every row as its
// own vector: a context word or a negative that appears twice has two rows,
// each the gradient with respect to that row alone.
//
// Derive them; exercise 4.1 did the same loss with v in place of h. Method:
// first the gradients with respect to u, the uₖ and h, as in 4.1; then the
// chain rule from h back to each row vⱼ (h is linear in each). Note that the
// book's trainer deliberately does NOT apply the exact update for the
// context vectors (the chapter says why); this exercise asks for the exact
// gradient of L, which is what the grader checks, by centered finite
// differences of the loss, with scores u·h of ±40 and ±800. Compute the loss
// and σ stably, as in exercise 4.1.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/04-word-embeddings --filter Chapter04Exercises/cbowGradients

import ExerciseKit
import Foundation  // exp, log1p

public func cbowGradients(
    contexts: [[Double]], positive u: [Double], negatives: [[Double]]
) throws -> (loss: Double, dContexts: [[Double]], dPositive: [Double], dNegatives: [[Double]]) {
    throw NotAttempted()
}
