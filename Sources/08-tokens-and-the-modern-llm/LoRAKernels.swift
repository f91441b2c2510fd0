// The thin products of a LoRA side path (rank r, a handful of columns),
// as naive and SIMD twins, for the attention's merged fast path (LoRA.swift).
//
//   forward   ax = x Aᵀ                 x [n, in], A [r, in] → ax [n, r]
//   backward  g = s·dy B                dy [n, out], B [out, r] → g [n, r]
//             B.grad += s·dyᵀ ax        [out, r]
//             A.grad += gᵀ x            [r, in]
//
// Why not the core GEMM: each of these is a product with r (4) columns or
// rows against n = B·T (768) rows, so the packed GEMM spends its time
// packing the wide operand (the whole of x or dy, once per product) and
// multiplying zero padding (r = 4 columns padded to its 16-wide tiles): in
// the LoRA training step (`bench llama`) the adapters' forward and backward
// took 3% of the perf samples, about 7% of the main thread's time, for
// about 1% of the step's multiply-adds. Here each row of dy and x is read once,
// from L1, for all three backward products: r dot products give g's row,
// and 2r axpys add the row's outer products to [r, out] and [r, in]
// partial sums (B.grad transposed), which are added to the gradients at the
// end. Rows are split over the cores from 2¹⁶ multiply-adds, each chunk
// with its own partial sums, added in chunk order.
//
// Floating point: every sum runs over the same terms as the matrix product
// it replaces, in row order within a chunk (vector lanes and two
// accumulators reassociate the dot products over `in` or `out`); the naive
// twin sums in plain order. Both are within (terms)·ε·Σ|terms| of the exact
// values, which the twin test in LoRATests bounds.

import BackpropCore

