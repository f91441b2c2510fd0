// Tests for the per-step and weight-gradient products of the SIMD twin
// (PackedWeight.swift, PackedWeight+Gradient.swift) against Double loops,
// on sizes that are not multiples of the 6×16 tile: every row count 1 … 6
// of a balanced panel, a partial 16-wide column panel, depths that end
// inside a 128-row block, one thread and two.

import Testing
@testable import BackpropCore

@Suite struct PackedWeightTests {
    static func floats(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in Float(rng.uniform(-1, 1)) }
    }

    /// |c − exact| within the bound of a fused sum of k products in Float,
    /// k·ε·Σₚ|aₚbₚ| (plus the rounding of the terms added outside the sum).
    static func expectClose(_ c: [Float], _ exact: [Double], _ magnitude: [Double], k: Int, _ comment: Comment) {
        let eps = Double(Float.ulpOfOne)
        let worst = zip(zip(c, exact), magnitude).map { pair, mag in
            abs(Double(pair.0) - pair.1) / ((Double(k) + 3) * eps * max(mag, 1e-30))
        }.max() ?? 0
        #expect(worst <= 1, comment)
    }

    /// C (+)= A·B (+ bias) for A [m, k] and B packed from W [n, k]
    /// (transposed) or W [k, n].
    @Test(arguments: [1, 2, 5, 6, 7, 11, 13, 16, 32], [(k: 8, n: 5), (k: 24, n: 40), (k: 33, n: 16)])
    func packedProductMatchesLoops(m: Int, shape: (k: Int, n: Int)) {
        let (k, n) = shape
        let a = Self.floats(m * k, seed: 700), w = Self.floats(n * k, seed: 701), bias = Self.floats(n, seed: 702)
        let c0 = Self.floats(m * n, seed: 703)
        for transposed in [true, false] {
            let packed = w.withUnsafeBufferPointer { PackedWeight($0.baseAddress!, k: k, n: n, transposed: transposed) }
            for (accumulate, withBias, threads) in [(false, false, 1), (true, true, 1), (false, true, 2), (true, false, 2)] {
                var c = c0
                a.withUnsafeBufferPointer { pa in
                    bias.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            packed.multiply(pa.baseAddress!, m: m, pc.baseAddress!, accumulate: accumulate,
                                            bias: withBias ? pb.baseAddress! : nil, threads: threads)
                        }
                    }
                }
                var exact = [Double](repeating: 0, count: m * n), magnitude = exact
                for i in 0..<m {
                    for j in 0..<n {
                        var s = 0.0, mag = 0.0
                        for p in 0..<k {
                            let b = Double(transposed ? w[j * k + p] : w[p * n + j])
                            s += Double(a[i * k + p]) * b
                            mag += abs(Double(a[i * k + p]) * b)
                        }
                        let extra = (accumulate ? Double(c0[i * n + j]) : 0) + (withBias ? Double(bias[j]) : 0)
                        exact[i * n + j] = s + extra
                        magnitude[i * n + j] = mag + abs(extra)
                    }
                }
                Self.expectClose(c, exact, magnitude, k: k, "m=\(m) k=\(k) n=\(n) transposed=\(transposed) accumulate=\(accumulate) bias=\(withBias) threads=\(threads)")
            }
        }
    }

    /// C (+)= Aᵀ·B with A [k, lda] read in place (its first m columns).
    @Test(arguments: [1, 5, 6, 13, 24], [(k: 1, n: 16), (k: 127, n: 5), (k: 129, n: 40), (k: 300, n: 16)])
    func transposedProductMatchesLoops(m: Int, shape: (k: Int, n: Int)) {
        let (k, n) = shape, lda = m + 3
        let a = Self.floats(k * lda, seed: 710), v = Self.floats(k * n, seed: 711), c0 = Self.floats(m * n, seed: 712)
        let packed = v.withUnsafeBufferPointer { PackedWeight($0.baseAddress!, k: k, n: n, transposed: false) }
        for (accumulate, threads) in [(false, 1), (true, 2)] {
            var c = c0
            a.withUnsafeBufferPointer { pa in
                c.withUnsafeMutableBufferPointer { pc in
                    packed.multiplyTransposed(pa.baseAddress!, lda: lda, m: m, pc.baseAddress!, accumulate: accumulate, threads: threads)
                }
            }
            var exact = [Double](repeating: 0, count: m * n), magnitude = exact
            for i in 0..<m {
                for j in 0..<n {
                    var s = 0.0, mag = 0.0
                    for p in 0..<k {
                        s += Double(a[p * lda + i]) * Double(v[p * n + j])
                        mag += abs(Double(a[p * lda + i]) * Double(v[p * n + j]))
                    }
                    let extra = accumulate ? Double(c0[i * n + j]) : 0
                    exact[i * n + j] = s + extra
                    magnitude[i * n + j] = mag + abs(extra)
                }
            }
            Self.expectClose(c, exact, magnitude, k: k, "m=\(m) k=\(k) n=\(n) accumulate=\(accumulate) threads=\(threads)")
        }
    }

    /// The packed layout against its definition, element by element, for a
    /// weight large enough (k·n ≥ 2¹⁶) to be packed on both cores, with a
    /// partial last panel and a depth that is not a multiple of 8 (the
    /// transposed fast path's 8×8 blocks and its scalar tail).
    @Test func largePackingMatchesLayout() {
        let (k, n) = (260, 264)
        let w = Self.floats(k * n, seed: 710)
        for transposed in [true, false] {
            let packed = w.withUnsafeBufferPointer { PackedWeight($0.baseAddress!, k: k, n: n, transposed: transposed) }
            var mismatches = 0
            for q in 0..<packed.panels {
                for p in 0..<k {
                    for j in 0..<16 {
                        let col = q * 16 + j
                        let expected: Float = col >= n ? 0 : transposed ? w[col * k + p] : w[p * n + col]
                        if packed.data[q * k * 16 + p * 16 + j] != expected { mismatches += 1 }
                    }
                }
            }
            #expect(mismatches == 0, "transposed \(transposed)")
        }
    }
}
