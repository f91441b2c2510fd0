// Seeded random numbers: every run of the book is reproducible.
//
// Contract
// - `SplitMix64` turns one 64-bit seed into a stream of well-mixed words; it
//   is used only to fill the state of the main generator.
// - `Xoshiro256StarStar` (Blackman & Vigna, 2018) is the generator every
//   model and test uses: 256 bits of state, period 2²⁵⁶ − 1, fast, and good
//   enough for simulation (it passes BigCrush). Not for cryptography.
// - The same seed gives the same sequence on every machine and Swift version:
//   nothing here depends on the standard library's unspecified algorithms
//   (we shuffle and sample with our own code, not `shuffle(using:)`).

/// SplitMix64: a 64-bit counter passed through an avalanche mix.
/// Used to expand a seed into a larger generator's state.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15  // 2⁶⁴ / φ, an odd constant
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256**: the book's random number generator.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    /// Seeds the four state words from SplitMix64, as the authors recommend
    /// (a state of all zeros would be a fixed point; SplitMix64 never gives it).
    public init(seed: UInt64) {
        var mix = SplitMix64(seed: seed)
        s = (mix.next(), mix.next(), mix.next(), mix.next())
    }

    /// Starts from an explicit state (for checking published test vectors).
    init(state: (UInt64, UInt64, UInt64, UInt64)) { s = state }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = Self.rotl(s.3, 45)
        return result
    }
}

/// The generator type used throughout the book.
public typealias SeededRandom = Xoshiro256StarStar

extension Xoshiro256StarStar {
    /// A uniform double in [0, 1): the top 53 bits of one draw, scaled by 2⁻⁵³,
    /// so every representable multiple of 2⁻⁵³ is equally likely.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform double in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * uniform()
    }

    /// A uniform integer in 0..<bound, without modulo bias (Lemire's method:
    /// multiply into 128 bits, reject the few low products that would bias).
    public mutating func integer(below bound: Int) -> Int {
        precondition(bound > 0, "integer(below:) needs a positive bound")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold { product = next().multipliedFullWidth(by: b) }
        }
        return Int(product.high)
    }

    /// A standard normal sample N(0, 1) by the Box–Muller transform:
    /// z = √(−2 ln u₁) · cos(2π u₂), with u₁ ∈ (0, 1] so the log is finite.
    public mutating func normal() -> Double {
        let u1 = 1 - uniform()  // (0, 1]
        let u2 = uniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// A normal sample with the given mean and standard deviation.
    public mutating func normal(mean: Double, std: Double) -> Double {
        mean + std * normal()
    }

    /// A uniformly random permutation of 0..<count (Fisher–Yates, written
    /// here so the order is the same on every Swift version).
    public mutating func permutation(_ count: Int) -> [Int] {
        var p = Array(0..<count)
        shuffle(&p)
        return p
    }

    /// Shuffles an array in place (Fisher–Yates from the back).
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, integer(below: i + 1))
        }
    }
}

import Foundation