/// x Aᵀ and the adapter's gradients, naive and SIMD (shapes trusted).
public enum LoRAKernels {
    /// ax [n, r] = x [n, in] · A [r, in]ᵀ.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func project<T: TensorScalar>(_ backend: Backend, rows n: Int, inputs: Int, rank r: Int,
                                                _ x: UnsafePointer<T>, _ a: UnsafePointer<T>, _ ax: UnsafeMutablePointer<T>) {
        if backend == .simd {
            for i in 0..<n {
                for j in 0..<r { ax[i * r + j] = dot(inputs, x + i * inputs, a + j * inputs) }
            }
        } else {
            for i in 0..<n {
                for j in 0..<r {
                    var s: T = 0
                    for p in 0..<inputs { s += x[i * inputs + p] * a[j * inputs + p] }
                    ax[i * r + j] = s
                }
            }
        }
    }

    /// B.grad [out, r] += s·dyᵀ ax and A.grad [r, in] += gᵀ x with g = s·dy B,
    /// from dy [n, out], x [n, in], ax [n, r] and B [out, r].
    public static func gradients<T: TensorScalar>(
        _ backend: Backend, rows n: Int, inputs: Int, outputs: Int, rank r: Int, scale s: T,
        dy: UnsafePointer<T>, x: UnsafePointer<T>, ax: UnsafePointer<T>, b: UnsafePointer<T>,
        gradA: UnsafeMutablePointer<T>, gradB: UnsafeMutablePointer<T>
    ) {
        if backend == .simd {
            gradientsSIMD(rows: n, inputs: inputs, outputs: outputs, rank: r, scale: s, dy: dy, x: x, ax: ax, b: b, gradA: gradA, gradB: gradB)
            return
        }
        var g = [T](repeating: 0, count: n * r)                              // s·dy B
        for i in 0..<n {
            for j in 0..<r {
                var t: T = 0
                for o in 0..<outputs { t += dy[i * outputs + o] * b[o * r + j] }
                g[i * r + j] = t * s
            }
        }
        for o in 0..<outputs {                                              // += s·dyᵀ ax
            for j in 0..<r {
                var t: T = 0
                for i in 0..<n { t += dy[i * outputs + o] * ax[i * r + j] }
                gradB[o * r + j] += s * t
            }
        }
        for j in 0..<r {                                                    // += gᵀ x
            for p in 0..<inputs {
                var t: T = 0
                for i in 0..<n { t += g[i * r + j] * x[i * inputs + p] }
                gradA[j * inputs + p] += t
            }
        }
    }

    // MARK: SIMD

    /// Multiply-adds from which the rows are split over the cores.
    static let parallelThreshold = 1 << 16

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func gradientsSIMD<T: TensorScalar>(
        rows n: Int, inputs: Int, outputs: Int, rank r: Int, scale s: T,
        dy: UnsafePointer<T>, x: UnsafePointer<T>, ax: UnsafePointer<T>, b: UnsafePointer<T>,
        gradA: UnsafeMutablePointer<T>, gradB: UnsafeMutablePointer<T>
    ) {
        let chunks = n * r * (inputs + 2 * outputs) >= parallelThreshold ? min(RowParallel.cores, n) : 1
        let width = r * (inputs + outputs)                                  // one chunk's partial sums: Bᵀ [r, out], A [r, in]
        var partials = [T](repeating: 0, count: chunks * width)
        var bT = [T](repeating: 0, count: r * outputs)                      // Bᵀ [r, out]: B's columns as rows
        for o in 0..<outputs { for j in 0..<r { bT[j * outputs + o] = b[o * r + j] } }
        partials.withUnsafeMutableBufferPointer { pp in
            bT.withUnsafeBufferPointer { pb in
                nonisolated(unsafe) let (sums, bt) = (pp.baseAddress!, pb.baseAddress!)
                nonisolated(unsafe) let (dy, x, ax) = (dy, x, ax)
                RowParallel.forEachChunk(rows: n, chunks: chunks) { chunk, lo, hi in
                    let sumB = sums + chunk * width, sumA = sumB + r * outputs
                    for i in lo..<hi {
                        let dyRow = dy + i * outputs, xRow = x + i * inputs
                        for j in 0..<r {
                            let g = s * dot(outputs, dyRow, bt + j * outputs)          // g[i, j]
                            axpy(outputs, ax[i * r + j], dyRow, sumB + j * outputs)   // Bᵀ[j] += ax[i, j] dy[i]
                            axpy(inputs, g, xRow, sumA + j * inputs)                  // A[j] += g[i, j] x[i]
                        }
                    }
                }
                for chunk in 0..<chunks {
                    let sumB = sums + chunk * width, sumA = sumB + r * outputs
                    for o in 0..<outputs { for j in 0..<r { gradB[o * r + j] += s * sumB[j * outputs + o] } }
                    for e in 0..<(r * inputs) { gradA[e] += sumA[e] }
                }
            }
        }
    }

    /// Σ_p u[p]·v[p] with two vector accumulators (FMA latency).
    @inline(__always)
    static func dot<T: TensorScalar>(_ count: Int, _ u: UnsafePointer<T>, _ v: UnsafePointer<T>) -> T {
        let w = T.Vector.scalarCount
        var acc0 = T.Vector(), acc1 = T.Vector()
        var p = 0
        while p + 2 * w <= count {
            acc0.addProduct(SIMDKernels.load(u, p), SIMDKernels.load(v, p))
            acc1.addProduct(SIMDKernels.load(u, p + w), SIMDKernels.load(v, p + w))
            p += 2 * w
        }
        if p + w <= count {
            acc0.addProduct(SIMDKernels.load(u, p), SIMDKernels.load(v, p))
            p += w
        }
        var total = (acc0 + acc1).sum()
        while p < count { total += u[p] * v[p]; p += 1 }
        return total
    }

    /// y[p] += α·u[p].
    @inline(__always)
    static func axpy<T: TensorScalar>(_ count: Int, _ alpha: T, _ u: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>) {
        let w = T.Vector.scalarCount, a = T.Vector(repeating: alpha)
        var p = 0
        while p + w <= count {
            SIMDKernels.store(SIMDKernels.load(y, p).addingProduct(a, SIMDKernels.load(u, p)), y, p)
            p += w
        }
        while p < count { y[p] += alpha * u[p]; p += 1 }
    }
}
