// The weight-gradient product of BPTT, dW += Daᵀ·V, summed over all T·B rows
// at once (SIMD twin, Float).
//
//   C[m×n] (+)= Aᵀ·B    A [k, lda] row-major (its first m columns are used),
//                       B [k, n] packed (PackedWeight, not transposed)
//
// the weight gradient of a recurrence (chapter 6), and of the per-step
// products chapter 3's tape batches into one.
//
// Here k = T·B = 2048 rows, A = ∂L/∂a [T·B, G·H] (8 MiB for the LSTM) and
// B = h₀ … h_{T−1} [T·B, H] (2 MiB). The micro-kernel needs, at each step p,
// six consecutive entries of one column of Aᵀ, that is six consecutive
// entries of row p of A, so a packed A panel is just those six entries of
// each row of a block, copied side by side (a core-GEMM call would gather
// the transposed operand one scalar at a time). The copy is needed: read in
// place, the block's rows are lda·4 = 4 KiB apart, so all of them fall in
// the same few sets of the L1 cache and evict one another (the product ran
// 11% slower that way: 176 against 196 GFLOP/s on two cores).
//
// Blocking: the k rows are taken 128 at a time. Within a block, one 6-row
// panel of C packs its 128 × 6 entries of A (3 KiB, L1) and visits every
// 16-wide panel of B; each 8 KiB slice of a B panel is read from L2. C is
// read and written once per block (k/128 = 16 times in all), a small cost
// next to the 2·6·16·128 flops of each tile. (Keeping a B slice in L1
// while every row panel passes it, or blocks of 256 or 512 rows, measured
// no faster.)
// Threads: the 6-row panels of C are split into one contiguous range per
// core; threads write disjoint rows of C, so they never synchronise.
//
// Floating point: each element is Σₚ in order p = 0 … k−1 with fused
// multiply-adds, added to C once per block of 128: the same products as
// the step-by-step sum, reassociated (the twin tests bound the difference).

import Dispatch

extension PackedWeight {
    /// Depth of one block of the k rows (see above).
    static let gradientBlock = 128

    /// C[m×n] (+)= Aᵀ·B with A [k, lda] (packed block by block) and B this packed
    /// matrix [k, n]. Splits the rows of C over `threads` cores (default:
    /// all, up to two).
    public func multiplyTransposed(_ a: UnsafePointer<Float>, lda: Int, m: Int, _ c: UnsafeMutablePointer<Float>,
                            accumulate: Bool, threads: Int? = nil) {
        precondition(m <= lda, "A must have at least m columns")
        let (k, n, nr, mr, kb) = (self.k, self.n, Self.nr, Self.mr, Self.gradientBlock)
        let rowPanels = (m + mr - 1) / mr
        let threads = max(1, min(threads ?? min(2, Self.cores), rowPanels))
        let panels = self.panels
        nonisolated(unsafe) let (a, b, c) = (a, UnsafePointer(data), c)
        let run: @Sendable (Int) -> Void = { t in
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: mr * nr)
            let ap = UnsafeMutablePointer<Float>.allocate(capacity: kb * mr)
            defer { tile.deallocate(); ap.deallocate() }
            for p0 in stride(from: 0, to: k, by: kb) {
                let kc = min(kb, k - p0), add = accumulate || p0 > 0
                for i in (rowPanels * t / threads)..<(rowPanels * (t + 1) / threads) {
                    let r0 = Self.panelStart(i, m, rowPanels), rows = Self.panelStart(i + 1, m, rowPanels) - r0
                    // this block's slice of the panel's columns of A, p-major: ap[6p + r] = A[p0 + p, r0 + r]
                    let src = a + p0 * lda + r0
                    if rows == 6 {
                        // four and two lanes: exactly the six entries (a loop
                        // became a memmove call per row, 1.7% of an LSTM step)
                        for p in 0..<kc {
                            let from = UnsafeRawPointer(src + p * lda), to = UnsafeMutableRawPointer(ap + p * mr)
                            to.storeBytes(of: from.loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
                            to.storeBytes(of: from.loadUnaligned(fromByteOffset: 16, as: SIMD2<Float>.self), toByteOffset: 16,
                                          as: SIMD2<Float>.self)
                        }
                    } else {
                        for p in 0..<kc {
                            let from = src + p * lda, to = ap + p * mr
                            for r in 0..<rows { to[r] = from[r] }
                        }
                    }
                    for q in 0..<panels {
                        let bp = b + q * k * nr + p0 * nr, cols = min(nr, n - q * nr)
                        let cp = c + r0 * n + q * nr
                        if cols == nr {
                            Self.kernel(rows: rows, kc, ap, 1, mr, bp, cp, n, add, nil)
                        } else {
                            Self.kernel(rows: rows, kc, ap, 1, mr, bp, tile, nr, false, nil)
                            for r in 0..<rows {
                                for j in 0..<cols { cp[r * n + j] = add ? cp[r * n + j] + tile[r * nr + j] : tile[r * nr + j] }
                            }
                        }
                    }
                }
            }
        }
        if threads == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: run) }
    }
}
