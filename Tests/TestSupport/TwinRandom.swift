// The random inputs of the kernel-twin tests (core kernels, and each
// chapter's kernels that live in the chapter).

import BackpropCore

/// SplitMix64 (Steele, Lea & Flood 2014): a 64-bit counter passed through a
/// bijective mixer. The kernel-twin tests' own generator, so they do not
/// depend on the project's RNG.
public struct TwinRandom {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [−1, 1), from the top 53 bits.
    public mutating func symmetric() -> Double {
        Double(next() >> 11) * 0x1p-52 - 1
    }

    public mutating func array<T: TensorScalar>(_: T.Type, _ count: Int, scale: Double = 1) -> [T] {
        (0..<count).map { _ in T(symmetric() * scale) }
    }
}

