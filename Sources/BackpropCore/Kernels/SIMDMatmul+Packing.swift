// The packing routines of the core GEMM (SIMDMatmul.swift): op(A) into
// MR-tall panels and op(B) into NR-wide panels, for each of the three
// layouts, with register transposes for the Float fast paths.

extension PackedGEMM {
    /// Packs rows `row..<row+mc`, depth `col..<col+kc` of op(A) into MR-tall
    /// panels: panel i holds op(A)[i·MR + r, p] at index p·MR + r, zero-padded
    /// below row m. nn/nt read MR row streams of A; tn reads MR contiguous
    /// scalars of row p of the stored Aᵀ.
    @inline(__always)
    static func packABlock<S: TensorScalar>(
        _ layout: MatmulLayout, lda: Int, _ a: UnsafePointer<S>,
        row: Int, col: Int, mc: Int, kc: Int, _ dst: UnsafeMutablePointer<S>
    ) {
        let mr = Self.mr
        for i0 in stride(from: 0, to: mc, by: mr) {
            let rows = min(mr, mc - i0)
            let d = dst + i0 * kc
            if rows < mr { d.update(repeating: 0, count: kc * mr) }
            if layout == .tn {
                var src = a + col * lda + row + i0
                if S.self == Float.self && rows == mr {
                    // Float fast path: each depth's six scalars are contiguous
                    // in the stored Aᵀ: one 4-wide and one 2-wide copy
                    // instead of six scalar ones (the weight gradients' products).
                    for p in 0..<kc {
                        let s = UnsafeRawPointer(src), t = UnsafeMutableRawPointer(d + p &* mr)
                        t.storeBytes(of: s.loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
                        t.storeBytes(of: s.loadUnaligned(fromByteOffset: 16, as: SIMD2<Float>.self), toByteOffset: 16, as: SIMD2<Float>.self)
                        src += lda
                    }
                } else {
                    for p in 0..<kc {
                        for r in 0..<rows { d[p * mr + r] = src[r] }
                        src += lda
                    }
                }
            } else {
                var p0 = 0
                if S.self == Float.self && rows == mr {
                    // Float fast path: eight depths of the six rows at a time,
                    // a 6×8 transpose in registers, six vector stores.
                    let src = rebind(a + (row + i0) * lda + col, Float.self)
                    let out = rebindMutable(d, Float.self)
                    while p0 + 8 <= kc {
                        transpose6x8(src + p0, lda, out + p0 &* 6)
                        p0 += 8
                    }
                }
                for r in 0..<rows where p0 < kc {
                    let src = a + (row + i0 + r) * lda + col
                    for p in p0..<kc { d[p &* mr &+ r] = src[p] }
                }
            }
        }
    }

    /// d[q·6 + r] = s[r·lds + q] for r < 6, q < 8: six row loads, six vector
    /// stores of the interleaved result (LLVM turns the lane picks into
    /// shuffles), instead of 48 strided scalar stores.
    @inline(__always)
    static func transpose6x8(_ s: UnsafePointer<Float>, _ lds: Int, _ d: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        let a = UnsafeRawPointer(s).loadUnaligned(as: V.self)
        let b = UnsafeRawPointer(s + lds).loadUnaligned(as: V.self)
        let c = UnsafeRawPointer(s + 2 * lds).loadUnaligned(as: V.self)
        let e = UnsafeRawPointer(s + 3 * lds).loadUnaligned(as: V.self)
        let f = UnsafeRawPointer(s + 4 * lds).loadUnaligned(as: V.self)
        let g = UnsafeRawPointer(s + 5 * lds).loadUnaligned(as: V.self)
        let out = UnsafeMutableRawPointer(d)
        out.storeBytes(of: V(a[0], b[0], c[0], e[0], f[0], g[0], a[1], b[1]), as: V.self)
        out.storeBytes(of: V(c[1], e[1], f[1], g[1], a[2], b[2], c[2], e[2]), toByteOffset: 32, as: V.self)
        out.storeBytes(of: V(f[2], g[2], a[3], b[3], c[3], e[3], f[3], g[3]), toByteOffset: 64, as: V.self)
        out.storeBytes(of: V(a[4], b[4], c[4], e[4], f[4], g[4], a[5], b[5]), toByteOffset: 96, as: V.self)
        out.storeBytes(of: V(c[5], e[5], f[5], g[5], a[6], b[6], c[6], e[6]), toByteOffset: 128, as: V.self)
        out.storeBytes(of: V(f[6], g[6], a[7], b[7], c[7], e[7], f[7], g[7]), toByteOffset: 160, as: V.self)
    }

    /// Packs depth `row..<row+kc`, columns `col..<col+cols` of op(B) into one
    /// NR-wide panel: op(B)[p, col + j] at index p·NR + j, zero-padded right
    /// of column n. nn/tn copy contiguous row pieces; nt gathers from the
    /// stored Bᵀ, reading `cols` rows sequentially.
    @inline(__always)
    static func packBPanel<S: TensorScalar>(
        _ layout: MatmulLayout, ldb: Int, _ b: UnsafePointer<S>,
        row: Int, col: Int, kc: Int, nr: Int, cols: Int, _ dst: UnsafeMutablePointer<S>
    ) {
        if cols < nr { dst.update(repeating: 0, count: kc * nr) }
        if layout == .nt {
            var p0 = 0
            if S.self == Float.self && cols == nr {
                // Float fast path: 8×8 transposes, two per step of 8 in p.
                let src = rebind(b + col * ldb + row, Float.self)
                let d = rebindMutable(dst, Float.self)
                while p0 + 8 <= kc {
                    transpose8x8(src + p0, ldb, d + p0 * 16, 16)
                    transpose8x8(src + 8 * ldb + p0, ldb, d + p0 * 16 + 8, 16)
                    p0 += 8
                }
            }
            for j in 0..<cols where p0 < kc {
                let src = b + (col + j) * ldb + row
                for p in p0..<kc { dst[p * nr + j] = src[p] }
            }
        } else {
            var src = b + row * ldb + col
            var d = dst
            if cols == nr {
                // NR = two vectors: copy each row piece with two loads/stores.
                let half = nr / 2 * MemoryLayout<S>.stride
                for _ in 0..<kc {
                    let s = UnsafeRawPointer(src), t = UnsafeMutableRawPointer(d)
                    t.storeBytes(of: s.loadUnaligned(as: S.Vector.self), as: S.Vector.self)
                    t.storeBytes(of: s.loadUnaligned(fromByteOffset: half, as: S.Vector.self),
                                 toByteOffset: half, as: S.Vector.self)
                    src += ldb; d += nr
                }
            } else {
                for _ in 0..<kc {
                    d.update(from: src, count: cols)
                    src += ldb; d += nr
                }
            }
        }
    }

    /// d[q·ldd + r] = s[r·lds + q] for r, q < 8: eight row loads, eight
    /// vector stores (LLVM turns the lane gathers into shuffles and blends),
    /// about twice as fast as scalar copying.
    @inline(__always)
    static func transpose8x8(
        _ s: UnsafePointer<Float>, _ lds: Int, _ d: UnsafeMutablePointer<Float>, _ ldd: Int
    ) {
        typealias V = SIMD8<Float>
        let r0 = UnsafeRawPointer(s).loadUnaligned(as: V.self)
        let r1 = UnsafeRawPointer(s + lds).loadUnaligned(as: V.self)
        let r2 = UnsafeRawPointer(s + 2 * lds).loadUnaligned(as: V.self)
        let r3 = UnsafeRawPointer(s + 3 * lds).loadUnaligned(as: V.self)
        let r4 = UnsafeRawPointer(s + 4 * lds).loadUnaligned(as: V.self)
        let r5 = UnsafeRawPointer(s + 5 * lds).loadUnaligned(as: V.self)
        let r6 = UnsafeRawPointer(s + 6 * lds).loadUnaligned(as: V.self)
        let r7 = UnsafeRawPointer(s + 7 * lds).loadUnaligned(as: V.self)
        for q in 0..<8 {
            UnsafeMutableRawPointer(d + q * ldd).storeBytes(
                of: V(r0[q], r1[q], r2[q], r3[q], r4[q], r5[q], r6[q], r7[q]), as: V.self)
        }
    }
}
