// ConvolutionGEMM: the matrix product of Im2colConvolution's forward and
// backward-input passes, C = A·B (+ a bias per row) without packing.
//
// Why not the core's packed GEMM? Its Goto/BLIS design copies both operands
// into panels on every call, which pays off when each panel is reused many
// times. A convolution's products here are small and lopsided: the weight A
// has a handful of rows (C_out = 6, 16, 32) and K = C_in·k_h·k_w ≤ 150
// columns, and the unfolded image B = X̂ [K, H_out·W_out] is itself a fresh
// copy, used by one or a few row panels only. Packing B then costs as much
// as the product (LeNet-5's first convolution: the packing routine was 13% of
// a training step, the micro-kernel 25%). Here B is read where it is:
// a 16-column strip of B is K rows × 64 bytes (≤ 10 KiB, in L1), visited
// once per row panel of A, and A (≤ 20 KiB) stays in L1 for the whole call.
//
// Contract
// - C[m×n] = A·B (+ bias[i] on row i) or, with `accumulate`, C += A·B (the
//   bias is then ignored), for m, n, k ≥ 0. A's element (i, p) is
//   a[i·rowStride + p·columnStride], so the same code reads W [C_out, K]
//   (rowStride K, columnStride 1) and its transpose (rowStride 1,
//   columnStride K). B and C are row-major with
//   leading dimensions ldb and ldc. C aliases neither A nor B.
// - The micro-kernel (BackpropCore/Kernels/RegisterTile.swift, shared with
//   chapter 7's attention) keeps a 6 × 2-vector tile of C (Float: 6×16, Double:
//   6×8) in 12 vector accumulators and adds one FMA per element and p, p in
//   increasing order: each cᵢⱼ is the sum of the same k products as the naive
//   loop, reassociated only by the FMAs, then + bias (or + the old cᵢⱼ).
//   So |fast − naive| ≤ (k + 2)·ε·Σ|terms|, the bound the twin tests use.
// - Rows go in 6-row panels, the last 2 to 8 rows in 4-row panels
//   (`panelSplit`); a panel with fewer valid rows reads its last row again
//   for the missing ones and stores only the valid rows; a last strip with
//   fewer than 2 vectors of columns is copied, zero-padded, into a small
//   buffer first and stored through a tile. No branch in the inner loop.
// - One thread: Im2colConvolution splits the batch over the cores above it.

import BackpropCore

enum ConvolutionGEMM {
    /// Rows of the micro-tile.
    static let rows = 6

    /// C = A·B (+ bias) or C += A·B (see the contract above).
    @inline(__always)
    static func run<T: TensorScalar>(
        m: Int, n: Int, k: Int,
        _ a: UnsafePointer<T>, rowStride: Int, columnStride: Int,
        _ b: UnsafePointer<T>, ldb: Int,
        _ c: UnsafeMutablePointer<T>, ldc: Int,
        bias: UnsafePointer<T>?, accumulate: Bool
    ) {
        if m <= 0 || n <= 0 { return }
        let w = T.Vector.scalarCount, strip = 2 * w
        let sixRows = panelSplit(m)
        withUnsafeTemporaryAllocation(of: T.self, capacity: max(1, k) * strip + rows * strip) { scratch in
            let edgeB = scratch.baseAddress!, tile = edgeB + max(1, k) * strip
            var j0 = 0
            while j0 < n {
                let columns = min(strip, n - j0)
                var bStrip = b + j0, stripLd = ldb
                if columns < strip {
                    // The last strip, zero-padded to full width.
                    for p in 0..<k {
                        let row = edgeB + p * strip
                        row.update(repeating: 0, count: strip)
                        row.update(from: b + p * ldb + j0, count: columns)
                    }
                    bStrip = UnsafePointer(edgeB)
                    stripLd = strip
                }
                var i0 = 0
                while i0 < m {
                    let valid = min(i0 < sixRows ? rows : 4, m - i0)
                    let full = columns == strip
                    let target = full ? c + i0 * ldc + j0 : tile, ldTarget = full ? ldc : strip
                    let panelBias = accumulate ? nil : bias.map { $0 + i0 }
                    if i0 < sixRows {
                        RegisterTile.rows6(k: k, a + i0 * rowStride, rowStride: rowStride, columnStride: columnStride, validRows: valid,
                                  bStrip, ldb: stripLd, target, ldc: ldTarget, bias: panelBias, accumulate: accumulate && full)
                    } else {
                        RegisterTile.rows4(k: k, a + i0 * rowStride, rowStride: rowStride, columnStride: columnStride, validRows: valid,
                                   bStrip, ldb: stripLd, target, ldc: ldTarget, bias: panelBias, accumulate: accumulate && full)
                    }
                    if !full {
                        for r in 0..<valid {
                            let from = tile + r * strip, to = c + (i0 + r) * ldc + j0
                            if accumulate {
                                for j in 0..<columns { to[j] += from[j] }
                            } else {
                                to.update(from: from, count: columns)
                            }
                        }
                    }
                    i0 += valid
                }
                j0 += strip
            }
        }
    }

    /// How many of m rows go through 6-row panels; the rest (0 to 8 rows)
    /// go through 4-row panels. A 4-row panel costs about 4/6 of a 6-row one
    /// (8 accumulators, still enough to hide the FMA latency), so m = 32 is
    /// 4 × 6 + 2 × 4 (5.3 panel-times) instead of 5 × 6 + one 6-row panel
    /// holding 2 rows (6), and m = 16 is 2 × 6 + 4.
    /// Measured on one thread: conv(16→32) forward 530 → 493 µs, LeNet-5's
    /// conv(6→16) 566 → 533 µs.
    static func panelSplit(_ m: Int) -> Int {
        switch m % rows {
        case 0, 5: return m / rows * rows + (m % rows == 5 ? rows : 0)  // a 5-row rest pads a 6-row panel
        case 2 where m >= 8: return (m / rows - 1) * rows               // 6k + 2 = 6(k − 1) + 4 + 4
        default: return m / rows * rows                                 // rests of 1 to 4 rows: one 4-row panel
        }
    }
}
