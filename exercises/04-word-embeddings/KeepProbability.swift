// Exercise 4.3 — the probability of keeping a word when subsampling
// (chapters/04-word-embeddings.md, "Subsampling frequent words").
//
// A word that occurs `count` times in a corpus of `totalWords` words has
// frequency f = count / totalWords (a Double: beware integer division).
// Frequent words ("the", "of") are randomly dropped from the training text;
// with the threshold t (the `-sample` option, typically 1e-3 to 1e-5) each
// occurrence is kept with probability
//
//   keep(f) = min(1, (√(f/t) + 1) · t/f).
//
// This is the formula of word2vec's C implementation (word2vec.c), which
// differs from the paper's (Mikolov et al., 2013), where each occurrence is
// discarded with probability 1 − √(t/f), that is kept with √(t/f). Use the
// C implementation's formula above, including the clamp: words with f ≤ t
// (and some a little above t) get keep = 1.
//
// count ≥ 1, totalWords ≥ count, t > 0.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/04-word-embeddings --filter Chapter04Exercises/keepProbability

import ExerciseKit
import Foundation  // sqrt

public func keepProbability(count: Int, totalWords: Int, threshold t: Double) throws -> Double {
    throw NotAttempted()
}
