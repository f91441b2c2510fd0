// The GRU cell's elementwise step (PyTorch's nn.GRU, gate order r, z, n),
// forward and backward. The matrix products around it are in
// RecurrentLayer.swift.
//
//   forward   p = W_ih x + b_ih, q = W_hh h + b_hh  [B, 3H], blocks r, z, n
//             r = σ(p_r + q_r),  z = σ(p_z + q_z)
//             n = tanh(p_n + r ⊙ q_n)          (r gates q_n *including* b_hn)
//             h′ = (1 − z) ⊙ n + z ⊙ h = n + z ⊙ (h − n)
//   backward  dn = dh′ ⊙ (1 − z)          da_n = dn ⊙ (1 − n²)
//             dz = dh′ ⊙ (h − n)          da_z = dz ⊙ z(1 − z)
//             dr = da_n ⊙ q_n             da_r = dr ⊙ r(1 − r)
//             ∂L/∂p = (da_r, da_z, da_n)
//             ∂L/∂q = (da_r, da_z, da_n ⊙ r)     (the only place p and q differ)
//             dh = dh′ ⊙ z  +  (∂L/∂q)·W_hh      (the first term is written here)

enum GRUCell {
    /// One time step: pre [B, 3H] ← (r, z, n); hwn [B, H] ← q_n; h [B, H] ← h′. Row b's p is read from `input(b)`.
    @inline(__always)
    static func forward<V: GateLanes>(
        _: V.Type, rows: Int, hidden: Int,
        pre: UnsafeMutablePointer<V.Scalar>, input: (Int) -> UnsafePointer<V.Scalar>, hw: UnsafePointer<V.Scalar>,
        hPrev: UnsafePointer<V.Scalar>, hwn: UnsafeMutablePointer<V.Scalar>, h: UnsafeMutablePointer<V.Scalar>
    ) {
        let H = hidden
        for b in 0..<rows {
            let p = pre + b * 3 * H, x = input(b), q = hw + b * 3 * H, s = b * H
            for j in stride(from: 0, to: H, by: V.width) {
                let r = V.sigmoid(V.load(x + j) + V.load(q + j))
                let z = V.sigmoid(V.load(x + H + j) + V.load(q + H + j))
                let qn = V.load(q + 2 * H + j)
                let n = V.hyperbolicTangent(V.load(x + 2 * H + j) + r * qn)
                r.store(p + j); z.store(p + H + j); n.store(p + 2 * H + j)
                qn.store(hwn + s + j)
                (n + z * (V.load(hPrev + s + j) - n)).store(h + s + j)
            }
        }
    }

    /// dPre, dPreH [B, 3H] ← ∂L/∂p, ∂L/∂q; dhDirect [B, H] ← dh′ ⊙ z.
    /// dh′ is dh, plus dy (the step's output gradient) if given.
    @inline(__always)
    static func backward<V: GateLanes>(
        _: V.Type, rows: Int, hidden: Int,
        dh: UnsafePointer<V.Scalar>, dy: UnsafePointer<V.Scalar>?, act: UnsafePointer<V.Scalar>,
        hPrev: UnsafePointer<V.Scalar>, hwn: UnsafePointer<V.Scalar>,
        dPre: UnsafeMutablePointer<V.Scalar>, dPreH: UnsafeMutablePointer<V.Scalar>,
        dhDirect: UnsafeMutablePointer<V.Scalar>
    ) {
        if let dy {
            run { V.load(dh + $0) + V.load(dy + $0) }
        } else {
            run { V.load(dh + $0) }
        }
        @inline(__always) func run(_ dhAt: (Int) -> V) {
        let H = hidden
        for b in 0..<rows {
            let a = act + b * 3 * H, d = dPre + b * 3 * H, dq = dPreH + b * 3 * H, s = b * H
            for j in stride(from: 0, to: H, by: V.width) {
                let r = V.load(a + j), z = V.load(a + H + j), n = V.load(a + 2 * H + j)
                let dhv = dhAt(s + j)
                let daN = dhv * (V.one - z) * (V.one - n * n)
                let daZ = dhv * (V.load(hPrev + s + j) - n) * z * (V.one - z)
                let daR = daN * V.load(hwn + s + j) * r * (V.one - r)
                daR.store(d + j); daZ.store(d + H + j); daN.store(d + 2 * H + j)
                daR.store(dq + j); daZ.store(dq + H + j); (daN * r).store(dq + 2 * H + j)
                (dhv * z).store(dhDirect + s + j)
            }
        }
        }
    }
}
