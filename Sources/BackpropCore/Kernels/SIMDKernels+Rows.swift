// SIMDKernels+Rows: the row and column kernels of `SIMDKernels`: adding a row
// vector, row and column sums, row maxima and the row softmax. The contract
// is in SIMDKernels.swift.

import Foundation

extension SIMDKernels {
    /// M[i, :] += v
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func addRowVector<T: TensorScalar>(
        rows: Int, cols: Int, _ v: UnsafePointer<T>, _ m: UnsafeMutablePointer<T>
    ) {
        // Row halves on both cores when the helper is awake (as add and
        // multiply, SIMDKernels.swift): the halves a row-split product just
        // wrote, each in its own core's cache. Each element is the same sum.
        if rows >= 2, rows * cols >= elementwiseTeamThreshold, SpinTeam.awake != nil {
            nonisolated(unsafe) let (v, m) = (v, m)
            ParallelFor.run(iterations: 2) { part in
                let r0 = part == 0 ? 0 : rows / 2, r1 = part == 0 ? rows / 2 : rows
                addRowVectorSerial(rows: r1 - r0, cols: cols, v, m + r0 * cols)
            }
        } else {
            addRowVectorSerial(rows: rows, cols: cols, v, m)
        }
    }

    /// `addRowVector` on the calling thread.
    @inline(__always)
    static func addRowVectorSerial<T: TensorScalar>(
        rows: Int, cols: Int, _ v: UnsafePointer<T>, _ m: UnsafeMutablePointer<T>
    ) {
        let w = T.Vector.scalarCount
        for r in 0..<rows {
            let row = m + r * cols
            var j = 0
            while j + w <= cols { store(load(row, j) + load(v, j), row, j); j += w }
            while j < cols { row[j] += v[j]; j += 1 }
        }
    }

