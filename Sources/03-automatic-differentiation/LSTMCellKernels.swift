// The kernels of the fused LSTM cell (Variable+LSTMCell.swift): the whole
// elementwise step in one pass over memory, forward and backward, in two
// twins. Gate order i, f, g, o (PyTorch's), rows [B, 4H] of pre-activations.
//
//   forward   i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o)
//             c′ = f ⊙ c + i ⊙ g,   h′ = o ⊙ tanh c′
//             saves act = (i, f, g, o) [B, 4H] and tanh c′ [B, H]
//   backward  from dh′, dc′
//             dc̃   = dc′ + dh′ ⊙ o ⊙ (1 − tanh²c′)   (both paths into c′)
//             da_i = dc̃ ⊙ g ⊙ i(1 − i)               da_f = dc̃ ⊙ c ⊙ f(1 − f)
//             da_g = dc̃ ⊙ i ⊙ (1 − g²)               da_o = dh′ ⊙ tanh c′ ⊙ o(1 − o)
//             dc   = dc̃ ⊙ f
// These are the derivatives the unfused composition (slices, σ, tanh,
// products and sums on the tape) computes term by term, with σ′ = σ(1 − σ)
// and tanh′ = 1 − tanh² read from the saved outputs exactly as the
// engine's `sigmoid` and `tanh` read them; only the grouping of the sums
// differs (dc̃ is formed once here, where the tape adds two gradients).
//
// Naive: one element at a time, σ(x) = 1/(1 + e⁻ˣ) and tanh from libm, in
// Float or Double. SIMD: eight Float lanes with the polynomial σ and tanh of
// `VectorMath` (relative error ~1e-7, bounds in VectorMath.swift), the same
// functions the SIMD `map` kernels use, and a scalar tail for H not a
// multiple of 8; Double on the SIMD backend runs the naive loop (as the
// core's SIMD kernels run libm per element for Double). The SIMD twin runs
// the two halves of the batch on both cores.

import BackpropCore

enum LSTMCellKernels {
    /// Forward of `rows` rows: a [rows, 4H] → act [rows, 4H], c, tanhC, h [rows, H].
    static func forward<Scalar: TensorScalar>(
        backend: Backend, rows: Int, hidden: Int, a: UnsafePointer<Scalar>, cPrev: UnsafePointer<Scalar>,
        act: UnsafeMutablePointer<Scalar>, c: UnsafeMutablePointer<Scalar>, tanhC: UnsafeMutablePointer<Scalar>,
        h: UnsafeMutablePointer<Scalar>
    ) {
        guard backend == .simd, Scalar.self == Float.self else {
            return naiveForward(rows: rows, hidden: hidden, a: a, cPrev: cPrev, act: act, c: c, tanhC: tanhC, h: h)
        }
        let p = Halves((f(a), f(cPrev), m(act), m(c), m(tanhC), m(h)))
        inHalves(rows) { r0, n in
            let (a, cPrev, act, c, tanhC, h) = p.value, s = r0 * hidden
            simdForward(rows: n, hidden: hidden, a: a + 4 * s, cPrev: cPrev + s, act: act + 4 * s, c: c + s, tanhC: tanhC + s, h: h + s)
        }
    }

    /// Backward of `rows` rows: from dh, dc [rows, H] and the
    /// forward's act, cPrev, tanhC → da [rows, 4H], dcPrev [rows, H].
    static func backward<Scalar: TensorScalar>(
        backend: Backend, rows: Int, hidden: Int, dh: UnsafePointer<Scalar>, dc: UnsafePointer<Scalar>,
        act: UnsafePointer<Scalar>, cPrev: UnsafePointer<Scalar>, tanhC: UnsafePointer<Scalar>,
        da: UnsafeMutablePointer<Scalar>, dcPrev: UnsafeMutablePointer<Scalar>
    ) {
        guard backend == .simd, Scalar.self == Float.self else {
            return naiveBackward(rows: rows, hidden: hidden, dh: dh, dc: dc, act: act, cPrev: cPrev, tanhC: tanhC,
                                 da: da, dcPrev: dcPrev)
        }
        let p = Halves((f(dh), f(dc), f(act), f(cPrev), f(tanhC), m(da), m(dcPrev)))
        inHalves(rows) { r0, n in
            let (dh, dc, act, cPrev, tanhC, da, dcPrev) = p.value, s = r0 * hidden
            simdBackward(rows: n, hidden: hidden, dh: dh + s, dc: dc + s, act: act + 4 * s, cPrev: cPrev + s, tanhC: tanhC + s,
                         da: da + 4 * s, dcPrev: dcPrev + s)
        }
    }

