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
//   col2im is the adjoint of im2col: it adds each entry of dX̂ back to the
//   input position it was copied from.
// - Several images are put side by side into one GEMM (columns image-major,
//   about `groupColumns` columns per product) so small images still give the
//   packed GEMM long rows; a group of one image writes straight into y.
// - im2col first copies each image into a zero-padded scratch image
//   [C, H + 2p, W + 2p], so every row of X̂ is a plain (strided) read with no
//   bounds tests; with stride 1 it is copied in whole SIMD vectors, rows in
//   increasing order so a vector running past a row's end is overwritten by
//   the next row (the scratch buffers carry one vector of slack). col2im
//   adds into a zero-padded gradient image the same way (exact lengths: sums
//   cannot be overwritten) and copies its interior out to dx.
// - Threads: above `parallelThreshold` multiply-adds the batch is split into
//   one contiguous chunk of images per core (`concurrentPerform`), each with
//   its own scratch, taken from a small pool reused across calls (fresh
//   allocations of this size cost page faults on every call). Backward weight gives every chunk but the first its own
//   partial dW/db, added into dW/db at the end, so no two threads write the
//   same memory. With one chunk (small problems, batch 1) the GEMM decides
//   for itself whether to use both cores.
// - Agreement with NaiveConvolution: each output is the same sum of the same
//   products in a different order and with FMAs, so
//   |im2col − naive| ≤ (t + 2)·ε·Σ|terms| for t terms (forward: K plus the
//   bias; backward input: C_out·k_h·k_w; backward weight: N·H_out·W_out plus
//   the existing gradient). Pooling kernels visit the same taps in the same
//   order as the naive ones and give bit-identical results.
// - Generic entry points are `@_specialize`d for Float and Double.

import BackpropCore
import Dispatch
import Foundation

/// Convolution by im2col + packed GEMM on both cores; tight pooling loops.
public enum Im2colConvolution: ConvolutionKernels {
    public static let name = "im2col"

