// KernelTwinTests+Gates: the gate versions of sigmoid and tanh
// (BackpropCore/Kernels/VectorMath+Gates.swift) against the contract stated
// there: bit-identical to VectorMath's sigmoid (x ≥ −88) and tanh (all x),
// whose error bounds they inherit, checked again here against Double over
// the whole line the cells can see; below −88 the sigmoid is σ(−88), within
// σ(−88) < 6.1e-39 of the exact value.

import Foundation
import Testing
@testable import BackpropCore

extension KernelTwinTests {
    /// n evenly spaced Floats of [lo, hi], eight at a time.
    static func lanes(_ lo: Double, _ hi: Double, _ n: Int, _ body: (SIMD8<Float>) -> Void) {
        for chunk in 0..<(n / 8) {
            var x = SIMD8<Float>()
            for l in 0..<8 { x[l] = Float(lo + (hi - lo) * Double(chunk * 8 + l) / Double(n - 1)) }
            body(x)
        }
    }

    @Test("gateTanh is VectorMath.tanh bit for bit, relative error ≤ 4e-7 against Double")
    func gateTanhMatchesTanh() {
        var differing = 0, worst = 0.0
        Self.lanes(-100, 100, 1 << 17) { x in
            let (t, reference) = (VectorMath.gateTanh(x), VectorMath.tanh(x))
            for l in 0..<8 {
                if t[l].bitPattern != reference[l].bitPattern { differing += 1 }
                let exact = Foundation.tanh(Double(x[l]))
                if exact != 0 { worst = max(worst, abs(Double(t[l]) - exact) / abs(exact)) }
            }
        }
        #expect(differing == 0)
        #expect(worst <= 4e-7, "max relative error \(worst)")
        // near 0 and where 2|x| passes the clamp at 88
        Self.lanes(-1, 1, 1 << 12) { x in #expect(VectorMath.gateTanh(x) == VectorMath.tanh(x)) }
        Self.lanes(43, 45, 1 << 10) { x in #expect(VectorMath.gateTanh(x) == VectorMath.tanh(x)) }
        let special = SIMD8<Float>(0, -0.0, .infinity, -.infinity, 1e-30, -Float.leastNonzeroMagnitude, 1e30, .nan)
        let t = VectorMath.gateTanh(special)
        #expect(t[0] == 0 && t[1] == 0 && t[1].sign == .minus && t[2] == 1 && t[3] == -1)
        #expect(t[4] == 1e-30 && t[5] == -Float.leastNonzeroMagnitude && t[6] == 1 && t[7].isNaN)
    }

    @Test("gateSigmoid is VectorMath.sigmoid bit for bit for x ≥ −88, within 6.1e-39 of σ below")
    func gateSigmoidMatchesSigmoid() {
        var differing = 0, worst = 0.0
        Self.lanes(-88, 100, 1 << 17) { x in
            let (s, reference) = (VectorMath.gateSigmoid(x), VectorMath.sigmoid(x))
            for l in 0..<8 {
                if s[l].bitPattern != reference[l].bitPattern { differing += 1 }
                let exact = 1 / (1 + Foundation.exp(-Double(x[l])))
                if exact >= Double(Float.leastNormalMagnitude) {
                    worst = max(worst, abs(Double(s[l]) - exact) / exact)
                }
            }
        }
        #expect(differing == 0)
        #expect(worst <= 2.5e-7, "max relative error \(worst)")
        // the subnormal tail: σ(−88) ≈ 6.05e-39 for every x < −88
        let bound = 6.1e-39
        Self.lanes(-1000, -88, 1 << 12) { x in
            let s = VectorMath.gateSigmoid(x)
            for l in 0..<8 {
                let exact = 1 / (1 + Foundation.exp(-Double(x[l])))
                #expect(s[l] >= 0 && abs(Double(s[l]) - exact) < bound, "σ(\(x[l])) = \(s[l])")
            }
        }
        let s = VectorMath.gateSigmoid(SIMD8<Float>(0, .infinity, -.infinity, 87.5, 88.5, -88.5, 20, .nan))
        #expect(s[0] == 0.5 && s[1] == 1 && s[3] == 1 && s[4] == 1 && s[7].isNaN)
        #expect(s[2] > 0 && Double(s[2]) < bound && s[5] == s[2])
        #expect(s[6] == VectorMath.sigmoid(SIMD8(repeating: 20))[0])
    }
}
