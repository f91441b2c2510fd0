// PackedWeight: a weight matrix packed once as the right operand B of many
// products C[m×n] (+)= A[m×k]·B (SIMD twin, Float).
//
// Why: the core GEMM (SIMDMatmul.swift) packs both operands on every call.
// When the same weight multiplies many small inputs — the per-step products
// of a recurrence (chapter 6: m = the batch, 32, against W_hh [G·H, H],
// 1 MiB for the LSTM; repacking it 64 times per sweep cost about 15% of a
// training step), or the same products recorded on chapter 3's tape —
// packing it once and keeping the packed copy removes that cost.
//
// Layout: B [k, n] is stored in NR = 16-wide column panels, panel q holding
// B[p, 16q + j] at q·16k + 16p + j (zero-padded past column n). A, only a
// few rows, is read in place: the micro-kernel broadcasts A[r, p] from up to
// six row streams. It keeps a 6×16 tile of C in twelve SIMD8<Float>
// registers (the design of the core GEMM, written again here). With
// m·n·k ≥ 2²⁰ the column panels are split over the cores, one chunk each.
//
// Row panels are balanced, never padded: m rows make ⌈m/6⌉ panels of ⌊m/p⌋
// or ⌈m/p⌉ rows (16 → 6, 5, 5; 32 → 6, 6, 5, 5, 5, 5), and the micro-kernel
// is compiled once per row count 1…6, so no FMA is spent on zero rows (a
// 16-row half batch padded to 18 wasted 11% of the per-step product). Each
// element of C is the same fused sum over p = 0 … k−1 whatever its panel.
// Float only: Double (gradient checks) uses the kernel set's matmul.

import Dispatch
import Foundation

/// A weight matrix packed as the right operand of many products.
public final class PackedWeight: @unchecked Sendable {
    static let nr = 16, mr = 6
    /// The cores the products split over.
    public static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// B is [k, n].
    public let k: Int, n: Int
    let panels: Int
    let data: UnsafeMutablePointer<Float>
    /// Where `data` lives: a block of the shared scratch pool, given back on
    /// deinit. A weight packed before every sweep (the LSTM's W_hh, twice a
    /// step) into fresh memory paid the first touch of every page each time:
    /// the annotated profile had most of the packing's samples on its stores;
    /// from the pool the packing fell from 2.85% to 1.99% of the char-LSTM
    /// benchmark's samples.
    let block: ScratchPool.Block

    /// Packs B = Wᵀ from W stored [n, k] (`transposed`), or B = W from W stored [k, n].
    public init(_ w: UnsafePointer<Float>, k: Int, n: Int, transposed: Bool) {
        self.k = k
        self.n = n
        panels = (n + Self.nr - 1) / Self.nr
        let count = panels * k * Self.nr
        block = ScratchPool.shared.take(bytes: count * 4)
        data = block.pointer.bindMemory(to: Float.self, capacity: count)
        // every element is written below except the padding of a partial last panel
        if n % Self.nr != 0 { (data + (panels - 1) * k * Self.nr).initialize(repeating: 0, count: k * Self.nr) }
        // Panels are independent: from 2¹⁶ scalars (the LSTM's 1 MiB W_hh,
        // packed before every sweep) the two cores pack half each.
        nonisolated(unsafe) let (src, dst) = (w, data)
        let (panels, nr) = (panels, Self.nr)
        ParallelFor.forEachChunk(rows: panels, chunks: k * n >= 1 << 16 ? min(2, Self.cores, panels) : 1) { _, lo, hi in
            for q in lo..<hi {
                Self.pack(panel: q, src, k: k, n: n, transposed: transposed, into: dst + q * k * nr)
            }
        }
    }

    /// Packs panel q: B[p, 16q + j] at 16p + j for the panel's columns.
    @inline(__always)
    static func pack(panel q: Int, _ w: UnsafePointer<Float>, k: Int, n: Int, transposed: Bool, into panel: UnsafeMutablePointer<Float>) {
        let cols = min(Self.nr, n - q * Self.nr)
        if transposed {
            // B[p, col] = W[col, p]: a transpose. Full panels go through 8×8
            // register transposes (the core GEMM's, two per 8 steps of p),
            // eight row loads and eight vector stores instead of 64 strided
            // scalar stores; the rest element by element.
            var p0 = 0
            if cols == Self.nr {
                let src = w + q * Self.nr * k
                while p0 + 8 <= k {
                    PackedGEMM.transpose8x8(src + p0, k, panel + p0 * Self.nr, Self.nr)
                    PackedGEMM.transpose8x8(src + 8 * k + p0, k, panel + p0 * Self.nr + 8, Self.nr)
                    p0 += 8
                }
            }
            for j in 0..<cols where p0 < k {
                let src = w + (q * Self.nr + j) * k  // B[p, col] = W[col, p]
                for p in p0..<k { panel[p * Self.nr + j] = src[p] }
            }
        } else {
            // B[p, ·] row pieces are contiguous in W: copy them whole
            let src = w + q * Self.nr
            if cols == Self.nr {
                // two vector loads and stores per row piece (a memmove call per
                // 64 bytes showed in profiles)
                typealias V = SIMD8<Float>
                for p in 0..<k {
                    let from = UnsafeRawPointer(src + p * n), to = UnsafeMutableRawPointer(panel + p * Self.nr)
                    to.storeBytes(of: from.loadUnaligned(as: V.self), as: V.self)
                    to.storeBytes(of: from.loadUnaligned(fromByteOffset: 32, as: V.self), toByteOffset: 32, as: V.self)
                }
            } else {
                for p in 0..<k { (panel + p * Self.nr).update(from: src + p * n, count: cols) }
            }
        }
    }

