// Im2colConvolution: the fast twin of `NaiveConvolution`, same contract
// (ConvolutionKernels.swift).
//
// Contract
// - Convolution is turned into matrix products. `im2col` unfolds the
//   receptive fields of one image into a matrix X̂ [C_in·k_h·k_w, H_out·W_out]:
//   row r = (c·k_h + u)·k_w + v, column q = i·W_out + j holds
//   x[c, i·s − p + u·d, j·s − p + v·d] (zero outside the image). With the
//   weight viewed as W [C_out, K], K = C_in·k_h·k_w, the three passes are
//     forward          Y  = W·X̂ (+ b)          [C_out, HW]    (GEMM .nn)
//     backward input   dX̂ = Wᵀ·dY, then col2im  [K, HW]        (GEMM .tn)
//     backward weight  dW += dY·X̂ᵀ, db += dY·1  [C_out, K]     (GEMM .nt)
//   col2im is the adjoint of im2col: it scatter-adds each entry of dX̂ back
//   to the input position it was copied from.
// - Several images are put side by side into one GEMM (columns image-major,
//   about `groupColumns` columns per product) so small images still give the
//   packed GEMM long rows; a group of one image writes straight into y.
// - Threads: above `parallelThreshold` multiply-adds the batch is split into
//   one contiguous chunk of images per core (`concurrentPerform`), each with
//   its own scratch (X̂, gathered dY, product). Backward weight gives every
//   chunk but the first its own partial dW/db, added into dW/db at the end,
//   so no two threads write the same memory. With one chunk (small problems,
//   batch 1) the GEMM decides for itself whether to use both cores.
// - Agreement with NaiveConvolution: each output is the same sum of the same
//   products in a different order and with FMAs, so
//   |im2col − naive| ≤ (K + 2)·ε·(Σ|terms|) (forward: K terms plus the bias;
//   backward input: C_out·k_h·k_w terms; backward weight: N·HW terms).
//   Pooling kernels visit the same taps in the same order as the naive ones
//   and give bit-identical results.
// - Generic entry points are `@_specialize`d for Float and Double.

import BackpropCore
import Dispatch
import Foundation

/// Convolution by im2col + packed GEMM on both cores; tight pooling loops.
public enum Im2colConvolution: ConvolutionKernels {
    public static let name = "im2col"

    /// Columns of X̂ aimed for in one GEMM (images are grouped until about
    /// this many output pixels): 512 columns of K = 144 Float rows is 288 KiB,
    /// inside the 512 KiB L2 of one Zen 3 core.
    static let groupColumns = 512
    /// Below this many multiply-adds one thread does the whole pass (the cost
    /// of waking the second core, ~10–20 µs, is then a large share).
    static let parallelThreshold = 1 << 19
    /// Pooling: below this many input elements, one thread.
    static let poolParallelThreshold = 1 << 18
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    // MARK: Convolution

