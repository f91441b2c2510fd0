// KernelTwinTests: SIMDKernels must compute what Naive computes.
//
// Contract
// - Every kernel of `SIMDKernels` is compared with `Naive` on seeded random
//   inputs, for Float and Double, on odd and round sizes (1, 7, 33, 65, 129,
//   64, 128 …), all three matmul layouts, with and without `accumulate`.
// - Tolerances are stated per kernel and derived from rounding-error bounds,
//   not tuned: a sum of k products computed in two different orders differs
//   by at most k·ε·Σ|terms| (each is within (k/2)·ε of the exact sum).
// - This file: matmul, the elementwise kernels and maps, the row and column
//   reductions and softmax. KernelTwinTests+Backward.swift: the derivatives,
//   backward and optimizer twins. KernelTwinTests+VectorMath.swift: the
//   error bounds of the vector exp, erf, Φ and gelu′.
// - Sizes stay ≤ 129 (and one long, thin case) so the whole suite runs in a
//   few seconds in a debug build, where SIMD code is ~100× slower.

import Foundation
import TestSupport
import Testing
@testable import BackpropCore

/// A matmul shape m×k times k×n.
struct GemmShape: Sendable, CustomTestStringConvertible {
    let m: Int, n: Int, k: Int
    var testDescription: String { "\(m)×\(k)·\(k)×\(n)" }
}

@Suite("Kernel twins: SIMDKernels agrees with Naive")
struct KernelTwinTests {
    static let shapes: [GemmShape] = [
        (1, 1, 1), (7, 7, 7), (1, 33, 65), (65, 1, 33), (33, 65, 1), (6, 16, 8),
        (7, 129, 33), (129, 7, 65), (64, 64, 64), (65, 33, 129), (128, 128, 16),
        (129, 64, 33), (13, 21, 300),  // k > KC: several k blocks
        (3, 4200, 2),  // n > NC: several column blocks
    ].map { GemmShape(m: $0.0, n: $0.1, k: $0.2) }

    // MARK: matmul

