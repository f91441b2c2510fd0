// KernelTwinTests+Backward: the derivatives and backward twins
// (contract and sizes in KernelTwinTests.swift).
// - Every `UnaryFunction`'s hand-written derivative (`Naive.derivative`) is
//   checked against centered finite differences of `Naive.apply` in Double.
// - `map`/`mapBackward` twins for every function, on odd sizes and special
//   inputs; `softmaxRowsBackward` twins. (The optimizers' twins are
//   chapter 2's: Tests/02-backpropagation/OptimizerKernelTests.swift.)

import Foundation
import TestSupport
import Testing
@testable import BackpropCore

extension KernelTwinTests {
    // MARK: derivatives and backward twins

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
        var rng = TwinRandom(state: UInt64(count) &* 31 &+ 5)
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
        var rng = TwinRandom(state: 99)
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
        var rng = TwinRandom(state: UInt64(rows * 131 + cols))
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
}
