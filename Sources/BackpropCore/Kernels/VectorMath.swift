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
// - `erf` (absolute error ≤ 2.5e-7 ≈ 2 ulp of 1, measured 1.27e-7; relative ≤
//   2e-7 for |x| < 0.5, measured 1.0e-7), `normalCDF` Φ(x) = ½(1 + erf(x/√2)) (relative error
//   ≤ 5e-7 over the whole line, including the far left tail where Φ is tiny,
//   measured 3.4e-7 on 2²² points), and from them `gelu` = x·Φ(x) and its derivative
//   Φ(x) + x·φ(x). The error bounds are checked in KernelTwinTests on dense
//   sweeps against Foundation.erf/erfc in Double.
// - `geluTanh` = ½x(1 + tanh u) = x·σ(2u), u = √(2/π)(x + 0.044715x³), and
//   its derivative, built on `exp` (relative error ≤ (2 + 2|u|)·ε: the
//   rounding of u itself is amplified by |u| in the left tail).
//
// Everything is `@_transparent` (inlined at every call site, also in other
// modules, by the mandatory SIL inliner). `@inlinable @inline(__always)`
// was not enough: LLVM judged `exp` "not profitable" to inline (cost 1187)
// and every call split the SIMD8 into two halves, costing 2–4× in gelu.

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
    @_transparent
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        typealias V = SIMD8<Float>
        // Clamp so the exponent arithmetic below cannot overflow: e⁸⁹ is
        // already +∞ and e⁻¹⁰⁴ already rounds to 0 in Float. (Written as
        // compare-and-select, which becomes vminps/vmaxps; `clamped` and
        // `pointwiseMin` are not inlined and cost a call each.)
        var xc = x.replacing(with: 89, where: x .> 89)
        xc = xc.replacing(with: -104, where: xc .< -104)
        let (p, n) = reducedExp(xc)
        let n1 = (n * 0.5).rounded(.down)
        let result = p * powerOfTwo(n1) * powerOfTwo(n - n1)
        // NaN passed the clamp unchanged and produced garbage bits: restore it.
        return result.replacing(with: x, where: x .!= x)
    }

    /// The two halves of eˣ = eʳ·2ⁿ described above `exp`: n = round(x/ln2)
    /// and eʳ by Horner (for x already clamped; shared with `gateExp`).
    @_transparent @usableFromInline
    static func reducedExp(_ x: SIMD8<Float>) -> (p: SIMD8<Float>, n: SIMD8<Float>) {
        typealias V = SIMD8<Float>
        let n = (x * 1.442_695_04).rounded(.toNearestOrEven)
        var r = x.addingProduct(-n, V(repeating: 0.693_147_182_464_599_609_375))
        r = r.addingProduct(-n, V(repeating: -1.904_654_299_957_768e-9))
        var p = V(repeating: 1.0 / 5040)
        p = V(repeating: 1.0 / 720).addingProduct(p, r)
        p = V(repeating: 1.0 / 120).addingProduct(p, r)
        p = V(repeating: 1.0 / 24).addingProduct(p, r)
        p = V(repeating: 1.0 / 6).addingProduct(p, r)
        p = V(repeating: 0.5).addingProduct(p, r)
        p = V(repeating: 1).addingProduct(p, r)
        p = V(repeating: 1).addingProduct(p, r)
        return (p, n)
    }

    /// 2ⁿ for integral n in [−126, 127], built from bits: adding 1.5·2²³
    /// puts n in the low mantissa bits (bits = 0x4B40_0000 + n); adding the
    /// bias 127 and shifting left by 23 drops the constant part and leaves
    /// (n + 127) in the exponent field.
    @_transparent @usableFromInline
    static func powerOfTwo(_ n: SIMD8<Float>) -> SIMD8<Float> {
        let shifted = n + 12_582_912  // 1.5·2²³
        let bits = unsafeBitCast(shifted, to: SIMD8<UInt32>.self)
        return unsafeBitCast((bits &+ 127) &<< 23, to: SIMD8<Float>.self)
    }

    /// σ(x) = 1 / (1 + e⁻ˣ). For x → −∞, e⁻ˣ overflows to +∞ and σ → 0;
    /// for x → +∞, e⁻ˣ → 0 and σ → 1. Relative error ≈ that of exp plus two
    /// roundings.
    @_transparent
    public static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
        1 / (1 + exp(-x))
    }

    /// tanh x. For |x| ≥ 0.3: 1 − 2/(e^(2|x|) + 1), which loses at most a
    /// factor 1/tanh(0.3) ≈ 3.4 of relative accuracy to cancellation. For
    /// |x| < 0.3: the odd Taylor series x − x³/3 + 2x⁵/15 − 17x⁷/315 +
    /// 62x⁹/2835, whose first omitted term is below 2e-8·|x|. The sign is
    /// copied back from x (tanh is odd); ±∞ → ±1, NaN → NaN.
    @_transparent
    public static func tanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let ax = magnitude(x)
        return tanh(x, ax, large: 1 - 2 / (exp(ax + ax) + 1))
    }

    /// |x| lane by lane (the sign bit cleared).
    @_transparent @usableFromInline
    static func magnitude(_ x: SIMD8<Float>) -> SIMD8<Float> {
        unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: SIMD8<Float>.self)
    }

    /// tanh x from |x| and `large` = 1 − 2/(e^(2|x|) + 1): the series below
    /// 0.3, then x's sign (shared by `tanh` and `gateTanh`).
    @_transparent @usableFromInline
    static func tanh(_ x: SIMD8<Float>, _ ax: SIMD8<Float>, large: SIMD8<Float>) -> SIMD8<Float> {
        typealias V = SIMD8<Float>
        let signMask = SIMD8<UInt32>(repeating: 0x8000_0000)
        let xBits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
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

    // MARK: erf, the normal CDF and GELU

    /// erf x for eight lanes; |error| ≤ 2.5e-7 absolute everywhere (about two
    /// ulp of 1) and ≤ 2e-7 relative for |x| < 0.5. erf(±∞) = ±1, NaN → NaN.
    ///
    /// |x| < 0.5: erf x = x + x·R(x²), R a degree-4 polynomial fitted
    /// (minimax in relative error, Lawson's iteration, 1.4e-9) to erf(x)/x − 1;
    /// the final FMA makes the result nearly correctly rounded.
    /// |x| ≥ 0.5: erf x = sign(x)·(1 − erfc|x|), erfc from `erfcTail`.
    @_transparent
    public static func erf(_ x: SIMD8<Float>) -> SIMD8<Float> {
        typealias V = SIMD8<Float>
        let signMask = SIMD8<UInt32>(repeating: 0x8000_0000)
        let xBits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        let ax = unsafeBitCast(xBits & ~signMask, to: V.self)
        let z = x * x
        var r = V(repeating: 0.004717990025067462)
        r = V(repeating: -0.02675718433903392).addingProduct(r, z)
        r = V(repeating: 0.11282822813022196).addingProduct(r, z)
        r = V(repeating: -0.3761260857319276).addingProduct(r, z)
        r = V(repeating: 0.1283791655674369).addingProduct(r, z)
        let small = x.addingProduct(x, r)
        // e^(−a²) with a² = hi + lo exactly (FMA), e^(−lo) ≈ 1 − lo.
        let a = ax.replacing(with: 10.6, where: ax .> 10.6)
        let hi = a * a
        let lo = (-hi).addingProduct(a, a)
        let e = exp(-hi)
        let erfc = e.addingProduct(-e, lo) * erfcTail(a)
        let large = unsafeBitCast(unsafeBitCast(1 - erfc, to: SIMD8<UInt32>.self) | (xBits & signMask), to: V.self)
        return large.replacing(with: small, where: ax .< 0.5)
    }

    /// G(a) = e^(a²)·erfc(a) (the scaled complementary error function) for
    /// a ≥ 0.48: relative error ≤ 2e-7 (about 1.5 ulp).
    ///
    /// With t = 1/(1 + a/2) ∈ (0, 0.81], G = t·P(t), P of degree 9 fitted
    /// (minimax in relative error over a ∈ [0.48, 10.6]: 3.1e-9) to G/t.
    /// Rounding t to a Float would move a by up to (2 + a)·ε/2 and cost an
    /// ulp, so the rounding error η = t·(1 + a/2) − 1 is recovered exactly
    /// with FMAs (1 + a/2 = d + dLo by two-sum) and the result corrected to
    /// first order with G′(a) = 2a·G − 2/√π: G(a) ≈ G(aₜ) + G′(aₜ)·2d·η.
    @_transparent @usableFromInline
    static func erfcTail(_ a: SIMD8<Float>) -> SIMD8<Float> {
        typealias V = SIMD8<Float>
        let h = a * 0.5
        let d = 1 + h
        // Two-sum of 1 and h: dLo = (1 + h) − d exactly.
        let big = h.replacing(with: 1, where: h .< 1)
        let small = V(repeating: 1).replacing(with: h, where: h .< 1)
        let dLo = small - (d - big)
        let t = 1 / d
        let r = V(repeating: 1).addingProduct(-t, d)  // 1 − t·d, exact
        let eta = (-r).addingProduct(t, dLo)           // t·(d + dLo) − 1
        var p = V(repeating: -0.030559694213223805)
        p = V(repeating: 0.06835944451535991).addingProduct(p, t)
        p = V(repeating: 0.05891250967525686).addingProduct(p, t)
        p = V(repeating: -0.2661789521760438).addingProduct(p, t)
        p = V(repeating: 0.14747906466484495).addingProduct(p, t)
        p = V(repeating: 0.020943044878914963).addingProduct(p, t)
        p = V(repeating: 0.19224797021286963).addingProduct(p, t)
        p = V(repeating: 0.2443774502247773).addingProduct(p, t)
        p = V(repeating: 0.28230538340337974).addingProduct(p, t)
        p = V(repeating: 0.28208709183777697).addingProduct(p, t)
        let g = p * t
        // a − aₜ ≈ 2d·η, where aₜ = 2(1/t − 1) is the argument t represents.
        let gPrime = (a + a) * g - 1.128_379_167_095_512_6
        return g.addingProduct(gPrime, (d + d) * eta)
    }

    /// Φ(x) and e^(−x²/2) for eight lanes (shared by `normalCDF`, `gelu` and
    /// `geluDerivative`). Φ has relative error ≤ 5e-7 everywhere.
    ///
    /// |x| < 0.7: Φ = ½ + x·S(x²), S of degree 4 fitted (1.4e-9 relative) to
    /// erf(x/√2)/(2x). Otherwise Q = Φ(−|x|) = ½e^(−x²/2)·G(|x|/√2) with G
    /// from `erfcTail`, and Φ = Q for x < 0, 1 − Q for x > 0. The exponent
    /// x²/2 = hi + lo is split exactly with an FMA and e^(−lo) ≈ 1 − lo, so
    /// the left tail keeps its relative accuracy (rounding x² would cost
    /// x²·ε/2, 7e-6 at x = −12). x is clamped to [−15, 15] first, where Φ
    /// is already exactly 0 or 1 in Float; NaN stays NaN.
    @_transparent @usableFromInline
    static func normalCDFAndGauss(_ x: SIMD8<Float>) -> (cdf: SIMD8<Float>, gauss: SIMD8<Float>) {
        typealias V = SIMD8<Float>
        var xc = x.replacing(with: 15, where: x .> 15)
        xc = xc.replacing(with: -15, where: xc .< -15)
        let ax = unsafeBitCast(unsafeBitCast(xc, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: V.self)
        let x2 = xc * xc
        let hi = x2 * 0.5
        let lo = (-x2).addingProduct(xc, xc) * 0.5
        let eHi = exp(-hi)
        let gauss = eHi.addingProduct(-eHi, lo)
        var s = V(repeating: 0.00010425383571252382)
        s = V(repeating: -0.0011825116557932294).addingProduct(s, x2)
        s = V(repeating: 0.0099727006525367).addingProduct(s, x2)
        s = V(repeating: -0.06649032645055125).addingProduct(s, x2)
        s = V(repeating: 0.3989422798611764).addingProduct(s, x2)
        let central = V(repeating: 0.5).addingProduct(xc, s)
        let q = 0.5 * gauss * erfcTail(ax * 0.707_106_781_186_547_5)
        let tail = (1 - q).replacing(with: q, where: xc .< 0)
        return (tail.replacing(with: central, where: ax .< 0.7), gauss)
    }

    /// Φ(x) = ½(1 + erf(x/√2)), the standard normal CDF; relative error ≤ 5e-7.
    @_transparent
    public static func normalCDF(_ x: SIMD8<Float>) -> SIMD8<Float> {
        normalCDFAndGauss(x).cdf
    }

    /// GELU (exact): x·Φ(x). Relative error ≤ 5e-7; ±∞ → +∞ / NaN (−∞·0) as
    /// in `Naive.apply`.
    @_transparent
    public static func gelu(_ x: SIMD8<Float>) -> SIMD8<Float> {
        x * normalCDFAndGauss(x).cdf
    }

    /// d/dx [x·Φ(x)] = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π); absolute error
    /// ≤ 5e-7·(Φ + |x|φ). One exp serves both terms.
    @_transparent
    public static func geluDerivative(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let (cdf, gauss) = normalCDFAndGauss(x)
        return cdf.addingProduct(x * 0.398_942_280_401_432_7, gauss)
    }

    /// GELU, tanh form: ½x(1 + tanh u) = x·σ(2u) = x / (1 + e^(−2u)),
    /// 2u = x·(k₀ + k₁x²), k₀ = 2√(2/π), k₁ = 2√(2/π)·0.044715. The σ form
    /// avoids the cancellation of 1 + tanh u for x < 0.
    @_transparent
    public static func geluTanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let twoU = x * SIMD8(repeating: 1.595_769_121_605_730_7).addingProduct(x * x, SIMD8(repeating: 0.071_354_816_272_600_25))
        return x / (1 + exp(-twoU))
    }

    /// d/dx of ½x(1 + tanh u): with s = σ(2u) and e = e^(−2u), ½(1 + tanh u) = s
    /// and ½(1 − tanh²u) = 2s(1 − s) = 2e·s², so
    /// f′ = s + x·(k₀ + 3k₁x²)·(e·s)·s, with e·s = 1 − s taken as 1 when e
    /// overflows (then s = 0 and the term is 0, like Naive's).
    @_transparent
    public static func geluTanhDerivative(_ x: SIMD8<Float>) -> SIMD8<Float> {
        typealias V = SIMD8<Float>
        let x2 = x * x
        let twoU = x * V(repeating: 1.595_769_121_605_730_7).addingProduct(x2, V(repeating: 0.071_354_816_272_600_25))
        let e = exp(-twoU)
        let s = 1 / (1 + e)
        let es = (e * s).replacing(with: 1, where: e .== .infinity)
        let k = x * V(repeating: 1.595_769_121_605_730_7).addingProduct(x2, V(repeating: 0.214_064_448_817_800_76))
        return s.addingProduct(k * es, s)
    }
}
