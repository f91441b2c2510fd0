// The Elman RNN cell's elementwise step (PyTorch's nn.RNN, tanh), forward and
// backward. The matrix products around it are in RecurrentLayer.swift.
//
//   forward   a = p + q,   h′ = tanh(a)
//             p = W_ih x + b_ih  [B, H] (pre, overwritten with h′)
//             q = W_hh h + b_hh  [B, H] (hw)
//   backward  dh′ [B, H] → da = dh′ ⊙ (1 − h′²)  [B, H]
//             (da is both ∂L/∂p and ∂L/∂q; RecurrentLayer turns it into
//              dW_ih, dW_hh, the biases, dx and dh = da·W_hh)

enum ElmanCell {
    /// One time step for `rows` sequences: pre ← h′ = tanh(p + hw), h ← h′, row b's p read from `input(b)`.
    @inline(__always)
    static func forward<V: GateLanes>(
        _: V.Type, rows: Int, hidden: Int,
        pre: UnsafeMutablePointer<V.Scalar>, input: (Int) -> UnsafePointer<V.Scalar>, hw: UnsafePointer<V.Scalar>,
        h: UnsafeMutablePointer<V.Scalar>
    ) {
        for b in 0..<rows {
            let p = pre + b * hidden, x = input(b), q = hw + b * hidden, out = h + b * hidden
            for j in stride(from: 0, to: hidden, by: V.width) {
                let hNew = V.hyperbolicTangent(V.load(x + j) + V.load(q + j))
                hNew.store(p + j)
                hNew.store(out + j)
            }
        }
    }

    /// da = dh′ ⊙ (1 − h′²), from the activations `act` the forward left;
    /// dh′ is dh, plus dy (the step's output gradient) if given.
    @inline(__always)
    static func backward<V: GateLanes>(
        _: V.Type, rows: Int, hidden: Int,
        dh: UnsafePointer<V.Scalar>, dy: UnsafePointer<V.Scalar>?, act: UnsafePointer<V.Scalar>, dPre: UnsafeMutablePointer<V.Scalar>
    ) {
        for i in stride(from: 0, to: rows * hidden, by: V.width) {
            let h = V.load(act + i)
            let dhv = dy.map { V.load(dh + i) + V.load($0 + i) } ?? V.load(dh + i)
            (dhv * (V.one - h * h)).store(dPre + i)
        }
    }
}
