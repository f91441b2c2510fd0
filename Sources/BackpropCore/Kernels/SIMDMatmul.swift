// SIMDMatmul: a blocked, packed matrix product (GEMM) for the SIMD twin.
//
// Contract
// - `PackedGEMM.run(layout, m:n:k:, a, b, c, accumulate:)` computes
//   C[m×n] = op(A)·op(B), or C += op(A)·op(B), for Float or Double, with the
//   same storage conventions as `Naive.matmul` (row-major, no padding).
//   Any m, n, k ≥ 0 is valid; k = 0 gives C = 0 (or leaves C unchanged).
// - C must not alias A or B. Results match the naive i-j-k loop up to
//   floating-point reassociation: each cᵢⱼ is still a sum over p in order
//   p = 0, 1, …, k−1 within each k-block, but with fused multiply-adds, so
//   |simd − naive| ≤ k·ε·Σₚ|aᵢₚ bₚⱼ| (both are within (k/2)·ε of the truth).
//
// The design is the Goto/BLIS one:
//   for jc (NC columns of B)           B block stays in L3
//     for pc (KC of the k dimension)   pack B[pc, jc] into NR-wide panels
//       for ic (MC rows of A)          pack A[ic, pc] into MR-tall panels (L2)
//         for jr, ir                   MR×NR micro-kernel, B panel in L1
// The micro-kernel keeps an MR×NR tile of C in 12 vector registers
// (Float: 6×16 = 6 rows × 2 SIMD8; Double: 6×8 = 6 rows × 2 SIMD4) and does
// 12 FMAs per step of p from one row of packed A (6 broadcasts) and one row
// of packed B (2 vector loads). The three layouts only differ in how the
// packing routines read A and B; the micro-kernel is the same for all.
// Edge tiles are zero-padded when packed, computed in full into a scratch
// tile, and only the valid part is written back.
//
// Threads: large problems split C into one contiguous slice per core, by
// MR-row panels or, when C is wider than tall, by NR-column panels, in one
// parallel region (`ParallelFor`, on the spin team); each thread runs the blocked loops above on its slice
// with its own packing buffers (see `gemm`). Weight gradients (tn, deep
// in k) split the depth instead and add the partial products (`depthSplit`).
// Small depth blocks swap the two inner loops so C is written along its
// rows (`sweepsRows`). Problems below
// `parallelThreshold` multiply-adds (e.g. a 64×256×256 MLP layer) run on the
// calling thread alone.

import Dispatch
import Foundation

/// The packed GEMM behind `SIMDKernels.matmul`.
enum PackedGEMM {
    /// Rows of the micro-tile (both precisions).
    static let mr = 6
    /// Depth of a packed block: a KC×NR panel of B is 16 KiB (Float and
    /// Double), half of the 32 KiB L1 data cache.
    static let kcBlock = 256
    /// Rows of A packed at once: MC×KC scalars ≈ 144 KiB, well inside L2.
    static func mcBlock<T>(_: T.Type) -> Int { MemoryLayout<T>.size == 4 ? 144 : 72 }
    /// Columns of B packed at once (KC×NC ≈ 4 MiB Float, in the shared L3).
    static let ncBlock = 4096
    /// Below this many multiply-adds (m·n·k ≈ 8.4 M, e.g. 256×256×128) the
    /// product runs on the calling thread. A 64×256×256 layer (4.2 M, ~0.1 ms
    /// at ~80 GFLOP/s) thus stays single-threaded, leaving the other core
    /// free: two threads measured ~1.4× faster on an idle machine, nothing
    /// when the other core is busy. Lower it to trade one for the other.
    static let parallelThreshold = 1 << 23

    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// C = op(A)·op(B) (or +=) for Float or Double. Dispatches on the concrete
    /// type so the hot code is always specialised. `threads` overrides the
    /// automatic choice (tests use it to exercise the parallel split).
    static func run<T: TensorScalar>(
        _ layout: MatmulLayout, m: Int, n: Int, k: Int,
        _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>,
        accumulate: Bool, threads: Int? = nil
    ) {
        if m <= 0 || n <= 0 { return }
        if k <= 0 {
            if !accumulate { c.update(repeating: 0, count: m * n) }
            return
        }
        if T.self == Float.self {
            gemm(layout, m: m, n: n, k: k, rebind(a, Float.self), rebind(b, Float.self),
                 rebindMutable(c, Float.self), accumulate: accumulate, nr: 16, threads: threads)
        } else if T.self == Double.self {
            gemm(layout, m: m, n: n, k: k, rebind(a, Double.self), rebind(b, Double.self),
                 rebindMutable(c, Double.self), accumulate: accumulate, nr: 8, threads: threads)
        } else {
            Naive.matmul(layout, m: m, n: n, k: k, a, b, c, accumulate: accumulate)
        }
    }

