// RegisterTile: the register tile of the products that read their left
// operand in place, shared by chapter 5's convolution products
// (ConvolutionGEMM.swift) and chapter 7's attention (CausalAttention+SIMD.swift).
// (The core GEMM's micro-kernel, SIMDMatmul.swift, reads a packed A instead.)
//
// Contract
// - c[r, 0..<2w] (= or +=) Σₚ A(r, p)·b[p·ldb + 0..<2w] for r < validRows,
//   p < k, w = the vector width (Float 8, Double 4), where A(r, p) is
//   a[r·rowStride + p·columnStride]: W row-major (rowStride K, columnStride 1)
//   or a transpose (rowStride 1, columnStride lda) with no copy.
// - One FMA per element and p, p in increasing order; then + bias[r] (when
//   not accumulating) or + the old c. So each cᵢⱼ is the naive loop's sum
//   reassociated only by the FMAs: |tile − naive| ≤ (k + 2)·ε·Σ|terms|.
// - Rows r ≥ validRows read row validRows − 1 again (no access past the
//   operand) and are not stored. B must hold 2w readable columns per row.
// - Six rows keep 12 vector accumulators (with 2 B vectors and a broadcast,
//   15 of AVX2's 16 registers); four rows keep 8, still enough to hide the
//   FMA latency of 4 cycles on two pipes.

public enum RegisterTile {
    /// One 4 × 2-vector tile, as `rows6` with rows 0..<validRows ≤ 4.
    @inlinable @inline(__always)
    public static func rows4<T: TensorScalar>(
        k: Int, _ a: UnsafePointer<T>, rowStride: Int, columnStride: Int, validRows: Int,
        _ b: UnsafePointer<T>, ldb: Int,
        _ c: UnsafeMutablePointer<T>, ldc: Int,
        bias: UnsafePointer<T>?, accumulate: Bool
    ) {
        typealias V = T.Vector
        let w = V.scalarCount
        let last = validRows - 1
        let a0 = a, a1 = a + min(1, last) * rowStride, a2 = a + min(2, last) * rowStride, a3 = a + min(3, last) * rowStride
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
        var pb = UnsafeRawPointer(b)
        let bStep = ldb * MemoryLayout<T>.stride, half = w * MemoryLayout<T>.stride
        var pa = 0
        for _ in 0..<k {
            let b0 = pb.loadUnaligned(as: V.self), b1 = pb.loadUnaligned(fromByteOffset: half, as: V.self)
            var x = V(repeating: a0[pa]); c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = V(repeating: a1[pa]); c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            x = V(repeating: a2[pa]); c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            x = V(repeating: a3[pa]); c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            pb += bStep
            pa += columnStride
        }
        @inline(__always) func store(_ r: Int, _ v0: V, _ v1: V) {
            guard r < validRows else { return }
            let row = UnsafeMutableRawPointer(c + r * ldc)
            var (s0, s1) = (v0, v1)
            if accumulate {
                s0 += row.loadUnaligned(as: V.self)
                s1 += row.loadUnaligned(fromByteOffset: half, as: V.self)
            } else if let bias {
                let beta = V(repeating: bias[r])
                s0 += beta
                s1 += beta
            }
            row.storeBytes(of: s0, as: V.self)
            row.storeBytes(of: s1, toByteOffset: half, as: V.self)
        }
        store(0, c00, c01); store(1, c10, c11); store(2, c20, c21); store(3, c30, c31)
    }

    /// One 6 × 2-vector tile: rows 0..<validRows of c (= or +=) A-rows · B-strip.
    @inlinable @inline(__always)
    public static func rows6<T: TensorScalar>(
        k: Int, _ a: UnsafePointer<T>, rowStride: Int, columnStride: Int, validRows: Int,
        _ b: UnsafePointer<T>, ldb: Int,
        _ c: UnsafeMutablePointer<T>, ldc: Int,
        bias: UnsafePointer<T>?, accumulate: Bool
    ) {
        typealias V = T.Vector
        let w = V.scalarCount
        // Missing rows re-read the last valid row; their sums are dropped.
        let last = validRows - 1
        let a0 = a, a1 = a + min(1, last) * rowStride, a2 = a + min(2, last) * rowStride
        let a3 = a + min(3, last) * rowStride, a4 = a + min(4, last) * rowStride, a5 = a + min(5, last) * rowStride
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        var pb = UnsafeRawPointer(b)
        let bStep = ldb * MemoryLayout<T>.stride, half = w * MemoryLayout<T>.stride
        var pa = 0
        for _ in 0..<k {
            let b0 = pb.loadUnaligned(as: V.self), b1 = pb.loadUnaligned(fromByteOffset: half, as: V.self)
            var x = V(repeating: a0[pa]); c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = V(repeating: a1[pa]); c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            x = V(repeating: a2[pa]); c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            x = V(repeating: a3[pa]); c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            x = V(repeating: a4[pa]); c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
            x = V(repeating: a5[pa]); c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
            pb += bStep
            pa += columnStride
        }
        @inline(__always) func store(_ r: Int, _ v0: V, _ v1: V) {
            guard r < validRows else { return }
            let row = UnsafeMutableRawPointer(c + r * ldc)
            var (s0, s1) = (v0, v1)
            if accumulate {
                s0 += row.loadUnaligned(as: V.self)
                s1 += row.loadUnaligned(fromByteOffset: half, as: V.self)
            } else if let bias {
                let beta = V(repeating: bias[r])
                s0 += beta
                s1 += beta
            }
            row.storeBytes(of: s0, as: V.self)
            row.storeBytes(of: s1, toByteOffset: half, as: V.self)
        }
        store(0, c00, c01); store(1, c10, c11); store(2, c20, c21)
        store(3, c30, c31); store(4, c40, c41); store(5, c50, c51)
    }
}