    /// out[i] = Σⱼ X[i, j], summed in 2 vector accumulators (2w partial sums),
    /// then across lanes, then the scalar tail.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func rowSum<T: TensorScalar>(
        rows: Int, cols: Int, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>
    ) {
        let w = T.Vector.scalarCount
        for r in 0..<rows {
            let row = x + r * cols
            var s0 = T.Vector(), s1 = T.Vector()
            var j = 0
            while j + 2 * w <= cols { s0 += load(row, j); s1 += load(row, j + w); j += 2 * w }
            if j + w <= cols { s0 += load(row, j); j += w }
            var total = (s0 + s1).sum()
            while j < cols { total += row[j]; j += 1 }
            out[r] = total
        }
    }

    /// out[i] = maxⱼ X[i, j] (exact: max does not round).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func rowMax<T: TensorScalar>(
        rows: Int, cols: Int, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>
    ) {
        for r in 0..<rows { out[r] = maxOfRow(x + r * cols, cols) }
    }

    /// out[j] = Σᵢ X[i, j] (+ out[j]): 4w columns at a time in registers,
    /// summing rows in order i = 0, 1, … exactly like Naive (same result bits).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func columnSum<T: TensorScalar>(
        rows: Int, cols: Int, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
        accumulate: Bool
    ) {
        // Column halves on both cores when the helper is awake (bias
        // gradients of 768-row products): each column's sum is formed exactly
        // as on one thread, and the main thread no longer reads all rows alone.
        let w = T.Vector.scalarCount
        if cols >= 16 * w, rows * cols >= elementwiseTeamThreshold, SpinTeam.awake != nil {
            let half = (cols / 2) / (4 * w) * (4 * w)
            nonisolated(unsafe) let (x, out) = (x, out)
            ParallelFor.run(iterations: 2) { part in
                let j0 = part == 0 ? 0 : half, j1 = part == 0 ? half : cols
                columnSum(rows: rows, columns: j0..<j1, stride: cols, x, out, accumulate: accumulate)
            }
            return
        }
        columnSum(rows: rows, columns: 0..<cols, stride: cols, x, out, accumulate: accumulate)
    }

    /// out[j] (+)= Σᵢ X[i, j] for j in `columns` of a matrix with rows `stride` apart.
    @inline(__always)
    static func columnSum<T: TensorScalar>(
        rows: Int, columns: Range<Int>, stride cols: Int, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
        accumulate: Bool
    ) {
        let w = T.Vector.scalarCount
        var j = columns.lowerBound
        let end = columns.upperBound
        while j + 4 * w <= end {
            var s0 = T.Vector(), s1 = T.Vector(), s2 = T.Vector(), s3 = T.Vector()
            var p = x + j
            for _ in 0..<rows {
                s0 += load(p, 0); s1 += load(p, w); s2 += load(p, 2 * w); s3 += load(p, 3 * w)
                p += cols
            }
            if accumulate {
                s0 = load(out, j) + s0; s1 = load(out, j + w) + s1
                s2 = load(out, j + 2 * w) + s2; s3 = load(out, j + 3 * w) + s3
            }
            store(s0, out, j); store(s1, out, j + w); store(s2, out, j + 2 * w); store(s3, out, j + 3 * w)
            j += 4 * w
        }
        while j + w <= end {
            var s = T.Vector()
            for i in 0..<rows { s += load(x, i * cols + j) }
            store(accumulate ? load(out, j) + s : s, out, j)
            j += w
        }
        while j < end {
            var s: T = 0
            for i in 0..<rows { s += x[i * cols + j] }
            out[j] = accumulate ? out[j] + s : s
            j += 1
        }
    }

    /// Y[i, :] = exp(X[i, :] − mᵢ) / Σⱼ exp(X[i, j] − mᵢ) with mᵢ the row max:
    /// every exponent is ≤ 0, so nothing overflows and the largest term is 1,
    /// so the sum is ≥ 1 and the division is safe. Y is scaled by 1/Σ (one
    /// extra rounding versus Naive's division).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func softmaxRows<T: TensorScalar>(
        rows: Int, cols: Int, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>
    ) {
        guard cols > 0 else { return }
        for r in 0..<rows {
            let xr = x + r * cols, yr = y + r * cols
            let m = maxOfRow(xr, cols)
            var total: T = 0
            if T.self == Float.self {
                total = unsafeBitCast(expShiftedRow(
                    PackedGEMM.rebind(xr, Float.self), PackedGEMM.rebindMutable(yr, Float.self),
                    cols, shift: unsafeBitCast(m, to: Float.self)), to: T.self)
            } else {
                for j in 0..<cols {
                    let e = T.exp(xr[j] - m)
                    yr[j] = e
                    total += e
                }
            }
            scale(count: cols, alpha: 1 / total, yr)
        }
    }

    /// y[j] = exp(x[j] − shift) for one row, returning Σⱼ y[j] (vector
    /// partial sums; the padded tail lanes are −∞, whose exp is 0).
    static func expShiftedRow(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int, shift: Float
    ) -> Float {
        let s = SIMD8<Float>(repeating: shift)
        var acc = SIMD8<Float>()
        var j = 0
        while j + 8 <= count {
            let e = VectorMath.exp(load(x, j) - s)
            store(e, y, j)
            acc += e
            j += 8
        }
        if j < count {
            let e = VectorMath.exp(loadPartial(x + j, count - j, fill: -.infinity) - s)
            for l in 0..<(count - j) { y[j + l] = e[l] }
            acc += e
        }
        return acc.sum()
    }

    // MARK: Row maxima

    /// max of row[0..<cols] (cols ≥ 1), lanes compared with `>` like Naive.
    /// Dispatches to concrete Float/Double loops (see `relu` on masks, in
    /// SIMDKernels+Map.swift).
    @inline(__always)
    static func maxOfRow<T: TensorScalar>(_ row: UnsafePointer<T>, _ cols: Int) -> T {
        if T.self == Float.self {
            return unsafeBitCast(maxOfRowF(PackedGEMM.rebind(row, Float.self), cols), to: T.self)
        } else if T.self == Double.self {
            return unsafeBitCast(maxOfRowD(PackedGEMM.rebind(row, Double.self), cols), to: T.self)
        }
        var best = row[0]
        for j in 1..<cols where row[j] > best { best = row[j] }
        return best
    }

    static func maxOfRowF(_ row: UnsafePointer<Float>, _ cols: Int) -> Float {
        var best = row[0]
        var j = 0
        if cols >= 8 {
            var v: SIMD8<Float> = load(row, 0)
            j = 8
            while j + 8 <= cols {
                let u: SIMD8<Float> = load(row, j)
                v = v.replacing(with: u, where: u .> v)  // one vmaxps
                j += 8
            }
            best = v.max()
        }
        while j < cols { if row[j] > best { best = row[j] }; j += 1 }
        return best
    }

    static func maxOfRowD(_ row: UnsafePointer<Double>, _ cols: Int) -> Double {
        var best = row[0]
        var j = 0
        if cols >= 4 {
            var v: SIMD4<Double> = load(row, 0)
            j = 4
            while j + 4 <= cols {
                let u: SIMD4<Double> = load(row, j)
                v = v.replacing(with: u, where: u .> v)
                j += 4
            }
            best = v.max()
        }
        while j < cols { if row[j] > best { best = row[j] }; j += 1 }
        return best
    }
}
