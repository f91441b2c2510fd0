// The SIMD twin of causal attention (CausalAttention.swift holds the
// contract and the naive twin): per (batch, head) pair, every product is a
// loop of 6×2w register tiles (w = the vector width: 6×16 for Float) that
// skips what the causal mask makes zero.
//
// Why not the core GEMM. The products are small (T×T×d = 64·64·32 for the
// baby GPT) and there are six of them per pair and pass, 1,152 calls per
// training step: packing both operands, borrowing scratch from the shared
// pool and fixing up edge tiles cost more than the multiply-adds (measured:
// forward 23 GFLOP/s, backward 50–68). Here each pair's operands are copied
// once into zero-padded blocks (rows to a multiple of 6, columns to a
// multiple of 2w) that serve directly as the tiles' operands, and the mask
// halves the work:
//
//   forward   S = (Q/√d) Kᵀ    row tile i₀…i₀+5 needs columns j ≤ i₀+5 only
//             P = softmax over j ≤ i (MaskedSoftmax.row, zero beyond)
//             Y = P V          depth j < i₀+6 only (P is zero beyond)
//   backward  dV = Pᵀ dY       row tile j₀…j₀+5 needs depth i ≥ j₀ only
//             dP = dY Vᵀ       as S
//             dS = P ⊙ (dP − rowsum(P ⊙ dP))     (zero where masked)
//             dQ = dS K / √d   as Y
//             dK = dSᵀ Q / √d  as dV
//
// One tile kernel serves all six, the one chapter 5's convolutions use
// (BackpropCore/Kernels/RegisterTile.swift): C[6, 2w] = Σₚ A(r, p)·B[p, 0..<2w],
// A read with a row stride and a depth stride (1 and lda for Pᵀ and dSᵀ,
// lda and 1 otherwise), B a row-major block. Zero padding makes every tile
// full: padded rows and columns hold zeros (or values that are discarded),
// so the sums over valid entries are the same sums the naive loops form, in
// a different order and with FMAs: |simd − naive| ≤ (n + 2)·ε·Σ|terms| for a
// sum of n terms, the bound the twin tests state.

import BackpropCore
import Foundation

extension CausalAttention {
    /// Padded sizes of one pair's blocks: rows to a multiple of 6, T and d
    /// to multiples of the tile width 2w (w = vector width).
    struct PairLayout {
        let t: Int, d: Int, tRows: Int, tCols: Int, dCols: Int
        init(length t: Int, headWidth d: Int, tileWidth nr: Int) {
            self.t = t; self.d = d
            tRows = max((t + 5) / 6 * 6, (t + nr - 1) / nr * nr)
            tCols = (t + nr - 1) / nr * nr
            dCols = (d + nr - 1) / nr * nr
        }
        /// Scalars in one [tRows, dCols] block and one [tRows, tCols] block.
        var rowBlock: Int { tRows * dCols }
        var squareBlock: Int { tRows * tCols }
    }

    /// C = A·B over row tiles of 6 and column tiles of 2w, where `columns(i0)`
    /// and `depth(i0)` give, for the row tile at i0, the column range to
    /// compute and the depth range to sum (the causal limits). A(r, p) is
    /// `a[(i0 + r)·aRow + p·aDepth]`. Columns outside `columns(i0)` are left alone.
    @inline(__always)
    static func product<T: TensorScalar>(
        rows: Int, columns: (Int) -> Range<Int>, depth: (Int) -> Range<Int>,
        _ a: UnsafePointer<T>, aRow: Int, aDepth: Int, _ b: UnsafePointer<T>, ldb: Int,
        _ c: UnsafeMutablePointer<T>, ldc: Int
    ) {
        let nr = 2 * T.Vector.scalarCount
        for i0 in stride(from: 0, to: rows, by: 6) {
            let cols = columns(i0), sum = depth(i0)
            for j0 in stride(from: cols.lowerBound, to: cols.upperBound, by: nr) {
                RegisterTile.rows6(k: sum.count, a + i0 * aRow + sum.lowerBound * aDepth, rowStride: aRow, columnStride: aDepth,
                                   validRows: 6, b + sum.lowerBound * ldb + j0, ldb: ldb, c + i0 * ldc + j0, ldc: ldc,
                                   bias: nil, accumulate: false)
            }
        }
    }