    /// body(r0, n) for the two halves of the rows, one on this thread and
    /// one on the spin team's helper (the products' split, Tape+SharedWeights.swift);
    /// rows are independent, so each element is computed as on one thread.
    static func inHalves(_ rows: Int, _ body: @escaping @Sendable (Int, Int) -> Void) {
        guard rows >= 8, let team = SpinTeam.shared else { return body(0, rows) }
        team.run(chunks: 2) { half in body(half == 0 ? 0 : rows / 2, half == 0 ? rows / 2 : rows - rows / 2) }
    }

    // MARK: Naive twin

    static func naiveForward<Scalar: TensorScalar>(
        rows: Int, hidden H: Int, a: UnsafePointer<Scalar>, cPrev: UnsafePointer<Scalar>,
        act: UnsafeMutablePointer<Scalar>, c: UnsafeMutablePointer<Scalar>, tanhC: UnsafeMutablePointer<Scalar>,
        h: UnsafeMutablePointer<Scalar>
    ) {
        func sigmoid(_ x: Scalar) -> Scalar { 1 / (1 + Scalar.exp(-x)) }
        for r in 0..<rows {
            let (x, y, s) = (a + r * 4 * H, act + r * 4 * H, r * H)
            for j in 0..<H {
                let i = sigmoid(x[j]), f = sigmoid(x[H + j]), g = Scalar.tanh(x[2 * H + j]), o = sigmoid(x[3 * H + j])
                let cNew = f * cPrev[s + j] + i * g
                let tc = Scalar.tanh(cNew)
                (y[j], y[H + j], y[2 * H + j], y[3 * H + j]) = (i, f, g, o)
                (c[s + j], tanhC[s + j], h[s + j]) = (cNew, tc, o * tc)
            }
        }
    }

    static func naiveBackward<Scalar: TensorScalar>(
        rows: Int, hidden H: Int, dh: UnsafePointer<Scalar>, dc: UnsafePointer<Scalar>,
        act: UnsafePointer<Scalar>, cPrev: UnsafePointer<Scalar>, tanhC: UnsafePointer<Scalar>,
        da: UnsafeMutablePointer<Scalar>, dcPrev: UnsafeMutablePointer<Scalar>
    ) {
        for r in 0..<rows {
            let (y, d, s) = (act + r * 4 * H, da + r * 4 * H, r * H)
            for j in 0..<H {
                let (i, f, g, o) = (y[j], y[H + j], y[2 * H + j], y[3 * H + j])
                let tc = tanhC[s + j], dhv = dh[s + j]
                let dcTotal = dc[s + j] + dhv * o * (1 - tc * tc)
                d[j] = dcTotal * g * i * (1 - i)
                d[H + j] = dcTotal * cPrev[s + j] * f * (1 - f)
                d[2 * H + j] = dcTotal * i * (1 - g * g)
                d[3 * H + j] = dhv * tc * o * (1 - o)
                dcPrev[s + j] = dcTotal * f
            }
        }
    }

    // MARK: SIMD twin (Float)

    typealias V = SIMD8<Float>

    static func simdForward(
        rows: Int, hidden H: Int, a: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
        act: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>, tanhC: UnsafeMutablePointer<Float>,
        h: UnsafeMutablePointer<Float>
    ) {
        let vectorEnd = H / 8 * 8
        for r in 0..<rows {
            let (x, y, s) = (a + r * 4 * H, act + r * 4 * H, r * H)
            var j = 0
            while j < vectorEnd {
                let i = VectorMath.sigmoid(load(x + j)), f = VectorMath.sigmoid(load(x + H + j))
                let g = VectorMath.tanh(load(x + 2 * H + j)), o = VectorMath.sigmoid(load(x + 3 * H + j))
                let cNew = f * load(cPrev + s + j) + i * g
                let tc = VectorMath.tanh(cNew)
                store(i, y + j); store(f, y + H + j); store(g, y + 2 * H + j); store(o, y + 3 * H + j)
                store(cNew, c + s + j); store(tc, tanhC + s + j); store(o * tc, h + s + j)
                j += 8
            }
            if vectorEnd < H {
                // the tail, one element at a time with the naive formulas
                let t = vectorEnd, n = H - t
                naiveTail(n, H, x + t, cPrev + s + t, y + t, c + s + t, tanhC + s + t, h + s + t)
            }
        }
    }

