// Sums and means, over everything or along one axis.
//
//   forward                                 backward (g = ∂L/∂y)
//   y = Σᵢ xᵢ  (all)                         ∂xᵢ = g           (g copied to every element)
//   y[o, i] = Σⱼ x[o, j, i] (axis)          ∂x[o, j, i] = g[o, i]
//   mean = sum / count                      the same, times 1/count
// A sum *copies* its gradient back to each term — the mirror image of
// broadcasting, whose backward is a sum (Broadcasting.swift).
//
// An axis splits the shape into outer × d × inner; the result drops the
// axis (or keeps it as 1 with `keepingDimension`). For a matrix the backend's
// `columnSum` (axis 0) and `rowSum` (axis 1) do the work.
// Floating point: the sum of all elements accumulates in Double (as
// `Tensor.sum`), so a mean over 10⁶ Float elements loses no digits to the
// running total; sums along an axis use the kernels' own order.

import BackpropCore

extension Variable {
    /// Σ of every element: a tensor of shape [].
    public func sum() -> Variable {
        let shape = self.shape, n = node
        let y = try! Tensor<Scalar>(shape: [], scalars: [value.sum()])
        return tape.record("sum", y, inputs: [self]) { tape, g in
            try tape.accumulate(n, Tensor(shape: shape, repeating: g.scalars[0]))
        }
    }

    /// The mean of every element: shape [].
    public func mean() -> Variable {
        let count = value.count
        return sum().scaled(by: count == 0 ? 0 : 1 / Scalar(count))
    }

    /// Σ along `axis` (negative counts from the end).
    /// - Throws: `AutodiffError.invalidArgument` for an axis outside the rank.
    public func sum(axis: Int, keepingDimension: Bool = false) throws -> Variable {
        let shape = self.shape
        let a = axis < 0 ? axis + shape.count : axis
        guard a >= 0, a < shape.count else {
            throw AutodiffError.invalidArgument(operation: "sum(axis: \(axis))", reason: "axis outside 0..<\(shape.count) for shape \(shape)")
        }
        let outer = shape[..<a].reduce(1, *), d = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        var outShape = shape
        if keepingDimension { outShape[a] = 1 } else { outShape.remove(at: a) }
        let k = backend.kernels, x = value
        let y = x.withUnsafeBufferPointer { px in
            Tensor<Scalar>.filled(outShape) { out in
                if outer == 1, inner > 0 {
                    k.columnSum(rows: d, cols: inner, px.baseAddress!, out, accumulate: false)
                } else if inner == 1 {
                    k.rowSum(rows: outer, cols: d, px.baseAddress!, out)
                } else {
                    Scalar.fill(out, count: outer * inner, with: 0)
                    for o in 0..<outer {
                        for j in 0..<d {
                            for i in 0..<inner { out[o * inner + i] += px[(o * d + j) * inner + i] }
                        }
                    }
                }
            }
        }
        let n = node
        return tape.record("sum(axis: \(a))", y, inputs: [self]) { tape, g in
            guard n != nil else { return }
            let dx = g.withUnsafeBufferPointer { pg in
                Tensor<Scalar>.filled(shape) { out in
                    for o in 0..<outer {
                        for j in 0..<d {
                            for i in 0..<inner { out[(o * d + j) * inner + i] = pg[o * inner + i] }
                        }
                    }
                }
            }
            try tape.accumulate(n, dx)
        }
    }

    /// The mean along `axis`.
    public func mean(axis: Int, keepingDimension: Bool = false) throws -> Variable {
        let a = axis < 0 ? axis + shape.count : axis
        let d = a >= 0 && a < shape.count ? shape[a] : 1
        return try sum(axis: axis, keepingDimension: keepingDimension).scaled(by: d == 0 ? 0 : 1 / Scalar(d))
    }
}
