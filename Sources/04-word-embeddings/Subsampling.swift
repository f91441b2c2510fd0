// Subsampling of frequent words (Mikolov et al. 2013, as implemented in the
// original word2vec C code).
//
// Contract
// - With f(w) = count(w) / N the word's frequency among the N training tokens
//   and t the threshold (--sample, default 1e-3), each occurrence of w is kept
//   with probability
//
//       p_keep(w) = min(1, (√(f/t) + 1) · t/f),
//
//   independently, afresh in every epoch. This is the C code's formula. The
//   paper writes the discard probability as P(w) = 1 − √(t/f); the C formula
//   is √(t/f) + t/f, i.e. slightly more generous, and unlike the paper's
//   formula it keeps every word with f ≤ t·(3+√5)/2 ≈ 2.62·t with certainty
//   (where √(t/f) + t/f = 1).
//   We use the C formula so our runs are comparable with the C tool's.
// - t ≤ 0 switches subsampling off (every word kept).
// - Rare words are never hurt; a word like "the" (f ≈ 0.03) is kept about
//   (√(0.03/0.001)+1)·0.001/0.03 ≈ 22% of the time, which speeds training
//   and lets the window reach past function words.

import BackpropCore
import Foundation

/// Keep probabilities for every word of a vocabulary.
public struct Subsampler: Sendable {
    /// The threshold t.
    public let threshold: Double
    /// p_keep for each word id.
    public let keepProbability: [Double]

    /// p_keep(f) = min(1, (√(f/t) + 1)·t/f) for a word of frequency f > 0.
    public static func keepProbability(frequency f: Double, threshold t: Double) -> Double {
        guard t > 0, f > 0 else { return 1 }
        return min(1, ((f / t).squareRoot() + 1) * t / f)
    }

    /// Keep probabilities from word counts.
    public init(counts: [Int], threshold: Double) {
        self.threshold = threshold
        let total = Double(counts.reduce(0, +))
        keepProbability = counts.map { Subsampler.keepProbability(frequency: Double($0) / total, threshold: threshold) }
    }

    /// Keeps each token with its word's probability, drawing from `rng`.
    public func subsample(_ ids: [Int32], rng: inout SeededRandom) -> [Int32] {
        ids.filter { rng.uniform() < keepProbability[Int($0)] }
    }
}