    @inline(__always)
    static func rebind<T, U>(_ p: UnsafePointer<T>, _: U.Type) -> UnsafePointer<U> {
        UnsafeRawPointer(p).assumingMemoryBound(to: U.self)
    }

    @inline(__always)
    static func rebindMutable<T, U>(_ p: UnsafeMutablePointer<T>, _: U.Type) -> UnsafeMutablePointer<U> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: U.self)
    }

    /// The driver (specialised for Float and Double by its callers): on one
    /// thread, the blocked loops of `Serial`; on several, one parallel region
    /// in which each thread runs those loops on its own slice of C — a
    /// contiguous range of MR-row panels, or of NR-column panels when C is
    /// wider than tall — packing both of its operands itself. The operand
    /// the threads share (op(B) for a row split, op(A) for a column split)
    /// is thus packed once per thread: extra work of (shared operand)/(m·n·k)
    /// = 1/m or 1/n of the product, under 1% for the models' shapes, in
    /// exchange for a single hand-off per product instead of two per
    /// (column block, depth block) with a barrier between packing and use.
    @inline(__always)
    static func gemm<S: TensorScalar>(
        _ layout: MatmulLayout, m: Int, n: Int, k: Int,
        _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ c: UnsafeMutablePointer<S>,
        accumulate: Bool, nr: Int, threads: Int?
    ) {
        // Leading dimensions of the stored operands: A is [m, k] (nn, nt) or
        // [k, m] (tn); B is [k, n] (nn, tn) or [n, k] (nt); C is [m, n].
        let lda = layout == .tn ? m : k, ldb = layout == .nt ? k : n
        let rowPanels = (m + mr - 1) / mr, colPanels = (n + nr - 1) / nr
        let splitColumns = n > m
        let threadsWanted = threads
        let wanted = threads ?? (m * n * k >= parallelThreshold ? cores : 1)
        let threads = max(1, min(wanted, splitColumns ? colPanels : rowPanels))
        let serial = Serial<S>(layout: layout, k: k, lda: lda, ldb: ldb, ldc: n, nr: nr, accumulate: accumulate)
        if threads == 1 {
            if threadsWanted == nil, S.self == Float.self, m * n * k >= teamThreshold, let team = SpinTeam.awake {
                teamRun(team, unsafeBitCast(serial, to: Serial<Float>.self), m: m, n: n,
                        rebind(a, Float.self), rebind(b, Float.self), rebindMutable(c, Float.self), splitColumns: splitColumns)
            } else {
                serial.run(m: m, n: n, a, b, c)
            }
            return
        }
        if layout == .tn, splitsDepth(m: m, n: n, k: k) {
            let parts = max(1, min(wanted, k))
            if parts > 1 {
                depthSplit(layout, m: m, n: n, k: k, a, b, c, accumulate: accumulate, nr: nr, parts: parts, lda: lda, ldb: ldb)
                return
            }
        }
        ParallelFor.run(iterations: threads) { t in
            if splitColumns {
                let j0 = colPanels * t / threads * nr, j1 = min(n, colPanels * (t + 1) / threads * nr)
                guard j0 < j1 else { return }
                // Columns j0..<j1 of op(B): rows of the stored Bᵀ (nt), or a column offset.
                serial.run(m: m, n: j1 - j0, a, layout == .nt ? b + j0 * ldb : b + j0, c + j0)
            } else {
                let i0 = rowPanels * t / threads * mr, i1 = min(m, rowPanels * (t + 1) / threads * mr)
                guard i0 < i1 else { return }
                // Rows i0..<i1 of op(A): columns of the stored Aᵀ (tn), or a row offset.
                serial.run(m: i1 - i0, n: n, layout == .tn ? a + i0 : a + i0 * lda, b, c + i0 * n)
            }
        }
    }

    /// Whether a weight-gradient product (tn: C = AᵀB, A [k, m] and B [k, n]
    /// stored with the k rows of a batch) is split over the threads by its
    /// depth instead of by the rows or columns of C. Split by C, each thread
    /// reads a slice of every one of the k rows of A or B; but those rows
    /// were written by the previous operations, each row by the core that
    /// owned it (row splits everywhere else), so half of what a thread reads
    /// comes from the other core's cache. Split by depth, each thread reads
    /// only its own rows and writes a partial C [m, n]; adding the partials
    /// moves m·n scalars between the cores instead of about (m + n)·k/2 per
    /// thread. Worth it when k·(m + n) ≥ 2·m·n: every weight gradient of
    /// the baby GPT (k = B·T = 768 rows against C of 128–512 squared).
    @inline(__always)
    static func splitsDepth(m: Int, n: Int, k: Int) -> Bool { k * (m + n) >= 2 * m * n }

    /// C (+)= op(A)·op(B) as `parts` products over consecutive depth ranges:
    /// thread 0 accumulates its range into C itself, thread t > 0 writes its
    /// own into a partial [m, n] (pool scratch); then C += partial₁ + … in a
    /// second region split by rows of C. Each element is thus the depth
    /// ranges' sums added in order: the one-thread sum reassociated (the
    /// twin tests' bound), and the same bits for every run with the same
    /// number of parts. Layout tn only (rows p of the stored A and B).
    static func depthSplit<S: TensorScalar>(
        _ layout: MatmulLayout, m: Int, n: Int, k: Int,
        _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ c: UnsafeMutablePointer<S>,
        accumulate: Bool, nr: Int, parts: Int, lda: Int, ldb: Int
    ) {
        let block = ScratchPool.shared.take(bytes: (parts - 1) * m * n * MemoryLayout<S>.stride)
        defer { ScratchPool.shared.give(block) }
        let partial = block.pointer.assumingMemoryBound(to: S.self)
        ParallelFor.run(iterations: parts) { t in
            let p0 = k * t / parts, p1 = k * (t + 1) / parts
            let out = t == 0 ? c : partial + (t - 1) * m * n
            let serial = Serial<S>(layout: layout, k: p1 - p0, lda: lda, ldb: ldb, ldc: n, nr: nr,
                                   accumulate: t == 0 ? accumulate : false)
            serial.run(m: m, n: n, a + p0 * lda, b + p0 * ldb, out)
        }
        ParallelFor.run(iterations: parts) { t in
            let r0 = m * t / parts, r1 = m * (t + 1) / parts
            guard r0 < r1 else { return }
            let count = (r1 - r0) * n, row = c + r0 * n
            for q in 1..<parts {
                SIMDKernels.add(count: count, UnsafePointer(row), UnsafePointer(partial + (q - 1) * m * n + r0 * n), row)
            }
        }
    }

    /// Whether a depth block of KC×NC packed B is small enough (≤ 256 KiB,
    /// a quarter of the 1 MiB L2) to be swept from L2 once per A
    /// micro-panel, with the loops over row panels and column panels swapped:
    /// each MR×KC A panel then stays in L1 while the micro-kernel walks right
    /// along its six rows of C. Why: in a model, C is freshly allocated
    /// memory, so every store of a tile misses the cache. In the
    /// Goto/BLIS order a B panel visits every row panel of the block, and C
    /// is written as a 64-byte-wide column strip, one cold line per row at a
    /// stride of a whole row; swept along the rows, the same stores form six
    /// sequential streams the hardware prefetcher follows. (The baby GPT's
    /// 768×512×128 products, the MLP's expanding layer forward and the
    /// contracting layer's input gradient, ran ~30% slower inside the training step than
    /// alone; on hot memory the two orders are equally fast.)
    @inline(__always)
    static func sweepsRows(kc: Int, nc: Int, bytes: Int) -> Bool { kc * nc * bytes <= 256 << 10 }

    /// The Goto/BLIS loops on one thread for a (slice of a) product whose
    /// operands have leading dimensions lda, ldb, ldc: everything but the
    /// slice's m, n and pointers, by value.
    struct Serial<S: TensorScalar>: @unchecked Sendable {
        let layout: MatmulLayout
        let k: Int, lda: Int, ldb: Int, ldc: Int, nr: Int
        let accumulate: Bool

        func run(m: Int, n: Int, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ c: UnsafeMutablePointer<S>) {
            let kcMax = min(kcBlock, k), mcMax = min(mcBlock(S.self), (m + mr - 1) / mr * mr)
            let ncMax = min(ncBlock, (n + nr - 1) / nr * nr)
            // Packing buffers come from the shared pool: a fresh allocation of this
            // size would be returned to the kernel on free and fault on every call.
            let bBlock = ScratchPool.shared.take(bytes: kcMax * ncMax * MemoryLayout<S>.stride)
            let aBlock = ScratchPool.shared.take(bytes: (mcMax * kcMax + mr * nr) * MemoryLayout<S>.stride)
            defer {
                ScratchPool.shared.give(bBlock)
                ScratchPool.shared.give(aBlock)
            }
            let bPack = bBlock.pointer.assumingMemoryBound(to: S.self)
            let aPack = aBlock.pointer.assumingMemoryBound(to: S.self)
            for jc in stride(from: 0, to: n, by: ncMax) {
                let nc = min(ncMax, n - jc), bPanels = (nc + nr - 1) / nr
                for pc in stride(from: 0, to: k, by: kcMax) {
                    let kc = min(kcMax, k - pc)
                    let overwrite = !accumulate && pc == 0
                    for q in 0..<bPanels {
                        packBPanel(layout, ldb: ldb, b, row: pc, col: jc + q * nr, kc: kc, nr: nr,
                                   cols: min(nr, nc - q * nr), bPack + q * kc * nr)
                    }
                    let tile = aPack + mcMax * kc
                    // The MR×NR tile of C at rows ic + i0, panel q of this block.
                    @inline(__always) func block(_ q: Int, _ i0: Int, _ mc: Int, _ ic: Int) {
                        let j0 = q * nr, cols = min(nr, nc - j0)
                        let bp = UnsafePointer(bPack + q * kc * nr)
                        let rows = min(mr, mc - i0)
                        let ap = UnsafePointer(aPack + i0 * kc)
                        let cp = c + (ic + i0) * ldc + jc + j0
                        if rows == mr && cols == nr {
                            kernel(kc, ap, bp, cp, ldc, overwrite)
                        } else {
                            // Edge tile: compute all MR×NR, keep the valid part.
                            kernel(kc, ap, bp, tile, nr, true)
                            for r in 0..<rows {
                                for j in 0..<cols {
                                    let v = tile[r * nr + j]
                                    cp[r * ldc + j] = overwrite ? v : cp[r * ldc + j] + v
                                }
                            }
                        }
                    }
                    let sweepRows = PackedGEMM.sweepsRows(kc: kc, nc: nc, bytes: MemoryLayout<S>.stride)
                    for ic in stride(from: 0, to: m, by: mcMax) {
                        let mc = min(mcMax, m - ic)
                        packABlock(layout, lda: lda, a, row: ic, col: pc, mc: mc, kc: kc, aPack)
                        if sweepRows {
                            // One A micro-panel (L1) against every B panel (L2):
                            // C is written along its rows (see `sweepsRows`).
                            for i0 in stride(from: 0, to: mc, by: mr) {
                                for q in 0..<bPanels { block(q, i0, mc, ic) }
                            }
                        } else {
                            // One B panel (L1) against every A micro-panel (L2).
                            for q in 0..<bPanels {
                                for i0 in stride(from: 0, to: mc, by: mr) { block(q, i0, mc, ic) }
                            }
                        }
                    }
                }
            }
        }

        /// Calls the micro-kernel of the concrete scalar type.
        @inline(__always)
        func kernel(
            _ kc: Int, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>,
            _ c: UnsafeMutablePointer<S>, _ ldc: Int, _ overwrite: Bool
        ) {
            if S.self == Float.self {
                kernelF(kc, rebind(a, Float.self), rebind(b, Float.self),
                        rebindMutable(c, Float.self), ldc, overwrite)
            } else {
                kernelD(kc, rebind(a, Double.self), rebind(b, Double.self),
                        rebindMutable(c, Double.self), ldc, overwrite)
            }
        }
    }

    // MARK: Micro-kernels

    /// Float 6×16 micro-kernel (12 SIMD8 accumulators).
    @inline(never)
    static func kernelF(
        _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ overwrite: Bool
    ) {
        microKernel(SIMD8<Float>.self, kc, a, b, c, ldc, overwrite)
    }

    /// Double 6×8 micro-kernel (12 SIMD4 accumulators).
    @inline(never)
    static func kernelD(
        _ kc: Int, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>,
        _ c: UnsafeMutablePointer<Double>, _ ldc: Int, _ overwrite: Bool
    ) {
        microKernel(SIMD4<Double>.self, kc, a, b, c, ldc, overwrite)
    }

    /// C[6 × 2w] (+)= Σₚ a[p·6 + r] · b[p·2w + j], w = V.scalarCount.
    /// Each step of p: two vector loads of B, six broadcasts of A, twelve FMAs
    /// into independent accumulators (FMA latency 4 × 2 pipes = 8 in flight
    /// needed). No call happens inside the loop, so all 12 stay in registers.
    @inline(__always)
    static func microKernel<V: SIMD>(
        _: V.Type, _ kc: Int, _ a: UnsafePointer<V.Scalar>, _ b: UnsafePointer<V.Scalar>,
        _ c: UnsafeMutablePointer<V.Scalar>, _ ldc: Int, _ overwrite: Bool
    ) where V.Scalar: BinaryFloatingPoint {
        let w = V.scalarCount
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        var pa = a, pb = UnsafeRawPointer(b)
        let bStep = 2 * w * MemoryLayout<V.Scalar>.stride
        for _ in 0..<kc {
            let b0 = pb.loadUnaligned(as: V.self)
            let b1 = pb.loadUnaligned(fromByteOffset: bStep / 2, as: V.self)
            var ai = V(repeating: pa[0]); c00.addProduct(ai, b0); c01.addProduct(ai, b1)
            ai = V(repeating: pa[1]); c10.addProduct(ai, b0); c11.addProduct(ai, b1)
            ai = V(repeating: pa[2]); c20.addProduct(ai, b0); c21.addProduct(ai, b1)
            ai = V(repeating: pa[3]); c30.addProduct(ai, b0); c31.addProduct(ai, b1)
            ai = V(repeating: pa[4]); c40.addProduct(ai, b0); c41.addProduct(ai, b1)
            ai = V(repeating: pa[5]); c50.addProduct(ai, b0); c51.addProduct(ai, b1)
            pa += 6
            pb += bStep
        }
        store(c00, c01, c, overwrite, w)
        store(c10, c11, c + ldc, overwrite, w)
        store(c20, c21, c + 2 * ldc, overwrite, w)
        store(c30, c31, c + 3 * ldc, overwrite, w)
        store(c40, c41, c + 4 * ldc, overwrite, w)
        store(c50, c51, c + 5 * ldc, overwrite, w)
    }

    /// Writes (or adds) two vectors to c[0..<2w].
    @inline(__always)
    static func store<V: SIMD>(
        _ x0: V, _ x1: V, _ c: UnsafeMutablePointer<V.Scalar>, _ overwrite: Bool, _ w: Int
    ) where V.Scalar: BinaryFloatingPoint {
        let p = UnsafeMutableRawPointer(c)
        let off = w * MemoryLayout<V.Scalar>.stride
        if overwrite {
            p.storeBytes(of: x0, as: V.self)
            p.storeBytes(of: x1, toByteOffset: off, as: V.self)
        } else {
            p.storeBytes(of: p.loadUnaligned(as: V.self) + x0, as: V.self)
            p.storeBytes(of: p.loadUnaligned(fromByteOffset: off, as: V.self) + x1, toByteOffset: off, as: V.self)
        }
    }
}
