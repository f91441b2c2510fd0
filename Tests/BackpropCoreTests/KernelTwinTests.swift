// KernelTwinTests: SIMDKernels must compute what Naive computes.
//
// Contract
// - Every kernel of `SIMDKernels` is compared with `Naive` on seeded random
//   inputs, for Float and Double, on odd and round sizes (1, 7, 33, 65, 129,
//   64, 128 …), all three matmul layouts, with and without `accumulate`.
// - Tolerances are stated per kernel and derived from rounding-error bounds,
//   not tuned: a sum of k products computed in two different orders differs
//   by at most k·ε·Σ|terms| (each is within (k/2)·ε of the exact sum).
// - `VectorMath.exp` is checked against Double-precision `exp` on a dense
//   sweep of [−87, 88] (the bound stated in VectorMath.swift), in the
//   subnormal range, and on special values.
// - Every `UnaryFunction`'s hand-written derivative (`Naive.derivative`) is
//   checked against centered finite differences of `Naive.apply` in Double;
//   `map`/`mapBackward` twins for every function, on odd sizes and special
//   inputs; `softmaxRowsBackward`, `adamStep` and `sgdStep` twins over
//   several steps; `VectorMath.erf`/`normalCDF`/GELU error bounds on dense
//   sweeps against Foundation's erf/erfc in Double.
// - Sizes stay ≤ 129 (and one long, thin case) so the whole suite runs in a
//   few seconds in a debug build, where SIMD code is ~100× slower.

import Foundation
import Testing
@testable import BackpropCore