    deinit { ScratchPool.shared.give(block) }

    /// C[m×n] (+)= A[m×k]·B, then C[r, j] += bias[j] if a bias is given (the
    /// same c + b as a separate addRowVector, done while the tile is still in
    /// registers, so the results are bit-identical). `threads` overrides the
    /// automatic choice (1 when the caller already runs on every core).
    /// A is not packed: the micro-kernel broadcasts from its rows in place
    /// (six sequential streams, each cache line used for 16 steps of p), which
    /// saves copying A on every call: 64 KiB per step for the LSTM's backward
    /// product, for no measurable change in the kernel's speed.
    public func multiply(_ a: UnsafePointer<Float>, m: Int, _ c: UnsafeMutablePointer<Float>, accumulate: Bool,
                  bias: UnsafePointer<Float>? = nil, threads: Int? = nil) {
        let (k, n, mr) = (self.k, self.n, Self.mr)
        let rowPanels = (m + mr - 1) / mr
        let threads = threads ?? (m * n * k >= 1 << 20 ? min(2, Self.cores, panels) : 1)
        let job = Job(a: a, b: UnsafePointer(data), c: c, bias: bias, m: m, n: n, k: k, panels: panels,
                      rowPanels: rowPanels, threads: threads, accumulate: accumulate)
        if threads == 1 { job.run(0) } else { DispatchQueue.concurrentPerform(iterations: threads) { job.run($0) } }
    }

    /// The first row of row panel i when m rows are dealt into `count`
    /// panels as evenly as possible (sizes differ by at most one).
    @inline(__always)
    static func panelStart(_ i: Int, _ m: Int, _ count: Int) -> Int { m * i / count }

    struct Job: @unchecked Sendable {
        let a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?
        let m: Int, n: Int, k: Int, panels: Int, rowPanels: Int, threads: Int, accumulate: Bool

