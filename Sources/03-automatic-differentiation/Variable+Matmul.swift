// The matrix product in the three layouts of chapter 2's kernels.
//
//   layout   forward               backward (g = ∂L/∂C [m, n])
//   .nn      C = A·B               ∂A = g·Bᵀ   (.nt: g [m,n], B [k,n])      ∂B = Aᵀ·g  (.tn: A [m,k], g [m,n])
//            A [m,k], B [k,n]
//   .tn      C = Aᵀ·B              ∂A = B·gᵀ   (.nt: B [k,n], g [m,n])      ∂B = A·g   (.nn: A [k,m], g [m,n])
//            A [k,m], B [k,n]
//   .nt      C = A·Bᵀ              ∂A = g·B    (.nn: g [m,n], B [n,k])      ∂B = gᵀ·A  (.tn: g [m,n], A [m,k])
//            A [m,k], B [n,k]
// Each backward product is itself one of the three layouts, so no
// transpose is ever materialised. (Check one: C = A·B means
// cᵢⱼ = Σₚ aᵢₚbₚⱼ, so ∂L/∂aᵢₚ = Σⱼ gᵢⱼ bₚⱼ = (g·Bᵀ)ᵢₚ.)
//
// The products write straight into the gradient with the kernel's
// `accumulate` flag: into a parameter's `grad` (added, as chapter 2's
// Linear does), or into a fresh buffer for the first contribution.

import BackpropCore

extension Variable {
    /// op(A)·op(B) for the layout (see the table above).
    /// - Throws: `AutodiffError` unless both are matrices whose inner dimensions agree.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func matmul(_ b: Variable, _ layout: MatmulLayout = .nn) throws -> Variable {
        let a = self
        let operation = "matmul(\(layout.rawValue))"
        try a.sameTape(b, operation: operation)
        guard a.shape.count == 2, b.shape.count == 2 else {
            throw AutodiffError.shapeMismatch(operation: operation, lhs: a.shape, rhs: b.shape, reason: "both operands must be matrices")
        }
        let (m, ka, kb, n): (Int, Int, Int, Int)
        switch layout {
        case .nn: (m, ka, kb, n) = (a.shape[0], a.shape[1], b.shape[0], b.shape[1])
        case .tn: (m, ka, kb, n) = (a.shape[1], a.shape[0], b.shape[0], b.shape[1])
        case .nt: (m, ka, kb, n) = (a.shape[0], a.shape[1], b.shape[1], b.shape[0])
        }
        guard ka == kb else {
            throw AutodiffError.shapeMismatch(operation: operation, lhs: a.shape, rhs: b.shape,
                                              reason: "inner dimensions \(ka) and \(kb) differ")
        }
        let k = ka
        let (na, nb, va, vb) = (a.node, b.node, a.value, b.value)
        let tape = self.tape
        let y: Tensor<Scalar>  // [m, n]
        if layout != .tn, m > 0, n > 0, k > 0, tape.reusesWeight(nb) {
            // a weight used again on this tape: multiplied through its packed copy (Tape+SharedWeights.swift)
            let packed = tape.packedWeight(nb!, vb, k: k, n: n, transposed: layout == .nt)
            y = va.withUnsafeBufferPointer { pa in
                Tensor.filled([m, n]) { Tape.multiply(packed, pa.baseAddress!, m: m, $0, accumulate: false) }
            }
        } else {
            y = try Tensor.matmul(a.value, b.value, layout, backend: backend)
        }
        // Saved: A is needed for ∂B and B for ∂A.
        let saved = (na != nil ? [vb] : []) + (nb != nil ? [va] : [])
        return tape.record(operation, y, inputs: [a, b], saved: saved) { tape, gradient in
            let kernels = tape.backend.kernels
            gradient.withUnsafeBufferPointer { pg in
                va.withUnsafeBufferPointer { pa in
                    vb.withUnsafeBufferPointer { pb in
                        let (g, a, b) = (pg.baseAddress!, pa.baseAddress!, pb.baseAddress!)
                        guard m * n > 0, k > 0 else { return }
                        if layout != .tn, tape.isSharedWeight(nb) {
                            // ∂A through B packed the other way round; ∂B kept for one batched product
                            let packed = tape.packedWeight(nb!, vb, k: n, n: k, transposed: layout == .nn)
                            tape.accumulate(na) { out, acc in Tape.multiply(packed, g, m: m, out, accumulate: acc) }
                            if layout == .nt { tape.deferWeightGradient(nb!, x: gradient, y: va) }
                            else { tape.deferWeightGradient(nb!, x: va, y: gradient) }
                            return
                        }
                        switch layout {
                        case .nn:
                            tape.accumulate(na) { out, acc in kernels.matmul(.nt, m: m, n: k, k: n, g, b, out, accumulate: acc) }
                            tape.accumulate(nb) { out, acc in kernels.matmul(.tn, m: k, n: n, k: m, a, g, out, accumulate: acc) }
                        case .tn:
                            tape.accumulate(na) { out, acc in kernels.matmul(.nt, m: k, n: m, k: n, b, g, out, accumulate: acc) }
                            tape.accumulate(nb) { out, acc in kernels.matmul(.nn, m: k, n: n, k: m, a, g, out, accumulate: acc) }
                        case .nt:
                            tape.accumulate(na) { out, acc in kernels.matmul(.nn, m: m, n: k, k: n, g, b, out, accumulate: acc) }
                            tape.accumulate(nb) { out, acc in kernels.matmul(.tn, m: n, n: k, k: m, g, a, out, accumulate: acc) }
                        }
                    }
                }
            }
        }
    }
}
