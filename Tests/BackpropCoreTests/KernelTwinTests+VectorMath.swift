// KernelTwinTests+VectorMath: the error bounds stated in VectorMath.swift,
// which the Float twins of exp, sigmoid, tanh, gelu and their derivatives
// rely on (contract and sizes in KernelTwinTests.swift).
// - `VectorMath.exp` is checked against Double-precision `exp` on a dense
//   sweep of [−87, 88], in the subnormal range, and on special values.
// - `VectorMath.erf`/`normalCDF`/GELU error bounds on dense sweeps against
//   Foundation's erf/erfc in Double.

import Foundation
import Testing
@testable import BackpropCore

extension KernelTwinTests {
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