    /// |simd − naive| ≤ (k + 2)·ε·(Σₚ|aᵢₚ bₚⱼ| + |c⁰ᵢⱼ|): both sums are within
    /// (k/2)·ε·Σ|terms| of the exact value; the +2 covers adding c⁰.
    /// Checks accumulate = false and true; Naive's accumulated result is
    /// c⁰ + (its plain result), bit for bit, so Naive runs once.
    func checkMatmul<T: TensorScalar>(
        _: T.Type, _ s: GemmShape, _ layout: MatmulLayout, threads: Int? = nil
    ) {
        var rng = TwinRandom(state: UInt64(s.m * 1_000_003 + s.n * 1009 + s.k))
        let a = rng.array(T.self, s.m * s.k), b = rng.array(T.self, s.k * s.n)
        let c0 = rng.array(T.self, s.m * s.n)
        var product = c0, magnitude = c0
        Naive.matmul(layout, m: s.m, n: s.n, k: s.k, a, b, &product, accumulate: false)
        Naive.matmul(layout, m: s.m, n: s.n, k: s.k, a.map { abs($0) }, b.map { abs($0) },
                     &magnitude, accumulate: false)
        let tol = T(s.k + 2) * T.ulpOfOne
        for accumulate in [false, true] {
            var got = c0
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    got.withUnsafeMutableBufferPointer { cp in
                        PackedGEMM.run(layout, m: s.m, n: s.n, k: s.k, ap.baseAddress!, bp.baseAddress!,
                                       cp.baseAddress!, accumulate: accumulate, threads: threads)
                    }
                }
            }
            var worst: T = 0
            for i in 0..<(s.m * s.n) {
                let expected = accumulate ? c0[i] + product[i] : product[i]
                let bound = tol * (magnitude[i] + (accumulate ? abs(c0[i]) : 0))
                worst = max(worst, abs(got[i] - expected) - bound)
            }
            #expect(worst <= 0, "\(T.self) \(layout) \(s.testDescription) acc=\(accumulate) threads=\(threads ?? 0)")
        }
    }

    @Test("matmul, all layouts, with and without accumulate", arguments: shapes)
    func matmulAgrees(_ shape: GemmShape) {
        for layout in MatmulLayout.allCases {
            checkMatmul(Float.self, shape, layout)
            checkMatmul(Double.self, shape, layout)
        }
    }

    /// Taller than wide splits C by row panels, wider than tall by column
    /// panels (each thread then reads a column slice of op(B) and writes one
    /// of C, through the leading dimensions); uneven splits, several depth
    /// blocks (k > KC), several column blocks (n > NC) and more threads than
    /// panels included.
    @Test("matmul split over threads (forced on small shapes)")
    func matmulThreaded() {
        let shapes = [GemmShape(m: 65, n: 33, k: 129), GemmShape(m: 33, n: 65, k: 129), GemmShape(m: 7, n: 9, k: 5),
                      GemmShape(m: 100, n: 13, k: 300), GemmShape(m: 13, n: 100, k: 300), GemmShape(m: 3, n: 4200, k: 2)]
        for shape in shapes {
            for layout in MatmulLayout.allCases {
                for threads in [2, 3] {
                    checkMatmul(Float.self, shape, layout, threads: threads)
                    checkMatmul(Double.self, shape, layout, threads: threads)
                }
            }
        }
    }

    @Test("matmul through the public generic entry and with k = 0")
    func matmulEdgeCases() {
        var c: [Float] = [5, 5]
        SIMDKernels.matmul(.nn, m: 1, n: 2, k: 0, [], [], &c, accumulate: true)
        #expect(c == [5, 5])
        SIMDKernels.matmul(.nn, m: 1, n: 2, k: 0, [], [], &c, accumulate: false)
        #expect(c == [0, 0])
        SIMDKernels.matmul(.nt, m: 1, n: 2, k: 2, [1, 2], [3, 4, 5, 6], &c, accumulate: false)
        #expect(c == [11, 17])
        #expect(Backend.simd.kernels.name == "simd")
    }

    // MARK: elementwise and reductions

    static let counts = [1, 7, 8, 33, 65, 129, 1000]

    @Test("elementwise kernels", arguments: counts)
    func elementwise(_ count: Int) {
        elementwise(Float.self, count)
        elementwise(Double.self, count)
    }

    func elementwise<T: TensorScalar>(_: T.Type, _ count: Int) {
        var rng = TwinRandom(state: UInt64(count))
        let x = rng.array(T.self, count, scale: 4), y = rng.array(T.self, count, scale: 4)
        let alpha = T(rng.symmetric())
        let eps = T.ulpOfOne

        // axpy: Naive rounds α·x, then the sum; the FMA rounds once.
        var y1 = y, y2 = y
        Naive.axpy(count: count, alpha: alpha, x, &y1)
        SIMDKernels.axpy(count: count, alpha: alpha, x, &y2)
        for i in 0..<count {
            #expect(abs(y1[i] - y2[i]) <= 2 * eps * (abs(alpha * x[i]) + abs(y[i])))
        }
        // add, multiply, scale, relu: the same single rounding, so equal bits.
        var z1 = x, z2 = x
        Naive.add(count: count, x, y, &z1)
        SIMDKernels.add(count: count, x, y, &z2)
        #expect(z1 == z2)
        Naive.multiply(count: count, x, y, &z1)
        SIMDKernels.multiply(count: count, x, y, &z2)
        #expect(z1 == z2)
        z1 = x; z2 = x
        Naive.scale(count: count, alpha: alpha, &z1)
        SIMDKernels.scale(count: count, alpha: alpha, &z2)
        #expect(z1 == z2)
        Naive.map(.relu, count: count, x, &z1)
        SIMDKernels.map(.relu, count: count, x, &z2)
        #expect(z1 == z2)
        // z may alias x.
        z2 = x
        z2.withUnsafeMutableBufferPointer { p in
            SIMDKernels.add(count: count, p.baseAddress!, y, p.baseAddress!)
        }
        Naive.add(count: count, x, y, &z1)
        #expect(z1 == z2)
    }

    /// exp, sigmoid, tanh through `map`. Float uses the vector polynomial,
    /// compared with Glibc's float functions (each within ~0.5 ulp): exp
    /// within 2e-7 relative (ε + libm's half ulp), sigmoid and tanh within
    /// 5e-7 relative (their stated 2.5e-7 / 4e-7 plus libm's). Double calls
    /// libm, so it must match Naive exactly.
    @Test("transcendental maps", arguments: counts)
    func transcendental(_ count: Int) {
        var rng = TwinRandom(state: UInt64(count) + 77)
        let xf = rng.array(Float.self, count, scale: 20)
        let xd = xf.map(Double.init)
        for f in [UnaryFunction.exp, .sigmoid, .tanh] {
            var a = xf, b = xf
            Naive.map(f, count: count, xf, &a)
            SIMDKernels.map(f, count: count, xf, &b)
            for i in 0..<count {
                let tol: Float = f == .exp ? 2e-7 : 5e-7
                #expect(abs(a[i] - b[i]) <= tol * abs(a[i]), "\(f)(\(xf[i])): \(a[i]) vs \(b[i])")
            }
            var c = xd, d = xd
            Naive.map(f, count: count, xd, &c)
            SIMDKernels.map(f, count: count, xd, &d)
            #expect(c == d)
        }
    }

    @Test("row and column reductions, bias rows", arguments: [(1, 1), (7, 33), (33, 7), (65, 129), (4, 1000)])
    func reductions(_ rows: Int, _ cols: Int) {
        reductions(Float.self, rows, cols)
        reductions(Double.self, rows, cols)
    }

    func reductions<T: TensorScalar>(_: T.Type, _ rows: Int, _ cols: Int) {
        var rng = TwinRandom(state: UInt64(rows * 7919 + cols))
        let x = rng.array(T.self, rows * cols, scale: 10), v = rng.array(T.self, cols)
        var o1 = [T](repeating: 0, count: rows), o2 = o1
        // rowSum: a different summation order, so within cols·ε·Σ|x|.
        Naive.rowSum(rows: rows, cols: cols, x, &o1)
        SIMDKernels.rowSum(rows: rows, cols: cols, x, &o2)
        for r in 0..<rows {
            let mag = x[(r * cols)..<((r + 1) * cols)].reduce(0) { $0 + abs($1) }
            #expect(abs(o1[r] - o2[r]) <= T(cols) * T.ulpOfOne * mag)
        }
        // rowMax: exact.
        Naive.rowMax(rows: rows, cols: cols, x, &o1)
        SIMDKernels.rowMax(rows: rows, cols: cols, x, &o2)
        #expect(o1 == o2)
        // columnSum: same order of additions, so equal bits, with and without accumulate.
        for accumulate in [false, true] {
            var s1 = v, s2 = v
            Naive.columnSum(rows: rows, cols: cols, x, &s1, accumulate: accumulate)
            SIMDKernels.columnSum(rows: rows, cols: cols, x, &s2, accumulate: accumulate)
            #expect(s1 == s2)
        }
        // addRowVector: exact.
        var m1 = x, m2 = x
        Naive.addRowVector(rows: rows, cols: cols, v, &m1)
        SIMDKernels.addRowVector(rows: rows, cols: cols, v, &m2)
        #expect(m1 == m2)
        // softmaxRows: per element within ((cols + 4)·ε + 4e-7)·y (exp error plus
        // the sum's reassociation plus one extra rounding), in place too.
        var y1 = x, y2 = x
        Naive.softmaxRows(rows: rows, cols: cols, x, &y1)
        y2.withUnsafeMutableBufferPointer { p in
            SIMDKernels.softmaxRows(rows: rows, cols: cols, p.baseAddress!, p.baseAddress!)
        }
        let tol = T(cols + 4) * T.ulpOfOne + (T.self == Float.self ? 4e-7 : 0)
        for i in 0..<(rows * cols) {
            #expect(abs(y1[i] - y2[i]) <= tol * y1[i] + T.leastNormalMagnitude)
        }
    }

    @Test("softmax of large inputs does not overflow")
    func softmaxLarge() {
        let x: [Float] = [1000, 999, -1000, -1000, -1000, 1000, 1000, 1000, 1000, 998]
        var y = [Float](repeating: 0, count: x.count)
        SIMDKernels.softmaxRows(rows: 2, cols: 5, x, &y)
        #expect(y.allSatisfy { $0.isFinite && $0 >= 0 })
        let e1 = Float(Foundation.exp(-1.0))
        #expect(abs(y[0] - 1 / (1 + e1)) <= 1e-6)
        #expect(abs(y[1] - e1 / (1 + e1)) <= 1e-6)
        #expect(y[2] == 0 && y[3] == 0 && y[4] == 0)
        for i in 5..<9 { #expect(abs(y[i] - y[5]) <= 1e-7) }
        #expect(abs(y[5...].reduce(0, +) - 1) <= 1e-6)
        var yd = [Double](repeating: 0, count: 3)
        SIMDKernels.softmaxRows(rows: 1, cols: 3, [1e300, 1e300, -1e300], &yd)
        #expect(yd == [0.5, 0.5, 0])
    }
}
