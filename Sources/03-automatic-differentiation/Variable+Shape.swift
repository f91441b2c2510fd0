// Operations that move elements without arithmetic: reshape, transpose,
// gather (embedding lookup), concatenation and slicing.
//
//   forward                                   backward (g = ∂L/∂y)
//   y = reshape(x)                            ∂x = reshape(g) back
//   y = xᵀ  (2-D, or the last two axes)       ∂x = gᵀ (the same swap)
//   y[n, :] = T[idₙ, :]  (gather rows)        ∂T[v, :] = Σ_{n: idₙ = v} g[n, :] (scatter-add:
//                                             a row used twice gets both gradients)
//   y = concat(x₁, …, x_k) along an axis      ∂xᵢ = the slice of g where xᵢ went
//   y = x[…, lo..<hi, …] along an axis        ∂x = g placed in lo..<hi, zeros elsewhere
// Each is a bookkeeping of indices: the backward sends every gradient
// element back to the place its value came from.

import BackpropCore

extension Variable {
    /// The same elements with another shape of equal count.
    public func reshaped(_ newShape: [Int]) throws -> Variable {
        guard newShape.allSatisfy({ $0 >= 0 }), newShape.reduce(1, *) == value.count else {
            throw AutodiffError.shapeMismatch(operation: "reshape", lhs: shape, rhs: newShape,
                                              reason: "element counts \(value.count) and \(newShape.reduce(1, *)) differ")
        }
        let old = shape, n = node
        return tape.record("reshape", try value.reshaped(newShape), inputs: [self]) { tape, g in
            try tape.accumulate(n, g.reshaped(old))
        }
    }

    /// The last two axes swapped: the transpose of a matrix, or of every
    /// matrix in a batch [..., r, c] → [..., c, r].
    public func transposed() throws -> Variable {
        guard shape.count >= 2 else {
            throw AutodiffError.invalidShape(operation: "transpose", shape: shape, reason: "needs at least two axes")
        }
        let n = node
        return tape.record("transpose", Self.swapLastTwo(value), inputs: [self]) { tape, g in
            try tape.accumulate(n, Self.swapLastTwo(g))
        }
    }

    static func swapLastTwo(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        let r = x.shape[x.rank - 2], c = x.shape[x.rank - 1], batch = r * c == 0 ? 0 : x.count / (r * c)
        var outShape = x.shape
        outShape.swapAt(x.rank - 2, x.rank - 1)
        return x.withUnsafeBufferPointer { px in
            Tensor<Scalar>.filled(outShape) { out in
                for b in 0..<batch {
                    let src = px.baseAddress! + b * r * c, dst = out + b * r * c
                    for i in 0..<r { for j in 0..<c { dst[j * r + i] = src[i * c + j] } }
                }
            }
        }
    }

