// Tensor operations: the shape-checked layer above the kernels.
//
// Each operation validates its operands' shapes, throws `TensorError` naming
// both shapes when they do not fit, then hands raw pointers to a kernel set
// (`Naive` or `SIMDKernels`). Layers call these; kernels never see a bad shape.

extension Tensor {
    /// The matrix product op(A)·op(B) for the given layout.
    ///
    /// - `.nn`: A [m, k] · B [k, n]
    /// - `.tn`: Aᵀ with A [k, m], times B [k, n]
    /// - `.nt`: A [m, k] times Bᵀ with B [n, k]
    @inlinable
    public static func matmul(
        _ a: Tensor, _ b: Tensor, _ layout: MatmulLayout = .nn,
        backend: Backend = .simd
    ) throws -> Tensor {
        let (m, n, k) = try matmulDimensions(a, b, layout)
        // The product overwrites every element (accumulate: false), so the
        // storage starts uninitialised; k = 0 is the empty sum, zero.
        let scalars = [Scalar](unsafeUninitializedCapacity: m * n) { pc, initialized in
            initialized = m * n
            guard let ca = pc.baseAddress, m * n > 0 else { return }
            if k == 0 { Scalar.fill(ca, count: m * n, with: 0); return }
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    backend.kernels.matmul(
                        layout, m: m, n: n, k: k, pa.baseAddress!, pb.baseAddress!, ca,
                        accumulate: false)
                }
            }
        }
        return Tensor(uncheckedShape: [m, n], scalars: scalars)
    }

    /// Checks that two matrices can be multiplied in `layout`; returns (m, n, k).
    @usableFromInline
    static func matmulDimensions(
        _ a: Tensor, _ b: Tensor, _ layout: MatmulLayout
    ) throws -> (Int, Int, Int) {
        let op = "matmul(\(layout.rawValue))"
        let (ar, ac) = try a.matrixShape(op)
        let (br, bc) = try b.matrixShape(op)
        let (m, ka, kb, n): (Int, Int, Int, Int)
        switch layout {
        case .nn: (m, ka, kb, n) = (ar, ac, br, bc)
        case .tn: (m, ka, kb, n) = (ac, ar, br, bc)
        case .nt: (m, ka, kb, n) = (ar, ac, bc, br)
        }
        guard ka == kb else {
            throw TensorError.shapeMismatch(
                operation: op, lhs: a.shape, rhs: b.shape,
                reason: "inner dimensions \(ka) and \(kb) differ")
        }
        return (m, n, ka)
    }

    /// A copy of self updated in place by `body(out, other, count)`, for
    /// elementwise operations on two tensors of equal shape.
    @inlinable
    func combined(
        with other: Tensor, _ operation: String,
        _ body: (UnsafeMutablePointer<Scalar>, UnsafePointer<Scalar>, Int) -> Void
    ) throws -> Tensor {
        try requireSameShape(other, operation)
        var out = self
        out.withUnsafeMutableBufferPointer { po in
            other.withUnsafeBufferPointer { px in
                guard let o = po.baseAddress, let x = px.baseAddress else { return }
                body(o, x, po.count)
            }
        }
        return out
    }

    /// A tensor of this shape whose every element `body` writes: it receives
    /// self's elements, the fresh (uninitialised) output and the count. Used
    /// by out-of-place operations so they need not copy self first (a copy
    /// the operation would overwrite anyway).
    @inlinable
    public func freshOutput(_ body: (UnsafePointer<Scalar>, UnsafeMutablePointer<Scalar>, Int) -> Void) -> Tensor {
        let n = count
        let out = [Scalar](unsafeUninitializedCapacity: n) { po, initialized in
            initialized = n
            guard let o = po.baseAddress else { return }
            withUnsafeBufferPointer { px in body(px.baseAddress!, o, n) }
        }
        return Tensor(uncheckedShape: shape, scalars: out)
    }

    /// The elementwise sum of two tensors of equal shape.
    @inlinable
    public func adding(_ other: Tensor, backend: Backend = .simd) throws -> Tensor {
        try requireSameShape(other, "add")
        return other.withUnsafeBufferPointer { py in
            freshOutput { x, o, n in backend.kernels.add(count: n, x, py.baseAddress!, o) }
        }
    }

    /// The elementwise (Hadamard) product of two tensors of equal shape.
    @inlinable
    public func multiplying(_ other: Tensor, backend: Backend = .simd) throws -> Tensor {
        try requireSameShape(other, "multiply")
        return other.withUnsafeBufferPointer { py in
            freshOutput { x, o, n in backend.kernels.multiply(count: n, x, py.baseAddress!, o) }
        }
    }

    /// self + α·x, for tensors of equal shape (the `axpy` of BLAS).
    @inlinable
    public func addingScaled(_ x: Tensor, by alpha: Scalar, backend: Backend = .simd) throws -> Tensor {
        try combined(with: x, "axpy") { o, xp, n in backend.kernels.axpy(count: n, alpha: alpha, xp, o) }
    }

    /// α·self.
    @inlinable
    public func scaled(by alpha: Scalar, backend: Backend = .simd) -> Tensor {
        var out = self
        out.withUnsafeMutableBufferPointer { po in
            guard let o = po.baseAddress else { return }
            backend.kernels.scale(count: count, alpha: alpha, o)
        }
        return out
    }

    /// f applied to every element.
    @inlinable
    public func mapped(_ f: UnaryFunction, backend: Backend = .simd) -> Tensor {
        freshOutput { x, o, n in backend.kernels.map(f, count: n, x, o) }
    }

    /// A matrix [rows, cols] with the vector `v` [cols] added to every row.
    @inlinable
    public func addingRowVector(_ v: Tensor, backend: Backend = .simd) throws -> Tensor {
        let (rows, cols) = try matrixShape("addRowVector")
        guard v.shape == [cols] else {
            throw TensorError.shapeMismatch(
                operation: "addRowVector", lhs: shape, rhs: v.shape,
                reason: "the vector must have \(cols) elements, one per column")
        }
        var out = self
        out.withUnsafeMutableBufferPointer { po in
            v.withUnsafeBufferPointer { pv in
                guard let o = po.baseAddress, let vp = pv.baseAddress else { return }
                backend.kernels.addRowVector(rows: rows, cols: cols, vp, o)
            }
        }
        return out
    }

    /// Adds the vector `v` [cols] to every row of this matrix [rows, cols], in
    /// place (no copy when the storage is not shared, e.g. a fresh product).
    @inlinable
    public mutating func addRowVector(_ v: Tensor, backend: Backend = .simd) throws {
        let (rows, cols) = try matrixShape("addRowVector")
        guard v.shape == [cols] else {
            throw TensorError.shapeMismatch(
                operation: "addRowVector", lhs: shape, rhs: v.shape,
                reason: "the vector must have \(cols) elements, one per column")
        }
        withUnsafeMutableBufferPointer { po in
            v.withUnsafeBufferPointer { pv in
                guard let o = po.baseAddress, let vp = pv.baseAddress else { return }
                backend.kernels.addRowVector(rows: rows, cols: cols, vp, o)
            }
        }
    }

    /// The sum of each row of a matrix: [rows, cols] → [rows].
    @inlinable
    public func rowSums(backend: Backend = .simd) throws -> Tensor {
        let (rows, cols) = try matrixShape("rowSums")
        var out = Tensor(Array(repeating: 0, count: rows))
        withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                guard let x = px.baseAddress, let o = po.baseAddress else { return }
                backend.kernels.rowSum(rows: rows, cols: cols, x, o)
            }
        }
        return out
    }

    /// The largest element of each row: [rows, cols] → [rows] (cols ≥ 1).
    @inlinable
    public func rowMaxima(backend: Backend = .simd) throws -> Tensor {
        let (rows, cols) = try matrixShape("rowMaxima")
        guard cols > 0 else {
            throw TensorError.invalidShape(operation: "rowMaxima", shape: shape, reason: "rows are empty")
        }
        var out = Tensor(Array(repeating: 0, count: rows))
        withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                backend.kernels.rowMax(rows: rows, cols: cols, px.baseAddress!, po.baseAddress!)
            }
        }
        return out
    }

    /// The sum of each column of a matrix: [rows, cols] → [cols].
    @inlinable
    public func columnSums(backend: Backend = .simd) throws -> Tensor {
        let (rows, cols) = try matrixShape("columnSums")
        var out = Tensor(Array(repeating: 0, count: cols))
        withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                guard let x = px.baseAddress, let o = po.baseAddress else { return }
                backend.kernels.columnSum(rows: rows, cols: cols, x, o, accumulate: false)
            }
        }
        return out
    }

    /// Softmax of each row, computed stably (see `KernelSet.softmaxRows`).
    @inlinable
    public func softmaxRows(backend: Backend = .simd) throws -> Tensor {
        let (rows, cols) = try matrixShape("softmaxRows")
        guard cols > 0 else {
            throw TensorError.invalidShape(operation: "softmaxRows", shape: shape, reason: "rows are empty")
        }
        var out = self
        out.withUnsafeMutableBufferPointer { po in
            backend.kernels.softmaxRows(rows: rows, cols: cols, UnsafePointer(po.baseAddress!), po.baseAddress!)
        }
        return out
    }

    /// The transpose of a matrix.
    @inlinable
    public func transposed() throws -> Tensor {
        let (rows, cols) = try matrixShape("transposed")
        var out = [Scalar](repeating: 0, count: count)
        for i in 0..<rows {
            for j in 0..<cols { out[j * rows + i] = scalars[i * cols + j] }
        }
        return Tensor(uncheckedShape: [cols, rows], scalars: out)
    }

    /// The sum of all elements (accumulated in Double for accuracy).
    @inlinable
    public func sum() -> Scalar {
        var total = 0.0
        for x in scalars { total += Double(x) }
        return Scalar(total)
    }

    /// The mean of all elements.
    @inlinable
    public func mean() -> Scalar {
        count == 0 ? 0 : Scalar(Double(sum()) / Double(count))
    }

    /// True if every element is finite (no NaN, no ±∞).
    @inlinable
    public var isFinite: Bool {
        scalars.withUnsafeBufferPointer { p in
            // x − x is 0 for finite x and NaN for NaN or ±∞; the sum of these
            // is 0 exactly when all are finite, and the loop has no branches.
            // Four vector accumulators: a scalar sum is one dependent add per
            // element (latency-bound: ~90 µs for the MLP's 85k gradients,
            // checked every step).
            guard let base = p.baseAddress else { return true }
            let n = p.count, w = Scalar.Vector.scalarCount
            var a = Scalar.Vector(), b = Scalar.Vector(), c = Scalar.Vector(), d = Scalar.Vector()
            var i = 0
            while i + 4 * w <= n {
                let x0 = SIMDKernels.load(base, i), x1 = SIMDKernels.load(base, i + w)
                let x2 = SIMDKernels.load(base, i + 2 * w), x3 = SIMDKernels.load(base, i + 3 * w)
                a += x0 - x0; b += x1 - x1; c += x2 - x2; d += x3 - x3
                i += 4 * w
            }
            var acc = ((a + b) + (c + d)).sum()
            while i < n { acc += p[i] - p[i]; i += 1 }
            return acc == 0
        }
    }
}
