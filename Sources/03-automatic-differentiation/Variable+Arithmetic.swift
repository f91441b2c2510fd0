// Elementwise arithmetic with broadcasting: +, −, ×, ÷, and by a constant.
//
//   forward                     backward (g = ∂L/∂y, then Σ to each operand's shape)
//   y = a + b                   ∂a = Σ g,          ∂b = Σ g
//   y = a − b                   ∂a = Σ g,          ∂b = −Σ g
//   y = a ⊙ b                   ∂a = Σ g ⊙ b,      ∂b = Σ g ⊙ a
//   y = a ⊘ b                   ∂a = Σ g ⊘ b,      ∂b = −Σ g ⊙ y ⊘ b   (y = a/b, so a/b² = y/b)
//   y = c·a  (c a constant)     ∂a = c·g
//   y = a + c                   ∂a = g
// "Σ" is the broadcasting sum of Broadcasting.swift (nothing when the
// operand already has the output's shape).
//
// Equal shapes run the backend's `add`/`multiply` kernels; a row vector
// added to a matrix (a bias) runs `addRowVector` — the kernels chapter 2's
// Linear uses, so the engine's MLP computes the same numbers.

import BackpropCore

extension Variable {
    /// a ∘ b elementwise, broadcast to `shape` (general strided path).
    static func broadcastMap(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>, to shape: [Int],
                             _ f: (Scalar, Scalar) -> Scalar) -> Tensor<Scalar> {
        let sa = Broadcast.strides(of: a.shape, in: shape), sb = Broadcast.strides(of: b.shape, in: shape)
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                Tensor.filled(shape) { out in Broadcast.forEach(shape, sa, sb) { i, ia, ib in out[i] = f(pa[ia], pb[ib]) } }
            }
        }
    }

    /// Adds Σ g (to `shape`) into `node`'s gradient; the column-sum case
    /// (a bias) is written straight into the gradient by the kernel.
    static func accumulateSum(_ tape: Tape<Scalar>, _ node: Int?, _ g: Tensor<Scalar>, to shape: [Int], scale: Scalar = 1) throws {
        guard node != nil else { return }
        let from = g.shape, k = tape.backend.kernels
        if scale == 1, from.count == 2, shape == [from[1]] {
            g.withUnsafeBufferPointer { pg in
                tape.accumulate(node) { out, acc in k.columnSum(rows: from[0], cols: from[1], pg.baseAddress!, out, accumulate: acc) }
            }
            return
        }
        var s = Broadcast.sum(g, to: shape, backend: tape.backend)
        if scale != 1 { s = s.scaled(by: scale, backend: tape.backend) }
        try tape.accumulate(node, s)
    }

    /// a + b, broadcasting.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (a: Variable, b: Variable) throws -> Variable {
        try a.sameTape(b, operation: "add")
        let shape = try Broadcast.shape(a.shape, b.shape, "add")
        var y: Tensor<Scalar>
        if a.shape == b.shape {
            y = try a.value.adding(b.value, backend: a.backend)
        } else if a.shape == shape, a.shape.count == 2, b.shape == [shape[1]] {
            y = a.value                                               // x [N, C] + b [C]
            try y.addRowVector(b.value, backend: a.backend)
        } else if b.shape == shape, b.shape.count == 2, a.shape == [shape[1]] {
            y = b.value
            try y.addRowVector(a.value, backend: a.backend)
        } else {
            y = broadcastMap(a.value, b.value, to: shape, +)
        }
        let (na, nb, sa, sb) = (a.node, b.node, a.shape, b.shape)
        return a.tape.record("add", y, inputs: [a, b]) { tape, g in
            try accumulateSum(tape, na, g, to: sa)
            try accumulateSum(tape, nb, g, to: sb)
        }
    }

    /// a − b, broadcasting.
    public static func - (a: Variable, b: Variable) throws -> Variable {
        try a.sameTape(b, operation: "subtract")
        let shape = try Broadcast.shape(a.shape, b.shape, "subtract")
        let y = a.shape == b.shape ? try a.value.addingScaled(b.value, by: -1, backend: a.backend)
                                   : broadcastMap(a.value, b.value, to: shape, -)
        let (na, nb, sa, sb) = (a.node, b.node, a.shape, b.shape)
        return a.tape.record("subtract", y, inputs: [a, b]) { tape, g in
            try accumulateSum(tape, na, g, to: sa)
            try accumulateSum(tape, nb, g, to: sb, scale: -1)
        }
    }

    /// a ⊙ b, broadcasting.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (a: Variable, b: Variable) throws -> Variable {
        try a.sameTape(b, operation: "multiply")
        let shape = try Broadcast.shape(a.shape, b.shape, "multiply")
        let backend = a.backend
        let y = a.shape == b.shape ? try a.value.multiplying(b.value, backend: backend) : broadcastMap(a.value, b.value, to: shape, *)
        let (na, nb, va, vb) = (a.node, b.node, a.value, b.value)
        return a.tape.record("multiply", y, inputs: [a, b], saved: [va, vb]) { tape, g in
            if na != nil {
                let ga = va.shape == vb.shape ? try g.multiplying(vb, backend: backend) : broadcastMap(g, vb, to: shape, *)
                try accumulateSum(tape, na, ga, to: va.shape)
            }
            if nb != nil {
                let gb = va.shape == vb.shape ? try g.multiplying(va, backend: backend) : broadcastMap(g, va, to: shape, *)
                try accumulateSum(tape, nb, gb, to: vb.shape)
            }
        }
    }

    /// a ⊘ b, broadcasting.
    public static func / (a: Variable, b: Variable) throws -> Variable {
        try a.sameTape(b, operation: "divide")
        let shape = try Broadcast.shape(a.shape, b.shape, "divide")
        let y = broadcastMap(a.value, b.value, to: shape, /)
        let (na, nb, sa, vb) = (a.node, b.node, a.shape, b.value)
        return a.tape.record("divide", y, inputs: [a, b], saved: [vb, y]) { tape, g in
            if na != nil { try accumulateSum(tape, na, broadcastMap(g, vb, to: shape, /), to: sa) }
            if nb != nil {
                let gy = try g.multiplying(y, backend: tape.backend)  // g ⊙ y, then −(g ⊙ y) ⊘ b
                try accumulateSum(tape, nb, broadcastMap(gy, vb, to: shape, { -$0 / $1 }), to: vb.shape)
            }
        }
    }

    /// −a.
    public static prefix func - (a: Variable) -> Variable { a.scaled(by: -1) }

    /// c·a for a constant c;  ∂a = c·g.
    public func scaled(by c: Scalar) -> Variable {
        let y = value.scaled(by: c, backend: backend), n = node
        return tape.record("scale", y, inputs: [self]) { tape, g in try tape.accumulate(n, g.scaled(by: c, backend: tape.backend)) }
    }

    /// a + c for a constant c;  ∂a = g.
    public func adding(_ c: Scalar) -> Variable {
        let y = value.freshOutput { x, o, n in for i in 0..<n { o[i] = x[i] + c } }, n = node
        return tape.record("add constant", y, inputs: [self]) { tape, g in try tape.accumulate(n, g) }
    }

    public static func * (a: Variable, c: Scalar) -> Variable { a.scaled(by: c) }
    public static func * (c: Scalar, a: Variable) -> Variable { a.scaled(by: c) }
    public static func + (a: Variable, c: Scalar) -> Variable { a.adding(c) }
    public static func - (a: Variable, c: Scalar) -> Variable { a.adding(-c) }
    public static func / (a: Variable, c: Scalar) -> Variable { a.scaled(by: 1 / c) }
}