/// SplitMix64 (Steele, Lea & Flood 2014): a 64-bit counter passed through a
/// bijective mixer. Local to this file so the tests do not depend on the
/// project's RNG.
private struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [−1, 1), from the top 53 bits.
    mutating func symmetric() -> Double {
        Double(next() >> 11) * 0x1p-52 - 1
    }

    mutating func array<T: TensorScalar>(_: T.Type, _ count: Int, scale: Double = 1) -> [T] {
        (0..<count).map { _ in T(symmetric() * scale) }
    }
}

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
        var rng = SplitMix64(state: UInt64(s.m * 1_000_003 + s.n * 1009 + s.k))
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

    @Test("matmul split over threads (forced on small shapes)")
    func matmulThreaded() {
        for shape in [GemmShape(m: 65, n: 33, k: 129), GemmShape(m: 7, n: 9, k: 5)] {
            for layout in MatmulLayout.allCases {
                checkMatmul(Float.self, shape, layout, threads: 2)
                checkMatmul(Double.self, shape, layout, threads: 2)
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
        var rng = SplitMix64(state: UInt64(count))
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
        var rng = SplitMix64(state: UInt64(count) + 77)
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
        var rng = SplitMix64(state: UInt64(rows * 7919 + cols))
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

    // MARK: vector exp

    /// Relative error < ε = 2⁻²³ against exp in Double wherever eˣ is a
    /// normal Float (x ≥ −87.33); one subnormal ulp of absolute error below.
    @Test("VectorMath.exp error bound over [-87, 88] and the subnormal range")
    func expErrorBound() {
        var worst = 0.0
        let n = 1 << 17  // 2¹⁷ points, ~1.3e-3 apart
        for chunk in 0..<(n / 8) {
            var x = SIMD8<Float>()
            for l in 0..<8 { x[l] = Float(-87 + 175 * Double(chunk * 8 + l) / Double(n - 1)) }
            let y = VectorMath.exp(x)
            for l in 0..<8 {
                let exact = Foundation.exp(Double(x[l]))
                worst = max(worst, abs(Double(y[l]) - exact) / exact)
            }
        }
        #expect(worst < Double(Float.ulpOfOne), "max relative error \(worst)")
        for chunk in 0..<256 {
            var x = SIMD8<Float>()
            for l in 0..<8 { x[l] = Float(-103.5 + 16.1 * Double(chunk * 8 + l) / 2047) }
            let y = VectorMath.exp(x)
            for l in 0..<8 {
                let exact = Foundation.exp(Double(x[l]))
                let ok = exact < Double(Float.leastNormalMagnitude)
                    ? abs(Double(y[l]) - exact) <= Double(Float.leastNonzeroMagnitude)
                    : abs(Double(y[l]) - exact) < Double(Float.ulpOfOne) * exact
                #expect(ok, "exp(\(x[l])) = \(y[l]), exact \(exact)")
            }
        }
    }

    @Test("VectorMath special values")
    func expSpecialValues() {
        let x = SIMD8<Float>(0, -.infinity, .infinity, 88.8, 1000, -104, -1000, .nan)
        let y = VectorMath.exp(x)
        #expect(y[0] == 1)
        #expect(y[1] == 0)
        #expect(y[2] == .infinity && y[3] == .infinity && y[4] == .infinity)
        #expect(y[5] == 0 && y[6] == 0)
        #expect(y[7].isNaN)
        let s = VectorMath.sigmoid(x)
        #expect(s[0] == 0.5 && s[1] == 0 && s[2] == 1 && s[6] == 0 && s[7].isNaN)
        let t = VectorMath.tanh(SIMD8<Float>(0, -.infinity, .infinity, 20, -20, 1e-30, -0.25, .nan))
        #expect(t[0] == 0 && t[1] == -1 && t[2] == 1 && t[3] == 1 && t[4] == -1)
        #expect(t[5] == 1e-30)
        #expect(abs(t[6] - Foundation.tanhf(-0.25)) <= 1e-7)
        #expect(t[7].isNaN)
    }

    // MARK: derivatives, backward and optimizer twins

    /// Centered differences (f(x + h) − f(x − h)) / 2h with h = 1e-6 on 240
    /// points of [−6, 6] (never x = 0, so relu/leakyRelu stay off their kink:
    /// the nearest points are ±0.025). Error of the difference quotient:
    /// truncation h²/6·|f‴| ≤ 1.7e-13·|f‴| plus rounding ≈ ε·|f|/h ≈
    /// 2.2e-10·|f|. On [−6, 6] every |f‴| ≤ 10·(1 + |f|) (exp‴ = exp; the
    /// others are bounded by 2), so 1e-8·(1 + |f(x)|) has a margin of ~40.
    @Test("Naive.derivative matches finite differences of Naive.apply (Double)")
    func derivativesMatchFiniteDifferences() {
        let h = 1e-6, n = 240
        for f in UnaryFunction.all {
            var worst = 0.0
            for k in 0..<n {
                let x = -6 + 12 * (Double(k) + 0.5) / Double(n)
                let y = Naive.apply(f, x)
                let fd = (Naive.apply(f, x + h) - Naive.apply(f, x - h)) / (2 * h)
                let d = Naive.derivative(f, x: x, y: y)
                worst = max(worst, abs(fd - d) / (1 + abs(y)))
            }
            #expect(worst <= 1e-8, "\(f.name): worst scaled error \(worst)")
        }
    }

    static let oddCounts = [1, 7, 33, 65, 129]

    /// true when `a` and `b` are both NaN, equal (covers ±∞), or within `tol`.
    static func agree<T: TensorScalar>(_ a: T, _ b: T, _ tol: T) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a.isInfinite || b.isInfinite { return a == b }
        return abs(a - b) <= tol
    }

    /// Φ(x) and φ(x) in Double (erfc keeps the left tail accurate).
    static func phi(_ x: Double) -> (cdf: Double, pdf: Double) {
        (0.5 * Foundation.erfc(-x / 2.0.squareRoot()), Foundation.exp(-x * x / 2) * 0.3989422804014327)
    }

    /// Allowed |simd − naive| for y = f(x), in T. relu, leakyRelu: equal bits
    /// (same select and product). exp 2e-7, sigmoid and tanh 5e-7 relative
    /// (see `transcendental`). gelu: VectorMath's 5e-7 relative plus Naive's
    /// one rounding of Φ and one of the product (1.2e-7): 6.5e-7 relative.
    /// geluTanh: Naive's ½x(1 + tanh u) has absolute error ≈ 1.5ε·|x| (1 + t
    /// cancels for x < 0), VectorMath's x·σ(2u) ≤ 2ε·|x|: 6ε·|x|. Double:
    /// every function goes through the same libm calls or the same
    /// operations as Naive, so equal bits. A subnormal-sized absolute floor
    /// covers results that underflow.
    static func mapTolerance<T: TensorScalar>(_ f: UnaryFunction, x: T, naive: T) -> T {
        if T.self == Double.self { return 0 }
        let eps = T.ulpOfOne, floor = T.leastNormalMagnitude
        switch f {
        case .relu, .leakyRelu: return 0
        case .exp: return 2e-7 * abs(naive) + floor
        case .sigmoid, .tanh: return 5e-7 * abs(naive) + floor
        case .gelu: return 6.5e-7 * abs(naive) + floor
        case .geluTanh: return 6 * eps * abs(x) + floor
        }
    }

    /// Allowed |simd − naive| for dx = dy·f′(x). relu, leakyRelu, sigmoid,
    /// exp: the same operations, equal bits (both types). tanh: SIMD fuses
    /// 1 − y² into one FMA, Naive rounds y² first: 2ε·|dy|·(1 + y²).
    /// gelu (Float): VectorMath's 5e-7·(Φ + |x|φ) plus Naive's own errors:
    /// a few roundings, and its Float exp(−x·x/2) whose argument is off by
    /// up to x²ε/4 (x·x rounds), i.e. φ off by x²ε/4 relative (1.2e-6 at
    /// x = −6.4): |dy|·(8e-7·(Φ + |x|φ) + (x²/2)·ε·|x|φ). geluTanh (Float): Naive's
    /// ½(1 + t) + ½x(1 − t²)c(1 + 0.134x²) has absolute error
    /// ≈ ε·(1 + |x|c(1 + 0.134x²)) from t's rounding; 4ε times that.
    /// Double gelu and geluTanh call Naive.derivative: equal bits.
    static func backwardTolerance<T: TensorScalar>(_ f: UnaryFunction, x: T, y: T, dy: T) -> T {
        let eps = T.ulpOfOne, floor = T.leastNormalMagnitude
        switch f {
        case .relu, .leakyRelu, .sigmoid, .exp: return 0
        case .tanh: return 2 * eps * abs(dy) * (1 + y * y)
        case .gelu, .geluTanh:
            if T.self == Double.self { return 0 }
            let xd = Double(x)
            let mag: Double
            if f == .gelu {
                let (cdf, pdf) = phi(xd)
                mag = 8e-7 * (cdf + abs(xd) * pdf) + xd * xd / 2 * Double(eps) * abs(xd) * pdf
            } else {
                mag = 4 * Double(eps) * (1 + abs(xd) * 0.7978845608028654 * (1 + 0.134145 * xd * xd))
            }
            return abs(dy) * T(mag) + floor
        }
    }

    func checkMapTwins<T: TensorScalar>(_: T.Type, _ f: UnaryFunction, _ x: [T], dy: [T]) {
        let count = x.count
        var y1 = x, y2 = x
        Naive.map(f, count: count, x, &y1)
        SIMDKernels.map(f, count: count, x, &y2)
        for i in 0..<count {
            let tol = Self.mapTolerance(f, x: x[i], naive: y1[i])
            #expect(Self.agree(y1[i], y2[i], tol), "\(T.self) \(f.name)(\(x[i])): naive \(y1[i]) simd \(y2[i])")
        }
        var d1 = dy, d2 = dy
        Naive.mapBackward(f, count: count, x: x, y: y1, dy: dy, dx: &d1)
        // dx aliases dy here.
        d2.withUnsafeMutableBufferPointer { p in
            SIMDKernels.mapBackward(f, count: count, x: x, y: y1, dy: p.baseAddress!, dx: p.baseAddress!)
        }
        for i in 0..<count {
            let tol = Self.backwardTolerance(f, x: x[i], y: y1[i], dy: dy[i])
            #expect(Self.agree(d1[i], d2[i], tol), "\(T.self) \(f.name)′(\(x[i])): naive \(d1[i]) simd \(d2[i])")
        }
    }

    @Test("map and mapBackward, every UnaryFunction, odd sizes", arguments: oddCounts)
    func mapAndBackwardTwins(_ count: Int) {
        var rng = SplitMix64(state: UInt64(count) &* 31 &+ 5)
        let xd = rng.array(Double.self, count, scale: 7), dyd = rng.array(Double.self, count)
        for f in UnaryFunction.all {
            checkMapTwins(Float.self, f, xd.map(Float.init), dy: dyd.map(Float.init))
            checkMapTwins(Double.self, f, xd, dy: dyd)
        }
    }

    /// Special inputs. NaN behaviour is Naive's, checked lane by lane: NaN x
    /// gives relu 0, relu′ 0 and leakyRelu′ = slope (the `x > 0` test is
    /// false), NaN for every other function and derivative. ±∞: exp(−∞) = 0,
    /// gelu(−∞) = −∞·Φ(−∞) = NaN (as Naive), gelu′(±∞) = NaN (∞·0 in x·φ),
    /// geluTanh(−∞) = NaN, geluTanh′(±∞) = NaN. Large finite inputs saturate
    /// (±1e10, ±100) and tiny ones (±1e-30, ±0) pass through.
    @Test("map and mapBackward on special inputs")
    func mapSpecialInputs() {
        let special: [Double] = [0, -0.0, 1e-30, -1e-30, 100, -100, 1e10, -1e10,
                                 .infinity, -.infinity, .nan, 0.5, -0.7, 0.70710678, -3, 15, -15, 9]
        let dy = special.indices.map { Double($0 % 3) - 0.75 }
        for f in UnaryFunction.all {
            checkMapTwins(Float.self, f, special.map(Float.init), dy: dy.map(Float.init))
            checkMapTwins(Double.self, f, special, dy: dy)
        }
        var y = [Float](repeating: 0, count: 3)
        SIMDKernels.map(.relu, count: 3, [Float.nan, -1, 2], &y)
        #expect(y == [0, 0, 2])
        SIMDKernels.map(.gelu, count: 3, [Float.nan, -.infinity, .infinity], &y)
        #expect(y[0].isNaN && y[1].isNaN && y[2] == .infinity)
    }

    /// Float gelu and gelu′ split over two threads from
    /// `parallelMapThreshold` elements on: both halves and the seam agree
    /// with Naive (same tolerances as above).
    @Test("gelu map and mapBackward above the two-thread threshold")
    func geluTwoThreads() {
        let count = SIMDKernels.parallelMapThreshold + 13
        var rng = SplitMix64(state: 99)
        let x = rng.array(Float.self, count, scale: 7), dy = rng.array(Float.self, count)
        checkMapTwins(Float.self, .gelu, x, dy: dy)
    }

    @Test("softmaxRowsBackward", arguments: [(1, 1), (7, 33), (33, 7), (65, 129), (3, 1000)])
    func softmaxBackwardTwins(_ rows: Int, _ cols: Int) {
        softmaxBackwardTwins(Float.self, rows, cols)
        softmaxBackwardTwins(Double.self, rows, cols)
    }

    /// s = Σ dY·Y is summed in a different order (within cols·ε·Σ|dY·Y|);
    /// then dX = Y(dY − s) has two more roundings on each side:
    /// |Δ| ≤ Y·((cols + 2)·ε·Σ|dY·Y| + 2ε·(|dY| + |s|)).
    func softmaxBackwardTwins<T: TensorScalar>(_: T.Type, _ rows: Int, _ cols: Int) {
        var rng = SplitMix64(state: UInt64(rows * 131 + cols))
        let logits = rng.array(T.self, rows * cols, scale: 3), dy = rng.array(T.self, rows * cols)
        var y = logits
        Naive.softmaxRows(rows: rows, cols: cols, logits, &y)
        var d1 = dy, d2 = dy
        Naive.softmaxRowsBackward(rows: rows, cols: cols, y: y, dy: dy, dx: &d1)
        d2.withUnsafeMutableBufferPointer { p in
            SIMDKernels.softmaxRowsBackward(rows: rows, cols: cols, y: y, dy: p.baseAddress!, dx: p.baseAddress!)
        }
        let eps = T.ulpOfOne
        for r in 0..<rows {
            var s: T = 0, mag: T = 0
            for j in 0..<cols { s += dy[r * cols + j] * y[r * cols + j]; mag += abs(dy[r * cols + j] * y[r * cols + j]) }
            for j in 0..<cols {
                let i = r * cols + j
                let tol = y[i] * (T(cols + 2) * eps * mag + 2 * eps * (abs(dy[i]) + abs(s)))
                #expect(abs(d1[i] - d2[i]) <= tol, "\(T.self) [\(r), \(j)]: \(d1[i]) vs \(d2[i])")
            }
        }
    }

    /// Relative tolerance of the optimizer twins: FMAs and the reciprocal
    /// bias corrections change a few roundings per step (each ≤ ε/2 of a
    /// term), and the differences carry over to the next step: 1e-6 (8.4ε)
    /// for Float, 1e-14 (45ε) for Double, times the magnitude of the terms
    /// each quantity is built from.
    static func optimizerTolerance<T: TensorScalar>(_: T.Type) -> T {
        T.self == Float.self ? 1e-6 : 1e-14
    }

    @Test("adamStep (Adam and AdamW, weight decay, steps 1–3)", arguments: oddCounts)
    func adamTwins(_ count: Int) {
        for decoupled in [true, false] {
            adamTwins(Float.self, count, decoupled: decoupled)
            adamTwins(Double.self, count, decoupled: decoupled)
        }
    }

    func adamTwins<T: TensorScalar>(_: T.Type, _ count: Int, decoupled: Bool) {
        var rng = SplitMix64(state: UInt64(count) &+ (decoupled ? 1000 : 2000))
        let tol = Self.optimizerTolerance(T.self)
        var p1 = rng.array(T.self, count), m1 = [T](repeating: 0, count: count), v1 = m1
        var p2 = p1, m2 = m1, v2 = v1
        for t in 1...3 {
            let g = rng.array(T.self, count, scale: 2)
            let s = AdamStep<T>(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8,
                                weightDecay: 0.05, decoupled: decoupled, step: t)
            let pPrev = p1, mPrev = m1, vPrev = v1
            Naive.adamStep(count: count, s, parameter: &p1, gradient: g, m: &m1, v: &v1)
            SIMDKernels.adamStep(count: count, s, parameter: &p2, gradient: g, m: &m2, v: &v2)
            for i in 0..<count {
                let gEff = abs(g[i]) + (decoupled ? 0 : s.weightDecay * abs(pPrev[i]))
                let mScale = abs(m1[i]) + s.beta1 * abs(mPrev[i]) + (1 - s.beta1) * gEff
                let vScale = v1[i] + s.beta2 * vPrev[i] + (1 - s.beta2) * gEff * gEff
                // The step η·m̂/(√v̂ + ε) and its sensitivity to m's error.
                let stepScale = s.learningRate * (abs(m1[i]) + mScale) / s.correction1
                    / ((v1[i] / s.correction2).squareRoot() + s.epsilon)
                let pScale = abs(pPrev[i]) + abs(p1[i]) + stepScale
                let ctx = "\(T.self) n=\(count) decoupled=\(decoupled) t=\(t) i=\(i)"
                #expect(abs(m1[i] - m2[i]) <= tol * mScale, "m \(ctx): \(m1[i]) vs \(m2[i])")
                #expect(abs(v1[i] - v2[i]) <= tol * vScale, "v \(ctx): \(v1[i]) vs \(v2[i])")
                #expect(abs(p1[i] - p2[i]) <= tol * pScale, "θ \(ctx): \(p1[i]) vs \(p2[i])")
            }
        }
    }

    /// (momentum, dampening, weight decay, Nesterov) for `sgdTwins`.
    static let sgdConfigs: [(Double, Double, Double, Bool)] = [
        (0, 0, 0, false), (0, 0, 0.01, false),  // plain, plain with decay
        (0.9, 0, 0.01, false), (0.9, 0.1, 0.01, false),  // momentum, dampening
        (0.9, 0, 0.01, true), (0.8, 0, 0, true),  // Nesterov
    ]

    @Test("sgdStep (plain, momentum, dampening, Nesterov, weight decay; first step then later)",
          arguments: oddCounts)
    func sgdTwins(_ count: Int) {
        for c in Self.sgdConfigs {
            sgdTwins(Float.self, count, c)
            sgdTwins(Double.self, count, c)
        }
    }

    func sgdTwins<T: TensorScalar>(_: T.Type, _ count: Int, _ c: (Double, Double, Double, Bool)) {
        var rng = SplitMix64(state: UInt64(count) &* 7 &+ UInt64(c.0 * 10 + c.1 * 100 + c.2 * 1000))
        let tol = Self.optimizerTolerance(T.self)
        var p1 = rng.array(T.self, count), b1 = [T](repeating: 0, count: count)
        var p2 = p1, b2 = b1
        for t in 1...3 {
            let g = rng.array(T.self, count, scale: 2)
            let s = SGDStep<T>(learningRate: 0.05, momentum: T(c.0), dampening: T(c.1), weightDecay: T(c.2),
                               nesterov: c.3, firstStep: t == 1)
            let pPrev = p1, bPrev = b1
            Naive.sgdStep(count: count, s, parameter: &p1, gradient: g, buffer: &b1)
            SIMDKernels.sgdStep(count: count, s, parameter: &p2, gradient: g, buffer: &b2)
            for i in 0..<count {
                // Magnitude of every term of b and of the direction d.
                let terms = abs(g[i]) + s.weightDecay * abs(pPrev[i]) + s.momentum * (abs(bPrev[i]) + abs(b1[i]))
                let bScale = abs(b1[i]) + terms
                let pScale = abs(pPrev[i]) + abs(p1[i]) + s.learningRate * (terms + abs(b1[i]))
                let ctx = "\(T.self) n=\(count) \(c) t=\(t) i=\(i)"
                #expect(abs(b1[i] - b2[i]) <= tol * bScale, "b \(ctx): \(b1[i]) vs \(b2[i])")
                #expect(abs(p1[i] - p2[i]) <= tol * pScale, "θ \(ctx): \(p1[i]) vs \(p2[i])")
            }
        }
        if c.0 == 0 { #expect(b2.allSatisfy { $0 == 0 }, "the buffer is untouched without momentum") }
    }

    // MARK: vector erf, Φ and GELU

    /// Sweeps `f` over n evenly spaced Floats of [lo, hi] and returns the
    /// largest error(f(x), x).
    static func sweep(_ lo: Double, _ hi: Double, _ n: Int, _ f: (SIMD8<Float>) -> SIMD8<Float>,
                      _ error: (Double, Double) -> Double) -> (error: Double, at: Double) {
        var worst = (error: 0.0, at: 0.0)
        for chunk in 0..<(n / 8) {
            var x = SIMD8<Float>()
            for l in 0..<8 { x[l] = Float(lo + (hi - lo) * Double(chunk * 8 + l) / Double(n - 1)) }
            let y = f(x)
            for l in 0..<8 {
                let e = error(Double(y[l]), Double(x[l]))
                if e > worst.error { worst = (e, Double(x[l])) }
            }
        }
        return worst
    }

    /// The bounds stated in VectorMath.swift, against Foundation in Double:
    /// erf: |error| ≤ 2.5e-7 on [−12, 12] (measured 1.27e-7 on 2²² points),
    /// relative ≤ 2e-7 on [−0.5, 0.5] (measured 1.0e-7). Φ: relative ≤ 5e-7
    /// on [−13, 9], left tail included (measured 3.4e-7). gelu′: absolute
    /// ≤ 5e-7·(Φ + |x|φ) (measured 1.3e-7 absolute).
    @Test("VectorMath.erf, normalCDF and gelu′ error bounds")
    func erfErrorBounds() {
        let erfAbs = Self.sweep(-12, 12, 1 << 16, VectorMath.erf) { y, x in abs(y - Foundation.erf(x)) }
        #expect(erfAbs.error <= 2.5e-7, "erf absolute error \(erfAbs.error) at \(erfAbs.at)")
        let erfRel = Self.sweep(-0.5, 0.5, 1 << 14, VectorMath.erf) { y, x in
            x == 0 ? abs(y) : abs(y - Foundation.erf(x)) / abs(Foundation.erf(x))
        }
        #expect(erfRel.error <= 2e-7, "erf relative error near 0: \(erfRel.error) at \(erfRel.at)")
        let cdf = Self.sweep(-13, 9, 1 << 16, VectorMath.normalCDF) { y, x in
            let exact = Self.phi(x).cdf
            return abs(y - exact) / exact
        }
        #expect(cdf.error <= 5e-7, "Φ relative error \(cdf.error) at \(cdf.at)")
        let dgelu = Self.sweep(-13, 9, 1 << 14, VectorMath.geluDerivative) { y, x in
            let (c, p) = Self.phi(x)
            return abs(y - (c + x * p)) / (c + abs(x) * p)
        }
        #expect(dgelu.error <= 5e-7, "gelu′ error \(dgelu.error) at \(dgelu.at)")
        let e = VectorMath.erf(SIMD8<Float>(0, -0.0, .infinity, -.infinity, .nan, 20, -20, 1e-30))
        #expect(e[0] == 0 && e[1] == 0 && e[2] == 1 && e[3] == -1 && e[4].isNaN)
        #expect(e[5] == 1 && e[6] == -1 && abs(Double(e[7]) - 1.1283791670955126e-30) <= 2e-7 * 1.13e-30)
    }
}

