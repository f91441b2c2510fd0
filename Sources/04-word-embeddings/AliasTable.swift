// AliasTable: O(1) sampling from a fixed discrete distribution (Walker's
// alias method, built with Vose's stable algorithm), used to draw negative
// samples from the unigram distribution raised to the 3/4 power.
//
// Contract
// - Built from non-negative weights w₀…w_{n−1} with a positive sum, the table
//   draws i with probability wᵢ / Σw (up to float rounding of the stored
//   thresholds, < 2⁻²⁴ relative).
// - Construction (Vose 1991): scale pᵢ = n·wᵢ/Σw, so the mean is 1. Split the
//   indices into "small" (pᵢ < 1) and "large" (pᵢ ≥ 1). Repeatedly pair one
//   small s with one large l: column s keeps probability p_s and sends the
//   rest, 1 − p_s, to alias l; then p_l ← p_l − (1 − p_s), and l becomes
//   small if p_l < 1. Left-over columns (rounding) get probability 1.
// - Sampling from 64 random bits: column i = ⌊(high 32 bits)·n / 2³²⌋, then
//   keep i if (low 32 bits) < pᵢ·2³², else take alias[i]. The column choice
//   is biased by at most n/2³² relative, far below sampling noise.
// - word2vec's C code instead fills a table of 10⁸ ids (a "cumulative" table);
//   the alias table is exact and needs only 2n entries.

import Foundation

/// Walker/Vose alias table.
public struct AliasTable: Sendable {
    /// Threshold of each column, pᵢ·2³² (≤ 2³²).
    public let thresholds: [UInt64]
    /// The alternative outcome of each column.
    public let aliases: [Int32]

    /// Builds the table for weights `w` (non-negative, positive sum).
    public init(weights w: [Double]) {
        let n = w.count
        let total = w.reduce(0, +)
        precondition(n > 0 && total > 0 && w.allSatisfy { $0 >= 0 }, "AliasTable needs non-negative weights with a positive sum")
        var p = w.map { $0 * Double(n) / total }
        var alias = [Int32](repeating: 0, count: n)
        var prob = [Double](repeating: 1, count: n)
        var small: [Int] = [], large: [Int] = []
        for i in 0..<n { if p[i] < 1 { small.append(i) } else { large.append(i) } }
        while let s = small.popLast(), let l = large.last {
            prob[s] = p[s]
            alias[s] = Int32(l)
            p[l] -= 1 - p[s]
            if p[l] < 1 { large.removeLast(); small.append(l) }
        }
        // Whatever is left has p ≈ 1 up to rounding: keep itself always.
        for i in large + small { prob[i] = 1; alias[i] = Int32(i) }
        thresholds = prob.map { UInt64(($0 * 0x1p32).rounded()) }
        aliases = alias
    }

    /// The table for word2vec's negatives: P(w) ∝ count(w)^power (power 3/4).
    public static func unigram(counts: [Int], power: Double = 0.75) -> AliasTable {
        AliasTable(weights: counts.map { Foundation.pow(Double($0), power) })
    }

    /// The number of outcomes.
    public var count: Int { aliases.count }

    /// One draw, from 64 random bits.
    @inline(__always)
    public func sample(_ bits: UInt64) -> Int {
        thresholds.withUnsafeBufferPointer { t in
            aliases.withUnsafeBufferPointer { a in AliasTable.draw(bits, thresholds: t.baseAddress!, aliases: a.baseAddress!, count: a.count) }
        }
    }

    /// The draw itself, on raw pointers to the two arrays: the training
    /// loop calls this directly, so the tested `sample` and the trainer share
    /// one implementation.
    @inline(__always)
    static func draw(_ bits: UInt64, thresholds: UnsafePointer<UInt64>, aliases: UnsafePointer<Int32>, count: Int) -> Int {
        let column = Int(((bits >> 32) &* UInt64(count)) >> 32)
        return (bits & 0xFFFF_FFFF) < thresholds[column] ? column : Int(aliases[column])
    }

    /// The exact probability the table gives each outcome (for tests):
    /// P(i) = (pᵢ + Σ_{j: alias j = i} (1 − pⱼ)) / n.
    public func probabilities() -> [Double] {
        let n = Double(count)
        var out = [Double](repeating: 0, count: count)
        for j in 0..<count {
            let pj = Double(thresholds[j]) * 0x1p-32
            out[j] += pj / n
            out[Int(aliases[j])] += (1 - pj) / n
        }
        return out
    }
}