    /// Columns of X̂ aimed for in one GEMM (images are grouped until about
    /// this many output pixels): 512 columns of K = 144 Float rows is 288 KiB,
    /// inside the 512 KiB L2 of one Zen 3 core. Measured for the digits CNN's
    /// conv(16→32) shapes: the GEMM runs at ~64 GFLOP/s with 512 columns,
    /// ~55 with 2048 and ~50 with one 8×8 image (64 columns).
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
            let scratch = Scratch<T>(plan, product: true)
            defer { scratch.free() }
            for first in stride(from: images.lowerBound, to: images.upperBound, by: plan.group) {
                let count = min(plan.group, images.upperBound - first)
                let n = count * plan.hw
                im2col(plan, x + first * plan.imageSize, count: count, scratch)
                let target = count == 1 ? y + first * plan.outputSize : scratch.product
                SIMDKernels.matmul(.nn, m: plan.outChannels, n: n, k: plan.k, w, scratch.cols, target, accumulate: false)
                for image in 0..<count {
                    // product[o, image·HW + q] → y[first + image, o, q] (+ b[o])
                    let yImage = y + (first + image) * plan.outputSize
                    for o in 0..<plan.outChannels {
                        let row = yImage + o * plan.hw
                        if count > 1 { row.update(from: scratch.product + o * n + image * plan.hw, count: plan.hw) }
                        if let b { addScalar(b[o], row, count: plan.hw) }
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
            let scratch = Scratch<T>(plan, product: true)
            defer { scratch.free() }
            for first in stride(from: images.lowerBound, to: images.upperBound, by: plan.group) {
                let count = min(plan.group, images.upperBound - first)
                let n = count * plan.hw
                let dyGroup = gather(plan, dy, first: first, count: count, into: scratch.product)
                SIMDKernels.matmul(.tn, m: plan.k, n: n, k: plan.outChannels, w, dyGroup, scratch.cols, accumulate: false)
                col2im(plan, count: count, scratch, dx + first * plan.imageSize)
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
            let scratch = Scratch<T>(plan, product: true)
            defer { scratch.free() }
            let dwTarget = chunk == 0 ? dw : parts + (chunk - 1) * partialStride
            let dbTarget = chunk == 0 ? db : parts + (chunk - 1) * partialStride + weightCount
            for first in stride(from: images.lowerBound, to: images.upperBound, by: plan.group) {
                let count = min(plan.group, images.upperBound - first)
                let n = count * plan.hw
                im2col(plan, x + first * plan.imageSize, count: count, scratch)
                let dyGroup = gather(plan, dy, first: first, count: count, into: scratch.product)
                SIMDKernels.matmul(.nt, m: plan.outChannels, n: plan.k, k: n, dyGroup, scratch.cols, dwTarget, accumulate: true)
                if db != nil, let dbTarget {
                    for o in 0..<plan.outChannels { dbTarget[o] += sum(dyGroup + o * n, count: n) }
                }
            }
        }
        for t in 1..<max(1, plan.chunks) {
            let part = partials + (t - 1) * partialStride
            SIMDKernels.add(count: weightCount, dw, part, dw)
            if let db { SIMDKernels.add(count: biasCount, db, part + weightCount, db) }
        }
    }

    // MARK: Plan, scratch and threads

    /// The sizes one convolution pass needs, and how it is split.
    struct Plan: Sendable {
        let g: ConvolutionGeometry
        let batch: Int, inChannels: Int, outChannels: Int
        /// K = C_in·k_h·k_w, HW = H_out·W_out
        let k: Int, hw: Int
        let imageSize: Int, outputSize: Int
        /// The zero-padded image: H + 2p rows of W + 2p.
        let paddedHeight: Int, paddedWidth: Int, paddedSize: Int
        /// Images per GEMM, and the widest product (group·HW columns).
        let group: Int, columns: Int
        /// Contiguous image chunks, one per thread.
        let chunks: Int

        init(_ g: ConvolutionGeometry) {
            self.g = g
            batch = g.batch
            inChannels = g.inChannels
            outChannels = g.outChannels
            k = g.inChannels * g.kernelHeight * g.kernelWidth
            hw = g.outHeight * g.outWidth
            imageSize = g.inChannels * g.height * g.width
            outputSize = g.outChannels * hw
            paddedHeight = g.height + 2 * g.padding
            paddedWidth = g.width + 2 * g.padding
            paddedSize = g.inChannels * paddedHeight * paddedWidth
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

    /// One thread's buffers, carved from one pooled allocation: X̂ or dX̂
    /// [K, columns], the padded images of a group, and a [C_out, columns]
    /// matrix (GEMM output or gathered dY). Each part is 64-byte aligned and
    /// followed by one SIMD vector of slack for whole-vector copies.
    struct Scratch<T: TensorScalar> {
        let cols: UnsafeMutablePointer<T>
        let padded: UnsafeMutablePointer<T>
        let product: UnsafeMutablePointer<T>
        let block: ScratchPool.Block

        init(_ plan: Plan, product: Bool) {
            let slack = T.Vector.scalarCount
            func bytes(_ count: Int) -> Int { ((count + slack) * MemoryLayout<T>.stride + 63) / 64 * 64 }
            let sizes = [bytes(plan.k * plan.columns), bytes(plan.group * plan.paddedSize),
                         bytes(product ? plan.outChannels * plan.columns : 0)]
            block = ScratchPool.shared.take(bytes: sizes.reduce(0, +))
            let base = block.pointer
            cols = base.assumingMemoryBound(to: T.self)
            padded = (base + sizes[0]).assumingMemoryBound(to: T.self)
            self.product = (base + sizes[0] + sizes[1]).assumingMemoryBound(to: T.self)
        }

        func free() { ScratchPool.shared.give(block) }
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
}