    /// y = W·im2col(x) + b, image group by image group.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func convolutionForward<T: TensorScalar>(
        _ g: ConvolutionGeometry, input: UnsafePointer<T>, weight: UnsafePointer<T>,
        bias: UnsafePointer<T>?, output: UnsafeMutablePointer<T>
    ) {
        let plan = Plan(g)
        nonisolated(unsafe) let (x, w, b, y) = (input, weight, bias, output)
        plan.forEachChunk { chunk, images in
            let cols = allocate(T.self, plan.k * plan.columns)
            let product = allocate(T.self, plan.outChannels * plan.columns)
            defer { cols.deallocate(); product.deallocate() }
            for first in stride(from: images.lowerBound, to: images.upperBound, by: plan.group) {
                let count = min(plan.group, images.upperBound - first)
                let n = count * plan.hw
                for image in 0..<count {
                    im2col(g, x + (first + image) * plan.imageSize, cols + image * plan.hw, ld: n)
                }
                if count == 1 {
                    let yImage = y + first * plan.outputSize
                    SIMDKernels.matmul(.nn, m: plan.outChannels, n: n, k: plan.k, w, cols, yImage, accumulate: false)
                    if let b { addBias(b, yImage, rows: plan.outChannels, cols: plan.hw, ld: plan.hw) }
                } else {
                    SIMDKernels.matmul(.nn, m: plan.outChannels, n: n, k: plan.k, w, cols, product, accumulate: false)
                    // product[o, image·HW + q] → y[first + image, o, q] (+ b[o])
                    for image in 0..<count {
                        let yImage = y + (first + image) * plan.outputSize
                        for o in 0..<plan.outChannels {
                            (yImage + o * plan.hw).update(from: product + o * n + image * plan.hw, count: plan.hw)
                        }
                        if let b { addBias(b, yImage, rows: plan.outChannels, cols: plan.hw, ld: plan.hw) }
                    }
                }
            }
        }
    }

    /// dx = col2im(Wᵀ·dY), image group by image group.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func convolutionBackwardInput<T: TensorScalar>(
        _ g: ConvolutionGeometry, outputGradient: UnsafePointer<T>, weight: UnsafePointer<T>,
        inputGradient: UnsafeMutablePointer<T>
    ) {
        let plan = Plan(g)
        nonisolated(unsafe) let (dy, w, dx) = (outputGradient, weight, inputGradient)
        plan.forEachChunk { chunk, images in
            let dcols = allocate(T.self, plan.k * plan.columns)
            let gathered = allocate(T.self, plan.outChannels * plan.columns)
            defer { dcols.deallocate(); gathered.deallocate() }
            for first in stride(from: images.lowerBound, to: images.upperBound, by: plan.group) {
                let count = min(plan.group, images.upperBound - first)
                let n = count * plan.hw
                let dyGroup = gather(plan, dy, first: first, count: count, into: gathered)
                SIMDKernels.matmul(.tn, m: plan.k, n: n, k: plan.outChannels, w, dyGroup, dcols, accumulate: false)
                for image in 0..<count {
                    let dxImage = dx + (first + image) * plan.imageSize
                    dxImage.update(repeating: 0, count: plan.imageSize)
                    col2im(g, dcols + image * plan.hw, ld: n, dxImage)
                }
            }
        }
    }

    /// dW += dY·im2col(x)ᵀ and db += row sums of dY, with per-chunk partials.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func convolutionBackwardWeight<T: TensorScalar>(
        _ g: ConvolutionGeometry, input: UnsafePointer<T>, outputGradient: UnsafePointer<T>,
        weightGradient: UnsafeMutablePointer<T>, biasGradient: UnsafeMutablePointer<T>?
    ) {
        let plan = Plan(g)
        let weightCount = plan.outChannels * plan.k, biasCount = plan.outChannels
        // Chunk 0 accumulates into dw/db directly; chunk t > 0 into partials[t − 1].
        let partialStride = weightCount + biasCount
        let partials = allocate(T.self, max(0, plan.chunks - 1) * partialStride)
        partials.update(repeating: 0, count: max(0, plan.chunks - 1) * partialStride)
        defer { partials.deallocate() }
        nonisolated(unsafe) let (x, dy, dw, db, parts) = (input, outputGradient, weightGradient, biasGradient, partials)
        plan.forEachChunk { chunk, images in
            let cols = allocate(T.self, plan.k * plan.columns)
            let gathered = allocate(T.self, plan.outChannels * plan.columns)
            let sums = allocate(T.self, plan.outChannels)
            defer { cols.deallocate(); gathered.deallocate(); sums.deallocate() }
            let dwTarget = chunk == 0 ? dw : parts + (chunk - 1) * partialStride
            let dbTarget: UnsafeMutablePointer<T>? = chunk == 0 ? db : parts + (chunk - 1) * partialStride + weightCount
            for first in stride(from: images.lowerBound, to: images.upperBound, by: plan.group) {
                let count = min(plan.group, images.upperBound - first)
                let n = count * plan.hw
                for image in 0..<count {
                    im2col(g, x + (first + image) * plan.imageSize, cols + image * plan.hw, ld: n)
                }
                let dyGroup = gather(plan, dy, first: first, count: count, into: gathered)
                SIMDKernels.matmul(.nt, m: plan.outChannels, n: plan.k, k: n, dyGroup, cols, dwTarget, accumulate: true)
                if db != nil, let dbTarget {
                    SIMDKernels.rowSum(rows: plan.outChannels, cols: n, dyGroup, sums)
                    for o in 0..<plan.outChannels { dbTarget[o] += sums[o] }
                }
            }
        }
        for t in 1..<max(1, plan.chunks) {
            let part = partials + (t - 1) * partialStride
            SIMDKernels.add(count: weightCount, dw, part, dw)
            if let db { SIMDKernels.add(count: biasCount, db, part + weightCount, db) }
        }
    }

    // MARK: Pooling

    /// Max pooling: the naive scan (same taps, same order, same tie and NaN
    /// rule) with the in-bounds tap ranges computed once per row and column
    /// instead of testing every tap; planes split over cores when large.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func maxPoolForward<T: TensorScalar>(
        _ g: ConvolutionGeometry, input: UnsafePointer<T>, output: UnsafeMutablePointer<T>,
        argmax: UnsafeMutablePointer<Int32>
    ) {
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (s, p, d) = (g.stride, g.padding, g.dilation)
        let rows = TapRanges(out: Ho, size: H, kernel: g.kernelHeight, s, p, d)
        let columns = TapRanges(out: Wo, size: W, kernel: g.kernelWidth, s, p, d)
        nonisolated(unsafe) let (x, y, indices) = (input, output, argmax)
        forEachPlaneChunk(g) { planes in
            for plane in planes {
                let xp = x + plane * H * W
                var out = plane * Ho * Wo
                for i in 0..<Ho {
                    let (u0, u1) = rows[i]
                    let h0 = i * s - p
                    for j in 0..<Wo {
                        let (v0, v1) = columns[j]
                        let w0 = j * s - p
                        var best = -T.infinity
                        var index = -1
                        var u = u0
                        while u < u1 {
                            let rowStart = (h0 + u * d) * W + w0
                            var v = v0
                            while v < v1 {
                                let at = rowStart + v * d
                                let value = xp[at]
                                if index < 0 || value > best || value.isNaN { best = value; index = at }
                                v += 1
                            }
                            u += 1
                        }
                        y[out] = best
                        indices[out] = Int32(truncatingIfNeeded: index)
                        out += 1
                    }
                }
            }
        }
    }

    /// dx = 0, then dx[plane, argmax] += dy, plane by plane (same order as naive).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func maxPoolBackward<T: TensorScalar>(
        _ g: ConvolutionGeometry, outputGradient: UnsafePointer<T>, argmax: UnsafePointer<Int32>,
        inputGradient: UnsafeMutablePointer<T>
    ) {
        let planeIn = g.height * g.width, planeOut = g.outHeight * g.outWidth
        nonisolated(unsafe) let (dy, indices, dx) = (outputGradient, argmax, inputGradient)
        forEachPlaneChunk(g) { planes in
            dx.advanced(by: planes.lowerBound * planeIn).update(repeating: 0, count: planes.count * planeIn)
            for plane in planes {
                let dxp = dx + plane * planeIn
                let base = plane * planeOut
                for q in 0..<planeOut {
                    let index = Int(indices[base + q])
                    if index >= 0 { dxp[index] += dy[base + q] }
                }
            }
        }
    }

    /// Average pooling: in-bounds taps only, summed in the naive order, then
    /// divided by k_h·k_w (bit-identical to the naive twin).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func averagePoolForward<T: TensorScalar>(
        _ g: ConvolutionGeometry, input: UnsafePointer<T>, output: UnsafeMutablePointer<T>
    ) {
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (s, p, d) = (g.stride, g.padding, g.dilation)
        let rows = TapRanges(out: Ho, size: H, kernel: g.kernelHeight, s, p, d)
        let columns = TapRanges(out: Wo, size: W, kernel: g.kernelWidth, s, p, d)
        let divisor = T(g.kernelHeight * g.kernelWidth)
        nonisolated(unsafe) let (x, y) = (input, output)
        forEachPlaneChunk(g) { planes in
            for plane in planes {
                let xp = x + plane * H * W
                var out = plane * Ho * Wo
                for i in 0..<Ho {
                    let (u0, u1) = rows[i]
                    let h0 = i * s - p
                    for j in 0..<Wo {
                        let (v0, v1) = columns[j]
                        let w0 = j * s - p
                        var sum: T = 0
                        var u = u0
                        while u < u1 {
                            let row = xp + (h0 + u * d) * W + w0
                            var v = v0
                            while v < v1 { sum += row[v * d]; v += 1 }
                            u += 1
                        }
                        y[out] = sum / divisor
                        out += 1
                    }
                }
            }
        }
    }

    /// dx = 0, then each dy / (k_h·k_w) scattered over its in-bounds taps.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func averagePoolBackward<T: TensorScalar>(
        _ g: ConvolutionGeometry, outputGradient: UnsafePointer<T>, inputGradient: UnsafeMutablePointer<T>
    ) {
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (s, p, d) = (g.stride, g.padding, g.dilation)
        let rows = TapRanges(out: Ho, size: H, kernel: g.kernelHeight, s, p, d)
        let columns = TapRanges(out: Wo, size: W, kernel: g.kernelWidth, s, p, d)
        let divisor = T(g.kernelHeight * g.kernelWidth)
        nonisolated(unsafe) let (dy, dx) = (outputGradient, inputGradient)
        forEachPlaneChunk(g) { planes in
            dx.advanced(by: planes.lowerBound * H * W).update(repeating: 0, count: planes.count * H * W)
            for plane in planes {
                let dxp = dx + plane * H * W
                var out = plane * Ho * Wo
                for i in 0..<Ho {
                    let (u0, u1) = rows[i]
                    let h0 = i * s - p
                    for j in 0..<Wo {
                        let (v0, v1) = columns[j]
                        let w0 = j * s - p
                        let share = dy[out] / divisor
                        var u = u0
                        while u < u1 {
                            let row = dxp + (h0 + u * d) * W + w0
                            var v = v0
                            while v < v1 { row[v * d] += share; v += 1 }
                            u += 1
                        }
                        out += 1
                    }
                }
            }
        }
    }

    // MARK: Plan and threads

    /// The sizes one convolution pass needs, and how it is split.
    struct Plan {
        let batch: Int, outChannels: Int
        /// K = C_in·k_h·k_w, HW = H_out·W_out
        let k: Int, hw: Int
        let imageSize: Int, outputSize: Int
        /// Images per GEMM, and the widest product (group·HW columns).
        let group: Int, columns: Int
        /// Contiguous image chunks, one per thread.
        let chunks: Int

        init(_ g: ConvolutionGeometry) {
            batch = g.batch
            outChannels = g.outChannels
            k = g.inChannels * g.kernelHeight * g.kernelWidth
            hw = g.outHeight * g.outWidth
            imageSize = g.inChannels * g.height * g.width
            outputSize = g.outChannels * hw
            chunks = g.multiplyAdds >= Im2colConvolution.parallelThreshold ? min(Im2colConvolution.cores, g.batch) : 1
            let perChunk = (g.batch + chunks - 1) / chunks
            group = max(1, min(perChunk, Im2colConvolution.groupColumns / max(1, hw)))
            columns = group * hw
        }

        /// Runs body(chunk, images) for each chunk of the batch, in parallel
        /// when there is more than one.
        func forEachChunk(_ body: @escaping @Sendable (Int, Range<Int>) -> Void) {
            let (chunks, batch) = (self.chunks, self.batch)
            let run: @Sendable (Int) -> Void = { t in body(t, batch * t / chunks..<batch * (t + 1) / chunks) }
            if chunks == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: chunks, execute: run) }
        }
    }

    /// Runs body over contiguous ranges of the N·C planes (one per core when
    /// the input is large).
    static func forEachPlaneChunk(_ g: ConvolutionGeometry, _ body: @escaping @Sendable (Range<Int>) -> Void) {
        let planes = g.batch * g.inChannels
        let parts = planes * g.height * g.width >= poolParallelThreshold ? min(cores, planes) : 1
        if parts == 1 {
            body(0..<planes)
        } else {
            DispatchQueue.concurrentPerform(iterations: parts) { t in body(planes * t / parts..<planes * (t + 1) / parts) }
        }
    }

    /// For each output row (or column) i, the taps u in u0..<u1 whose input
    /// position i·s − p + u·d lies in [0, size).
    struct TapRanges {
        let lower: [Int], upper: [Int]

        init(out: Int, size: Int, kernel: Int, _ s: Int, _ p: Int, _ d: Int) {
            var lower = [Int](repeating: 0, count: out), upper = [Int](repeating: 0, count: out)
            for i in 0..<out {
                let start = i * s - p
                let (lo, hi) = Im2colConvolution.validRange(count: kernel, offset: start, step: d, size: size)
                lower[i] = lo
                upper[i] = hi
            }
            self.lower = lower
            self.upper = upper
        }

        subscript(_ i: Int) -> (Int, Int) { (lower[i], upper[i]) }
    }

    /// The t in lo..<hi (within 0..<count) with 0 ≤ offset + t·step < size.
    @inline(__always)
    static func validRange(count: Int, offset: Int, step: Int, size: Int) -> (Int, Int) {
        // offset + t·step ≥ 0  ⇔  t ≥ ⌈−offset / step⌉
        let lo = offset >= 0 ? 0 : (-offset + step - 1) / step
        // offset + t·step ≤ size − 1  ⇔  t ≤ ⌊(size − 1 − offset) / step⌋
        let top = size - 1 - offset
        let hi = top < 0 ? 0 : min(count, top / step + 1)
        return (min(lo, hi), hi)
    }

    // MARK: im2col and col2im

    /// Unfolds one image x [C, H, W] into cols (row stride `ld`):
    /// cols[(c·k_h + u)·k_w + v, i·W_out + j] = x[c, i·s − p + u·d, j·s − p + v·d], or 0.
    @inline(__always)
    static func im2col<T: TensorScalar>(
        _ g: ConvolutionGeometry, _ x: UnsafePointer<T>, _ cols: UnsafeMutablePointer<T>, ld: Int
    ) {
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (s, p, d, kh, kw) = (g.stride, g.padding, g.dilation, g.kernelHeight, g.kernelWidth)
        var r = 0
        for c in 0..<g.inChannels {
            let plane = x + c * H * W
            for u in 0..<kh {
                let (i0, i1) = validRange(count: Ho, offset: u * d - p, step: s, size: H)
                for v in 0..<kw {
                    let offset = v * d - p
                    let (j0, j1) = validRange(count: Wo, offset: offset, step: s, size: W)
                    let row = cols + r * ld
                    if i0 > 0 { row.update(repeating: 0, count: i0 * Wo) }
                    for i in i0..<i1 {
                        let dst = row + i * Wo
                        let src = plane + (i * s - p + u * d) * W + offset
                        if j0 > 0 { dst.update(repeating: 0, count: j0) }
                        if s == 1 {
                            (dst + j0).update(from: src + j0, count: j1 - j0)
                        } else {
                            for j in j0..<j1 { dst[j] = src[j * s] }
                        }
                        if j1 < Wo { (dst + j1).update(repeating: 0, count: Wo - j1) }
                    }
                    if i1 < Ho { (row + i1 * Wo).update(repeating: 0, count: (Ho - i1) * Wo) }
                    r += 1
                }
            }
        }
    }

    /// The adjoint of `im2col`: dx[c, i·s − p + u·d, j·s − p + v·d] += dcols[r, i·W_out + j]
    /// for every in-bounds entry (dx [C, H, W] accumulates).
    @inline(__always)
    static func col2im<T: TensorScalar>(
        _ g: ConvolutionGeometry, _ dcols: UnsafePointer<T>, ld: Int, _ dx: UnsafeMutablePointer<T>
    ) {
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (s, p, d, kh, kw) = (g.stride, g.padding, g.dilation, g.kernelHeight, g.kernelWidth)
        var r = 0
        for c in 0..<g.inChannels {
            let plane = dx + c * H * W
            for u in 0..<kh {
                let (i0, i1) = validRange(count: Ho, offset: u * d - p, step: s, size: H)
                for v in 0..<kw {
                    let offset = v * d - p
                    let (j0, j1) = validRange(count: Wo, offset: offset, step: s, size: W)
                    let row = dcols + r * ld
                    for i in i0..<i1 {
                        let src = row + i * Wo
                        let dst = plane + (i * s - p + u * d) * W + offset
                        if s == 1 {
                            for j in j0..<j1 { dst[j] += src[j] }
                        } else {
                            for j in j0..<j1 { dst[j * s] += src[j] }
                        }
                    }
                    r += 1
                }
            }
        }
    }

    /// dY of images first..<first+count as one [C_out, count·HW] matrix:
    /// the images' own storage when count == 1, else copied into `buffer`.
    @inline(__always)
    static func gather<T>(
        _ plan: Plan, _ dy: UnsafePointer<T>, first: Int, count: Int, into buffer: UnsafeMutablePointer<T>
    ) -> UnsafePointer<T> {
        if count == 1 { return dy + first * plan.outputSize }
        let n = count * plan.hw
        for image in 0..<count {
            let src = dy + (first + image) * plan.outputSize
            for o in 0..<plan.outChannels {
                (buffer + o * n + image * plan.hw).update(from: src + o * plan.hw, count: plan.hw)
            }
        }
        return UnsafePointer(buffer)
    }

    /// m[o, q] += b[o] for q < cols (row stride ld).
    @inline(__always)
    static func addBias<T: TensorScalar>(_ b: UnsafePointer<T>, _ m: UnsafeMutablePointer<T>, rows: Int, cols: Int, ld: Int) {
        for o in 0..<rows {
            let row = m + o * ld, value = b[o]
            for q in 0..<cols { row[q] += value }
        }
    }

    /// 64-byte-aligned scratch (uninitialised).
    static func allocate<T>(_: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<T>.stride, alignment: 64)
            .assumingMemoryBound(to: T.self)
    }
}
