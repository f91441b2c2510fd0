// The sum-of-squares twins (SumOfSquares.swift) against the definition,
// written here as a plain Double loop, on lengths around the SIMD twin's
// vector width and 4,096-element chunks.

import BackpropCore
import Testing

@Suite("sumOfSquares") struct SumOfSquaresTests {
    static let lengths = [0, 1, 7, 8, 15, 16, 17, 4095, 4096, 4097, 10_003]

    @Test("Float: both twins match Σ xᵢ² in Double", arguments: lengths)
    func float(length: Int) {
        var rng = SeededRandom(seed: UInt64(length) + 3)
        let x = (0..<length).map { _ in Float(rng.uniform(-3, 3)) }
        var exact = 0.0
        for v in x { exact += Double(v) * Double(v) }
        let naive = x.withUnsafeBufferPointer { Naive.sumOfSquares(count: length, $0.baseAddress!) }
        let simd = x.withUnsafeBufferPointer { SIMDKernels.sumOfSquares(count: length, $0.baseAddress!) }
        #expect(naive == exact)  // the same additions in the same order
        // Float partial sums of at most 4,096 positive terms: well within 1e-5 relative.
        #expect(abs(simd - exact) <= 1e-5 * max(exact, 1e-30), "simd \(simd) vs \(exact)")
    }

    @Test("Double: both twins match Σ xᵢ²", arguments: lengths)
    func double(length: Int) {
        var rng = SeededRandom(seed: UInt64(length) + 11)
        let x = (0..<length).map { _ in rng.uniform(-3, 3) }
        let exact = x.reduce(0) { $0 + $1 * $1 }
        let naive = x.withUnsafeBufferPointer { Naive.sumOfSquares(count: length, $0.baseAddress!) }
        let simd = x.withUnsafeBufferPointer { SIMDKernels.sumOfSquares(count: length, $0.baseAddress!) }
        #expect(naive == exact)
        #expect(abs(simd - exact) <= 1e-13 * max(exact, 1e-300))
    }
}
