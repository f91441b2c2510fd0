// Exercise 4.5 — one SGD step of skip-gram, plugged into the book's word2vec
// trainer (chapters/04-word-embeddings.md, "The update the trainer makes"
// and "Windows, the learning rate and the loop"; the trainer's side:
// Sources/04-word-embeddings/Word2VecTrainer+Step.swift).
//
// Given one example's vectors, as in exercise 4.1 — v the centre word's input
// vector, u the context word's output vector, negatives[k] = uₖ the output
// vectors of the sampled noise words — and the learning rate α, return the
// three after one step of gradient descent on
//
//   L = −log σ(u·v) − Σₖ log σ(−uₖ·v).
//
// Take every gradient at the vectors you were given (the step changes them
// all at once), and return one row per row of `negatives`, in order: if a
// noise word was drawn twice it appears twice, and the trainer adds both
// rows' changes to that word's output vector. You may call your
// `sgnsGradients` from exercise 4.1, which is in this module.
//
// The grader first checks your step on 4.1's cases (dot products up to ±800
// among them) with α = 0.05 and α = 0.5, against the gradient it computes by
// finite differences. Then it hands your step to the book's trainer, which
// runs it for every (centre, context) pair of skip-gram on the first 20,000
// characters of tinyshakespeare — the trainer draws the windows, the
// negatives (K = 2) and the decaying learning rate, copies the rows into
// your arrays and writes the changes back — with D = 8, window 2,
// min-count 3, sample 0.01, 4 epochs, α₀ = 0.2 and seed 7. The trainer's own
// loss (the mean over the last tenth of training, computed from the vectors
// before each step, not by your code) must end at or below 1.95, down from
// (1 + K)·log 2 ≈ 2.08 at the start, and on the chapter's evaluation set
// related pairs (king–queen, thou–thee…) must be closer in mean cosine than
// mismatched pairs of the same words by at least 0.05. The book's own step
// ends at 1.79 and 0.13; input vectors that never move stay near 2.07 and 0.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/04-word-embeddings --filter Chapter04Exercises/skipGramStep

import ExerciseKit

public func skipGramStep(
    center v: [Double], context u: [Double], negatives: [[Double]], learningRate: Double
) throws -> (center: [Double], context: [Double], negatives: [[Double]]) {
    throw NotAttempted()
}