    static func simdForward<T: TensorScalar>(
        _ s: AttentionShape, _ qkv: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ p: UnsafeMutablePointer<T>
    ) {
        let (tl, d, heads, c) = (s.length, s.headWidth, s.heads, s.width)
        let nr = 2 * T.Vector.scalarCount
        let L = PairLayout(length: tl, headWidth: d, tileWidth: nr)
        let scale = 1 / T(d).squareRoot()
        let pairs = s.batch * heads
        nonisolated(unsafe) let (qkv, y, p) = (qkv, y, p)
        SIMDParallel.forEachChunk(rows: pairs, chunks: pairs >= 2 ? SIMDParallel.cores : 1) { lo, hi in
            // Q/√d [tRows, dCols], Kᵀ [dCols, tCols], V [tRows, dCols], S/P [tRows, tCols], Y [tRows, dCols].
            let size = 3 * L.rowBlock + L.dCols * L.tCols + L.squareBlock
            let buffer = UnsafeMutablePointer<T>.allocate(capacity: size)
            defer { buffer.deallocate() }
            buffer.initialize(repeating: 0, count: size)
            let q = buffer, kt = q + L.rowBlock, v = kt + L.dCols * L.tCols, sp = v + L.rowBlock, o = sp + L.squareBlock
            for pair in lo..<hi {
                let (b, h) = (pair / heads, pair % heads)
                for t in 0..<tl {
                    let row = qkv + (b * tl + t) * 3 * c + h * d
                    for e in 0..<d {
                        q[t * L.dCols + e] = row[e] * scale
                        kt[e * L.tCols + t] = row[c + e]
                        v[t * L.dCols + e] = row[2 * c + e]
                    }
                }
                // S = (Q/√d)·Kᵀ, columns j ≤ i₀+5 of row tile i₀ (the rest is masked).
                product(rows: tl, columns: { i0 in 0..<min(L.tCols, (i0 + 6 + nr - 1) / nr * nr) },
                        depth: { _ in 0..<d }, q, aRow: L.dCols, aDepth: 1, kt, ldb: L.tCols, sp, ldc: L.tCols)
                let pb = p + pair * tl * tl
                for i in 0..<tl {
                    MaskedSoftmax.row(sp + i * L.tCols, valid: i + 1, count: L.tCols)
                    (pb + i * tl).update(from: sp + i * L.tCols, count: tl)
                }
                // Y = P·V, depth j < i₀+6 (P is zero beyond row i's diagonal).
                product(rows: tl, columns: { _ in 0..<L.dCols }, depth: { i0 in 0..<min(tl, i0 + 6) },
                        sp, aRow: L.tCols, aDepth: 1, v, ldb: L.dCols, o, ldc: L.dCols)
                for t in 0..<tl { (y + (b * tl + t) * c + h * d).update(from: o + t * L.dCols, count: d) }
            }
        }
    }