    /// Rows of a table [V, D] by index: [ids.count, D] (an embedding lookup).
    /// - Throws: `AutodiffError.indexOutOfRange` for an index outside 0..<V.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func gather(rows ids: [Int]) throws -> Variable {
        guard shape.count == 2 else {
            throw AutodiffError.invalidShape(operation: "gather", shape: shape, reason: "the table must be a matrix [V, D]")
        }
        let (v, d) = (shape[0], shape[1])
        if let bad = ids.first(where: { $0 < 0 || $0 >= v }) {
            throw AutodiffError.indexOutOfRange(operation: "gather", index: bad, count: v)
        }
        let y = value.withUnsafeBufferPointer { pt in
            Tensor<Scalar>.filled([ids.count, d]) { out in
                for (r, id) in ids.enumerated() { (out + r * d).update(from: pt.baseAddress! + id * d, count: d) }
            }
        }
        let n = node
        return tape.record("gather", y, inputs: [self]) { tape, g in
            // scattered straight into the table's gradient (a row per index, in order)
            guard d > 0 else { return }
            let k = tape.backend.kernels
            g.withUnsafeBufferPointer { pg in
                tape.accumulate(n) { dt, add in
                    if !add { Scalar.fill(dt, count: v * d, with: 0) }
                    for (r, id) in ids.enumerated() {
                        k.add(count: d, UnsafePointer(dt + id * d), pg.baseAddress! + r * d, dt + id * d)
                    }
                }
            }
        }
    }

    /// Splits a shape at `axis` into (outer, d, inner) element counts.
    static func split(_ shape: [Int], _ axis: Int) -> (Int, Int, Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// The parts joined along `axis`; every other dimension must agree.
    /// - Throws: `AutodiffError` for no parts, different tapes or shapes that do not fit.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func concatenated(_ parts: [Variable], axis: Int) throws -> Variable {
        guard let first = parts.first else { throw AutodiffError.invalidArgument(operation: "concatenate", reason: "no tensors to join") }
        let a = axis < 0 ? axis + first.shape.count : axis
        guard a >= 0, a < first.shape.count else {
            throw AutodiffError.invalidArgument(operation: "concatenate", reason: "axis \(axis) outside the rank of \(first.shape)")
        }
        for p in parts {
            try first.sameTape(p, operation: "concatenate")
            var s1 = first.shape, s2 = p.shape
            guard s1.count == s2.count else {
                throw AutodiffError.shapeMismatch(operation: "concatenate", lhs: first.shape, rhs: p.shape, reason: "ranks differ")
            }
            s1[a] = 0; s2[a] = 0
            guard s1 == s2 else {
                throw AutodiffError.shapeMismatch(operation: "concatenate", lhs: first.shape, rhs: p.shape,
                                                  reason: "dimensions other than axis \(a) must agree")
            }
        }
        let widths = parts.map { $0.shape[a] }, total = widths.reduce(0, +)
        var outShape = first.shape
        outShape[a] = total
        let (outer, _, inner) = split(outShape, a)
        // Whole runs of w·inner elements are copied as bytes: element by
        // element, this generic code paid a value-witness call per scalar.
        let size = MemoryLayout<Scalar>.stride
        let y = Tensor<Scalar>.filled(outShape) { out in
            var offset = 0
            for (p, w) in zip(parts, widths) {
                p.value.withUnsafeBufferPointer { pp in
                    for o in 0..<outer {
                        UnsafeMutableRawPointer(out + (o * total + offset) * inner)
                            .copyMemory(from: pp.baseAddress! + o * w * inner, byteCount: w * inner * size)
                    }
                }
                offset += w
            }
        }
        let nodes = parts.map(\.node)
        return first.tape.record("concatenate", y, inputs: parts) { tape, g in
            var offset = 0
            for (node, w) in zip(nodes, widths) {
                if node != nil {
                    let lo = offset
                    g.withUnsafeBufferPointer { pg in
                        tape.accumulate(node) { dx, add in
                            for o in 0..<outer {
                                let from = pg.baseAddress! + (o * total + lo) * inner, to = dx + o * w * inner
                                if add {
                                    tape.backend.kernels.add(count: w * inner, UnsafePointer(to), from, to)
                                } else {
                                    UnsafeMutableRawPointer(to).copyMemory(from: from, byteCount: w * inner * size)
                                }
                            }
                        }
                    }
                }
                offset += w
            }
        }
    }

    /// The elements lo..<hi along `axis`.
    /// - Throws: `AutodiffError` for an axis or range outside the shape.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func slice(axis: Int, _ range: Range<Int>) throws -> Variable {
        let a = axis < 0 ? axis + shape.count : axis
        guard a >= 0, a < shape.count else {
            throw AutodiffError.invalidArgument(operation: "slice", reason: "axis \(axis) outside the rank of \(shape)")
        }
        guard range.lowerBound >= 0, range.upperBound <= shape[a] else {
            throw AutodiffError.indexOutOfRange(operation: "slice along axis \(a) of \(shape)",
                                                index: range.lowerBound < 0 ? range.lowerBound : range.upperBound, count: shape[a] + 1)
        }
        let (outer, d, inner) = Self.split(shape, a), w = range.count, lo = range.lowerBound
        var outShape = shape
        outShape[a] = w
        let size = MemoryLayout<Scalar>.stride
        let y = value.withUnsafeBufferPointer { px in
            Tensor<Scalar>.filled(outShape) { out in
                for o in 0..<outer {
                    UnsafeMutableRawPointer(out + o * w * inner)
                        .copyMemory(from: px.baseAddress! + (o * d + lo) * inner, byteCount: w * inner * size)
                }
            }
        }
        let n = node
        return tape.record("slice", y, inputs: [self]) { tape, g in
            // Only the slice's own region of the input's gradient is touched:
            // building a full-size gradient per slice made a sequence model
            // that slices each step from [T·B, ·] rows cost O(T²) (a
            // char-LSTM step spent most of its time zero-filling and adding
            // 8 MB per time step). A fresh gradient is zero outside the region.
            tape.accumulate(n) { dx, add in
                if !add { Scalar.fill(dx, count: outer * d * inner, with: 0) }
                g.withUnsafeBufferPointer { pg in
                    for o in 0..<outer {
                        let to = dx + (o * d + lo) * inner, from = pg.baseAddress! + o * w * inner
                        tape.backend.kernels.add(count: w * inner, UnsafePointer(to), from, to)
                    }
                }
            }
        }
    }
}