        /// Thread t's contiguous share of the column panels, all rows.
        func run(_ t: Int) {
            let (nr, mr) = (PackedWeight.nr, PackedWeight.mr)
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: mr * nr)
            defer { tile.deallocate() }
            for q in (panels * t / threads)..<(panels * (t + 1) / threads) {
                let bp = b + q * k * nr, cols = min(nr, n - q * nr), bq = bias.map { $0 + q * nr }
                for i in 0..<rowPanels {
                    let r0 = PackedWeight.panelStart(i, m, rowPanels)
                    let rows = PackedWeight.panelStart(i + 1, m, rowPanels) - r0
                    let cp = c + r0 * n + q * nr
                    if cols == nr {
                        PackedWeight.kernel(rows: rows, k, a + r0 * k, k, 1, bp, cp, n, accumulate, bq)
                    } else {
                        PackedWeight.kernel(rows: rows, k, a + r0 * k, k, 1, bp, tile, nr, false, nil)
                        for r in 0..<rows {
                            for j in 0..<cols {
                                let v = accumulate ? cp[r * n + j] + tile[r * nr + j] : tile[r * nr + j]
                                cp[r * n + j] = bq.map { v + $0[j] } ?? v
                            }
                        }
                    }
                }
            }
        }
    }

    /// The micro-kernel for a panel of `rows` (1 … 6) rows: one compiled copy
    /// per row count, so the loop holds exactly 2·rows accumulators.
    @inline(__always)
    static func kernel(rows: Int, _ k: Int, _ a: UnsafePointer<Float>, _ rowStep: Int, _ aStep: Int, _ b: UnsafePointer<Float>,
                       _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool, _ bias: UnsafePointer<Float>?) {
        switch rows {
        case 6: kernel6(k, a, rowStep, aStep, b, c, ldc, accumulate, bias)
        case 5: kernel5(k, a, rowStep, aStep, b, c, ldc, accumulate, bias)
        case 4: kernel4(k, a, rowStep, aStep, b, c, ldc, accumulate, bias)
        case 3: kernel3(k, a, rowStep, aStep, b, c, ldc, accumulate, bias)
        case 2: kernel2(k, a, rowStep, aStep, b, c, ldc, accumulate, bias)
        default: kernel1(k, a, rowStep, aStep, b, c, ldc, accumulate, bias)
        }
    }

    @inline(never) static func kernel6(_ k: Int, _ a: UnsafePointer<Float>, _ rowStep: Int, _ aStep: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                                       _ ldc: Int, _ accumulate: Bool, _ bias: UnsafePointer<Float>?) { tile(6, k, a, rowStep, aStep, b, c, ldc, accumulate, bias) }
    @inline(never) static func kernel5(_ k: Int, _ a: UnsafePointer<Float>, _ rowStep: Int, _ aStep: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                                       _ ldc: Int, _ accumulate: Bool, _ bias: UnsafePointer<Float>?) { tile(5, k, a, rowStep, aStep, b, c, ldc, accumulate, bias) }
    @inline(never) static func kernel4(_ k: Int, _ a: UnsafePointer<Float>, _ rowStep: Int, _ aStep: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                                       _ ldc: Int, _ accumulate: Bool, _ bias: UnsafePointer<Float>?) { tile(4, k, a, rowStep, aStep, b, c, ldc, accumulate, bias) }
    @inline(never) static func kernel3(_ k: Int, _ a: UnsafePointer<Float>, _ rowStep: Int, _ aStep: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                                       _ ldc: Int, _ accumulate: Bool, _ bias: UnsafePointer<Float>?) { tile(3, k, a, rowStep, aStep, b, c, ldc, accumulate, bias) }
    @inline(never) static func kernel2(_ k: Int, _ a: UnsafePointer<Float>, _ rowStep: Int, _ aStep: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                                       _ ldc: Int, _ accumulate: Bool, _ bias: UnsafePointer<Float>?) { tile(2, k, a, rowStep, aStep, b, c, ldc, accumulate, bias) }
    @inline(never) static func kernel1(_ k: Int, _ a: UnsafePointer<Float>, _ rowStep: Int, _ aStep: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                                       _ ldc: Int, _ accumulate: Bool, _ bias: UnsafePointer<Float>?) { tile(1, k, a, rowStep, aStep, b, c, ldc, accumulate, bias) }

    /// C[rows×16] (+)= Σₚ a[rowStep·r + aStep·p]·b[16p + j], then C[r, j] +=
    /// bias[j] if given. A is read where it lies: rows of a row-major matrix
    /// (rowStep = its row length, aStep = 1: `multiply`), or columns of one
    /// read as rows (rowStep = 1, aStep = its row length:
    /// BackpropCore/Kernels/PackedWeight+Gradient.swift). `rows` is a constant at every call site (kernel1 … kernel6), so
    /// the `rows > r` tests fold away and unused accumulators vanish.
    @inline(__always)
    static func tile(_ rows: Int, _ k: Int, _ a: UnsafePointer<Float>, _ rowStep: Int, _ aStep: Int, _ b: UnsafePointer<Float>,
                     _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool,
                     _ bias: UnsafePointer<Float>?) {
        typealias V = SIMD8<Float>
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        let (o1, o2, o3, o4, o5) = (rowStep, 2 * rowStep, 3 * rowStep, 4 * rowStep, 5 * rowStep)
        var pa = a, pb = UnsafeRawPointer(b)
        for _ in 0..<k {
            let b0 = pb.loadUnaligned(as: V.self), b1 = pb.loadUnaligned(fromByteOffset: 32, as: V.self)
            var x = V(repeating: pa[0]); c00.addProduct(x, b0); c01.addProduct(x, b1)
            if rows > 1 { x = V(repeating: pa[o1]); c10.addProduct(x, b0); c11.addProduct(x, b1) }
            if rows > 2 { x = V(repeating: pa[o2]); c20.addProduct(x, b0); c21.addProduct(x, b1) }
            if rows > 3 { x = V(repeating: pa[o3]); c30.addProduct(x, b0); c31.addProduct(x, b1) }
            if rows > 4 { x = V(repeating: pa[o4]); c40.addProduct(x, b0); c41.addProduct(x, b1) }
            if rows > 5 { x = V(repeating: pa[o5]); c50.addProduct(x, b0); c51.addProduct(x, b1) }
            pa += aStep
            pb += 64
        }
        var b0 = V(), b1 = V()
        if let bias {
            let raw = UnsafeRawPointer(bias)
            b0 = raw.loadUnaligned(as: V.self)
            b1 = raw.loadUnaligned(fromByteOffset: 32, as: V.self)
        }
        let hasBias = bias != nil
        // (x + b with b = 0 would turn −0 into +0: the bias is added only if given)
        @inline(__always) func put(_ x0: V, _ x1: V, _ p: UnsafeMutablePointer<Float>) {
            let raw = UnsafeMutableRawPointer(p)
            var y0 = x0, y1 = x1
            if accumulate {
                y0 = raw.loadUnaligned(as: V.self) + y0
                y1 = raw.loadUnaligned(fromByteOffset: 32, as: V.self) + y1
            }
            if hasBias { y0 += b0; y1 += b1 }
            raw.storeBytes(of: y0, as: V.self)
            raw.storeBytes(of: y1, toByteOffset: 32, as: V.self)
        }
        put(c00, c01, c)
        if rows > 1 { put(c10, c11, c + ldc) }
        if rows > 2 { put(c20, c21, c + 2 * ldc) }
        if rows > 3 { put(c30, c31, c + 3 * ldc) }
        if rows > 4 { put(c40, c41, c + 4 * ldc) }
        if rows > 5 { put(c50, c51, c + 5 * ldc) }
    }
}