    /// The naive forward for `n` < 8 columns of one row (strides of H between gates).
    private static func naiveTail(_ n: Int, _ H: Int, _ x: UnsafePointer<Float>, _ cPrev: UnsafePointer<Float>,
                                  _ y: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                                  _ tanhC: UnsafeMutablePointer<Float>, _ h: UnsafeMutablePointer<Float>) {
        func sigmoid(_ x: Float) -> Float { 1 / (1 + Float.exp(-x)) }
        for j in 0..<n {
            let i = sigmoid(x[j]), f = sigmoid(x[H + j]), g = Float.tanh(x[2 * H + j]), o = sigmoid(x[3 * H + j])
            let cNew = f * cPrev[j] + i * g, tc = Float.tanh(cNew)
            (y[j], y[H + j], y[2 * H + j], y[3 * H + j]) = (i, f, g, o)
            (c[j], tanhC[j], h[j]) = (cNew, tc, o * tc)
        }
    }

    static func simdBackward(
        rows: Int, hidden H: Int, dh: UnsafePointer<Float>, dc: UnsafePointer<Float>,
        act: UnsafePointer<Float>, cPrev: UnsafePointer<Float>, tanhC: UnsafePointer<Float>,
        da: UnsafeMutablePointer<Float>, dcPrev: UnsafeMutablePointer<Float>
    ) {
        let vectorEnd = H / 8 * 8, one = V(repeating: 1)
        for r in 0..<rows {
            let (y, d, s) = (act + r * 4 * H, da + r * 4 * H, r * H)
            var j = 0
            while j < vectorEnd {
                let i = load(y + j), f = load(y + H + j), g = load(y + 2 * H + j), o = load(y + 3 * H + j)
                let tc = load(tanhC + s + j), dhv = load(dh + s + j)
                let dcTotal = load(dc + s + j) + dhv * o * (one - tc * tc)
                store(dcTotal * g * i * (one - i), d + j)
                store(dcTotal * load(cPrev + s + j) * f * (one - f), d + H + j)
                store(dcTotal * i * (one - g * g), d + 2 * H + j)
                store(dhv * tc * o * (one - o), d + 3 * H + j)
                store(dcTotal * f, dcPrev + s + j)
                j += 8
            }
            if vectorEnd < H {
                let t = vectorEnd
                tailBackward(hidden: H, dh: dh + s + t, dc: dc + s + t, act: y + t,
                              cPrev: cPrev + s + t, tanhC: tanhC + s + t, da: d + t, dcPrev: dcPrev + s + t, columns: H - t)
            }
        }
    }

    /// The naive backward of `columns` columns of one row (the SIMD twin's tail).
    private static func tailBackward(
        hidden H: Int, dh: UnsafePointer<Float>, dc: UnsafePointer<Float>, act y: UnsafePointer<Float>,
        cPrev: UnsafePointer<Float>, tanhC: UnsafePointer<Float>, da d: UnsafeMutablePointer<Float>,
        dcPrev: UnsafeMutablePointer<Float>, columns: Int
    ) {
        for j in 0..<columns {
            let (i, f, g, o) = (y[j], y[H + j], y[2 * H + j], y[3 * H + j])
            let tc = tanhC[j], dhv = dh[j]
            let dcTotal = dc[j] + dhv * o * (1 - tc * tc)
            d[j] = dcTotal * g * i * (1 - i)
            d[H + j] = dcTotal * cPrev[j] * f * (1 - f)
            d[2 * H + j] = dcTotal * i * (1 - g * g)
            d[3 * H + j] = dhv * tc * o * (1 - o)
            dcPrev[j] = dcTotal * f
        }
    }

    // MARK: Helpers

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }
    @inline(__always) static func f<T>(_ p: UnsafePointer<T>) -> UnsafePointer<Float> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
    }
    @inline(__always) static func m<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
    }
}
