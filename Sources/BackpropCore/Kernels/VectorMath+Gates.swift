// The sigmoid and tanh of a recurrent cell's gates (chapter 6), eight Floats
// at once: the same arithmetic as `VectorMath.sigmoid`/`VectorMath.tanh`
// with the exponential's range handling cut down to what a gate needs.
//
// Why: a char-LSTM training step evaluates 5 of these per hidden unit, batch
// row and time step (3 σ, 2 tanh: 2.6 million per sweep). `VectorMath.exp`
// must be right for every Float input, so it clamps to [−104, 89], scales
// by 2ⁿ in two factors (a single 2ⁿ is not a normal Float for every n in
// [−150, 128]) and puts NaN back at the end: about nine vector operations
// of its ~25 that a gate can do without. Here the argument of exp is first
// clamped to [−87, 88], so n = round(y·log₂e) lies in [−126, 127] and 2ⁿ
// is one normal Float built from bits, applied with one multiplication.
//
// Floating point (the contract, checked in KernelTwinTests+Gates.swift):
// - Inside [−87, 88] `gateExp` computes the same reduction r, the same
//   polynomial p ≈ eʳ and the same product p·2ⁿ as `VectorMath.exp`, whose
//   two-factor product is exact there (every partial product is a normal
//   Float times a power of two): the results are bit-identical, so the
//   error bound is VectorMath.exp's (relative < 2⁻²³, measured 7.9e-8).
// - `gateTanh(x)` is bit-identical to `VectorMath.tanh(x)` for every x
//   (relative error ≤ 4e-7): it uses exp only at 2|x| ≥ 0.6, and where 2|x|
//   > 88 both give 1 − 2/(e^y + 1) = 1 exactly (2/(e⁸⁸ + 1) ≈ 1.2e-38 is far
//   below half an ulp of 1), as does tanh itself in Float past |x| ≈ 9.
//   NaN gives NaN (it passes the clamp and the polynomial unchanged).
// - `gateSigmoid(x)` is bit-identical to `VectorMath.sigmoid(x)` (relative
//   error ≤ 2.5e-7) for x ≥ −88, including x > 87 where both are exactly 1.
//   Below −88, where σ(x) < 6.1e-39 is subnormal (σ(−88) ≈ 6.05e-39 and
//   VectorMath's σ reaches 0 at x ≈ −88.7), it returns σ(−88): the absolute
//   error is below σ(−88) < 6.1e-39, which no gate product can notice (the
//   gates multiply bounded values: c, g, tanh c, dh). NaN gives NaN.
// The naive twin keeps Foundation's exp and tanh (CellKind.swift).

extension VectorMath {
    /// eʸ for y already clamped to [−87, 88] (see above): one 2ⁿ factor, no
    /// special values.
    @_transparent @usableFromInline
    static func gateExp(_ y: SIMD8<Float>) -> SIMD8<Float> {
        let (p, n) = reducedExp(y)
        return p * powerOfTwo(n)
    }

    /// σ(x) = 1 / (1 + e⁻ˣ) for a gate: `sigmoid`'s result for x ≥ −88,
    /// σ(−88) below (see above).
    @_transparent
    public static func gateSigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // −x clamped to [−87, 88] by compare-and-select (vminps/vmaxps)
        var y = (-x).replacing(with: 88, where: -x .> 88)
        y = y.replacing(with: -87, where: y .< -87)
        return 1 / (1 + gateExp(y))
    }

    /// tanh x for a gate, bit-identical to `tanh` (see above).
    @_transparent
    public static func gateTanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let ax = magnitude(x), twice = ax + ax
        return tanh(x, ax, large: 1 - 2 / (gateExp(twice.replacing(with: 88, where: twice .> 88)) + 1))
    }
}