    static func simdBackward<T: TensorScalar>(
        _ s: AttentionShape, _ dy: UnsafePointer<T>, _ qkv: UnsafePointer<T>, _ p: UnsafePointer<T>, _ dqkv: UnsafeMutablePointer<T>
    ) {
        let (tl, d, heads, c) = (s.length, s.headWidth, s.heads, s.width)
        let nr = 2 * T.Vector.scalarCount
        let L = PairLayout(length: tl, headWidth: d, tileWidth: nr)
        let scale = 1 / T(d).squareRoot()
        let pairs = s.batch * heads
        nonisolated(unsafe) let (dy, qkv, p, dqkv) = (dy, qkv, p, dqkv)
        SIMDParallel.forEachChunk(rows: pairs, chunks: pairs >= 2 ? SIMDParallel.cores : 1) { lo, hi in
            // Q/√d, K, dY and an output block [tRows, dCols]; Vᵀ [dCols, tCols]; P and dS [tRows, tCols].
            let size = 4 * L.rowBlock + L.dCols * L.tCols + 2 * L.squareBlock
            let buffer = UnsafeMutablePointer<T>.allocate(capacity: size)
            defer { buffer.deallocate() }
            buffer.initialize(repeating: 0, count: size)
            let q = buffer, k = q + L.rowBlock, g = k + L.rowBlock, out = g + L.rowBlock
            let vt = out + L.rowBlock, pp = vt + L.dCols * L.tCols, ds = pp + L.squareBlock
            for pair in lo..<hi {
                let (b, h) = (pair / heads, pair % heads)
                for t in 0..<tl {
                    let row = qkv + (b * tl + t) * 3 * c + h * d, dyRow = dy + (b * tl + t) * c + h * d
                    for e in 0..<d {
                        q[t * L.dCols + e] = row[e] * scale
                        k[t * L.dCols + e] = row[c + e]
                        vt[e * L.tCols + t] = row[2 * c + e]
                        g[t * L.dCols + e] = dyRow[e]
                    }
                }
                let pb = p + pair * tl * tl
                for i in 0..<tl { (pp + i * L.tCols).update(from: pb + i * tl, count: tl) }
                // dV = Pᵀ·dY: row tile j₀ sums over i ≥ j₀ (P[i, j] = 0 for i < j).
                product(rows: tl, columns: { _ in 0..<L.dCols }, depth: { j0 in j0..<tl },
                        pp, aRow: 1, aDepth: L.tCols, g, ldb: L.dCols, out, ldc: L.dCols)
                scatter(out, L.dCols, into: dqkv, b: b, column: 2 * c + h * d, s, factor: 1)
                // dP = dY·Vᵀ on the causal columns, then dS in place.
                product(rows: tl, columns: { i0 in 0..<min(L.tCols, (i0 + 6 + nr - 1) / nr * nr) },
                        depth: { _ in 0..<d }, g, aRow: L.dCols, aDepth: 1, vt, ldb: L.tCols, ds, ldc: L.tCols)
                for i in 0..<tl { MaskedSoftmax.backwardRow(pp + i * L.tCols, ds + i * L.tCols, valid: i + 1, count: L.tCols) }
                // dQ = dS·K/√d: depth j < i₀+6.
                product(rows: tl, columns: { _ in 0..<L.dCols }, depth: { i0 in 0..<min(tl, i0 + 6) },
                        ds, aRow: L.tCols, aDepth: 1, k, ldb: L.dCols, out, ldc: L.dCols)
                scatter(out, L.dCols, into: dqkv, b: b, column: h * d, s, factor: scale)
                // dK = dSᵀ·(Q/√d): row tile j₀ sums over i ≥ j₀.
                product(rows: tl, columns: { _ in 0..<L.dCols }, depth: { j0 in j0..<tl },
                        ds, aRow: 1, aDepth: L.tCols, q, ldb: L.dCols, out, ldc: L.dCols)
                scatter(out, L.dCols, into: dqkv, b: b, column: c + h * d, s, factor: 1)
            }
        }
    }

    /// Writes rows 0..<T, columns 0..<d of a padded [tRows, ld] block, times
    /// `factor`, into head columns `column…` of batch row-block b of dqkv [B·T, 3C].
    @inline(__always)
    static func scatter<T: TensorScalar>(
        _ block: UnsafePointer<T>, _ ld: Int, into m: UnsafeMutablePointer<T>, b: Int, column: Int, _ s: AttentionShape, factor: T
    ) {
        let (tl, d, stride) = (s.length, s.headWidth, 3 * s.width)
        for t in 0..<tl {
            let dst = m + (b * tl + t) * stride + column, src = block + t * ld
            if factor == 1 { dst.update(from: src, count: d) } else { for e in 0..<d { dst[e] = src[e] * factor } }
        }
    }
}
