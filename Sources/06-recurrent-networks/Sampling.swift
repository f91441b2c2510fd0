// Choosing the next token from a language model's logits.
//
//   p_i = exp(z_i / T) / Σ_j exp(z_j / T)       (temperature T > 0)
//
// T < 1 sharpens the distribution towards the most likely token, T > 1
// flattens it; T = 0 is taken to mean greedy decoding (argmax). Top-k keeps
// only the k largest logits (ties at the k-th value are all kept) and
// renormalises. Chapters 6 and 7 share this code; the derivation is in
// chapters/06-recurrent-networks.md, "Sampling and temperature".

import BackpropCore
import Foundation

/// How to draw tokens from logits; validated on construction.
public struct SamplingOptions: Sendable, Equatable {
    public let temperature: Double
    public let topK: Int?

    /// - Throws: `TrainingError.invalidOption` if temperature is negative or
    ///   not finite, or top-k is below 1.
    public init(temperature: Double = 1, topK: Int? = nil) throws {
        guard temperature.isFinite && temperature >= 0 else {
            throw TrainingError.invalidOption(name: "temperature", value: "\(temperature)", reason: "must be a finite number ≥ 0 (0 means greedy)")
        }
        if let k = topK, k < 1 {
            throw TrainingError.invalidOption(name: "top-k", value: "\(k)", reason: "must be at least 1")
        }
        self.temperature = temperature
        self.topK = topK
    }

    public static let greedy = try! SamplingOptions(temperature: 0)
}

public enum TokenSampler {
    /// The probabilities sampling would use (after temperature and top-k);
    /// for T = 0, all mass on the first maximum.
    public static func probabilities<S: BinaryFloatingPoint>(_ logits: [S], options: SamplingOptions) -> [Double] {
        precondition(!logits.isEmpty, "logits must not be empty")
        let z = logits.map { Double($0) }
        if options.temperature == 0 {
            let best = z.indices.max { z[$0] < z[$1] || (z[$0] == z[$1] && $0 > $1) }!
            return z.indices.map { $0 == best ? 1 : 0 }
        }
        var threshold = -Double.infinity
        if let k = options.topK, k < z.count {
            threshold = kthLargest(z, k)
        }
        let m = z.max()!
        var p = z.map { $0 >= threshold ? exp(($0 - m) / options.temperature) : 0 }
        let total = p.reduce(0, +)
        for i in p.indices { p[i] /= total }
        return p
    }

    /// The k-th largest of `z` (1 ≤ k < z.count), counting repeats: what
    /// `z.sorted(by: >)[k - 1]` is, without sorting all of z. The k largest
    /// seen so far are kept in descending order; a value that does not beat
    /// the smallest of them costs one comparison, so sampling's top-k over a
    /// vocabulary of n costs about n comparisons, not n log n with a closure
    /// call each (the serving scheduler samples every stream once per step).
    static func kthLargest(_ z: [Double], _ k: Int) -> Double {
        precondition(k >= 1 && k < z.count, "k must be in 1..<z.count")
        var top = [Double](repeating: -.infinity, count: k)
        var kept = 0
        top.withUnsafeMutableBufferPointer { top in
            for v in z where kept < k || v > top[k - 1] {
                // Insert v before the first kept value smaller than it (after equal ones).
                var i = min(kept, k - 1)
                while i > 0 && top[i - 1] < v { top[i] = top[i - 1]; i -= 1 }
                top[i] = v
                kept = min(kept + 1, k)
            }
        }
        return top[k - 1]
    }

    /// One token drawn from `logits` with `rng`.
    public static func sample<S: BinaryFloatingPoint>(_ logits: [S], options: SamplingOptions, rng: inout SeededRandom) -> Int {
        let p = probabilities(logits, options: options)
        var u = rng.uniform()
        for (i, pi) in p.enumerated() where pi > 0 {
            if u < pi { return i }
            u -= pi
        }
        return p.lastIndex { $0 > 0 }!   // rounding left u ≥ the total: take the last candidate
    }
}

