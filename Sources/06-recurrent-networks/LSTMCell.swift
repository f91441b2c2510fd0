// The LSTM cell's elementwise step (PyTorch's nn.LSTM, gate order i, f, g, o),
// forward and backward. The matrix products around it are in
// RecurrentLayer.swift.
//
//   forward   a = p + q  [B, 4H]     p = W_ih x + b_ih, q = W_hh h + b_hh
//             i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o)
//             c′ = f ⊙ c + i ⊙ g
//             h′ = o ⊙ tanh(c′)
//   backward  given dh′ and dc′ (the gradient reaching c′ from step t+1):
//             dc̃ = dc′ + dh′ ⊙ o ⊙ (1 − tanh²c′)     (all paths into c′)
//             do = dh′ ⊙ tanh c′      da_o = do ⊙ o(1 − o)
//             di = dc̃ ⊙ g             da_i = di ⊙ i(1 − i)
//             dg = dc̃ ⊙ i             da_g = dg ⊙ (1 − g²)
//             df = dc̃ ⊙ c             da_f = df ⊙ f(1 − f)
//             dc = dc̃ ⊙ f            (the gradient passed to step t−1)
// The path dc = dc̃ ⊙ f is the "constant error carousel": with f ≈ 1 the
// gradient flows back through time without being squashed by a tanh′.

enum LSTMCell {
    /// One time step: pre [B, 4H] ← (i, f, g, o); c, tanhC, h [B, H] ← c′, tanh c′, h′.
    /// Row b's p is read from `input(b)` (pre's own row, or a row of the
    /// embedded-input table, RecurrentLayer+EmbeddedInput.swift).
    ///
    /// Each row in two passes: the four gates' activations, gate by gate
    /// (one nonlinearity per loop), into pre; then the cell update from them.
    /// The arithmetic is the same as in one pass, but a loop body with five
    /// inlined exponentials (SIMD8) needed more than the 16 vector registers:
    /// constants were reloaded and values spilled, ~300 instructions per
    /// eight units. Re-reading i, f, g, o from the row just written costs
    /// four L1 loads.
    @inline(__always)
    static func forward<V: GateLanes>(
        _: V.Type, rows: Int, hidden: Int,
        pre: UnsafeMutablePointer<V.Scalar>, input: (Int) -> UnsafePointer<V.Scalar>, hw: UnsafePointer<V.Scalar>,
        cPrev: UnsafePointer<V.Scalar>, c: UnsafeMutablePointer<V.Scalar>,
        tanhC: UnsafeMutablePointer<V.Scalar>, h: UnsafeMutablePointer<V.Scalar>
    ) {
        let H = hidden
        for b in 0..<rows {
            let p = pre + b * 4 * H, x = input(b), q = hw + b * 4 * H, s = b * H
            // i, f (σ, contiguous), g (tanh), o (σ)
            for j in stride(from: 0, to: 2 * H, by: V.width) {
                V.sigmoid(V.load(x + j) + V.load(q + j)).store(p + j)
            }
            for j in stride(from: 2 * H, to: 3 * H, by: V.width) {
                V.hyperbolicTangent(V.load(x + j) + V.load(q + j)).store(p + j)
            }
            for j in stride(from: 3 * H, to: 4 * H, by: V.width) {
                V.sigmoid(V.load(x + j) + V.load(q + j)).store(p + j)
            }
            for j in stride(from: 0, to: H, by: V.width) {
                let i = V.load(p + j), f = V.load(p + H + j), g = V.load(p + 2 * H + j), o = V.load(p + 3 * H + j)
                let cNew = f * V.load(cPrev + s + j) + i * g
                let tc = V.hyperbolicTangent(cNew)
                cNew.store(c + s + j)
                tc.store(tanhC + s + j)
                (o * tc).store(h + s + j)
            }
        }
    }

    /// dPre [B, 4H] ← (da_i, da_f, da_g, da_o); dc [B, H]: dc′ in, dc out.
    /// dh′ is dh, plus dy (the step's output gradient) if given.
    @inline(__always)
    static func backward<V: GateLanes>(
        _: V.Type, rows: Int, hidden: Int,
        dh: UnsafePointer<V.Scalar>, dy: UnsafePointer<V.Scalar>?, dc: UnsafeMutablePointer<V.Scalar>,
        act: UnsafePointer<V.Scalar>, cPrev: UnsafePointer<V.Scalar>, tanhC: UnsafePointer<V.Scalar>,
        dPre: UnsafeMutablePointer<V.Scalar>
    ) {
        if let dy {
            run { V.load(dh + $0) + V.load(dy + $0) }
        } else {
            run { V.load(dh + $0) }
        }
        @inline(__always) func run(_ dhAt: (Int) -> V) {
        let H = hidden
        for b in 0..<rows {
            let a = act + b * 4 * H, d = dPre + b * 4 * H, s = b * H
            for j in stride(from: 0, to: H, by: V.width) {
                let i = V.load(a + j), f = V.load(a + H + j), g = V.load(a + 2 * H + j), o = V.load(a + 3 * H + j)
                let tc = V.load(tanhC + s + j), dhv = dhAt(s + j)
                let dcTotal = V.load(dc + s + j) + dhv * o * (V.one - tc * tc)
                (dcTotal * g * i * (V.one - i)).store(d + j)
                (dcTotal * V.load(cPrev + s + j) * f * (V.one - f)).store(d + H + j)
                (dcTotal * i * (V.one - g * g)).store(d + 2 * H + j)
                (dhv * tc * o * (V.one - o)).store(d + 3 * H + j)
                (dcTotal * f).store(dc + s + j)
            }
        }
        }
    }
}
