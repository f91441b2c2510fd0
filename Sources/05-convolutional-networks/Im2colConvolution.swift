// Im2colConvolution: the fast twin of `NaiveConvolution`, same contract
// (ConvolutionKernels.swift).
//
// Contract
// - Convolution is turned into matrix products. `im2col` unfolds the
//   receptive fields of one image into a matrix X̂ [C_in·k_h·k_w, H_out·W_out]:
//   row r = (c·k_h + u)·k_w + v, column q = i·W_out + j holds
//   x[c, i·s − p + u·d, j·s − p + v·d] (zero outside the image). With the
//   weight viewed as W [C_out, K], K = C_in·k_h·k_w, the three passes are
//     forward          Y  = W·X̂ (+ b)          [C_out, HW]
//     backward input   dX̂ = Wᵀ·dY, then col2im  [K, HW]
//     backward weight  dW += dY·X̂ᵀ, db += dY·1  [C_out, K]
//   col2im is the adjoint of im2col: it adds each entry of dX̂ back to the
//   input position it was copied from.
// - Forward and backward input go image by image through ConvolutionGEMM
//   (unpacked 6×16 tiles; see that file for why the core's packed GEMM
//   loses on these lopsided products): y[image] = W·X̂ + b is written
//   straight into y with the bias added in the tile's store, and dX̂ =
//   Wᵀ·dY[image] reads dY in place. X̂ of one image (≤ 80 KiB here) stays
//   in L2 between im2col and the product.
// - Backward weight unfolds several images side by side (columns
//   image-major, about `weightGroupColumns` per product), gathers their dY
//   the same way, and sums dot-product tiles over the whole group
//   (ConvolutionGEMM+Weight.swift).
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
//   allocations of this size cost page faults on every call). Backward weight
//   gives every chunk but the first its own partial dW/db, added into dW/db
//   at the end, so no two threads write the same memory. A layer's two
//   backward passes share one split (`convolutionBackward`). Small problems
//   (and batch 1) run on the calling thread.
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

/// Convolution by im2col + unpacked SIMD products on both cores; tight pooling loops.
public enum Im2colConvolution: ConvolutionKernels {
    public static let name = "im2col"

    /// Columns of X̂ per weight-gradient product (images are grouped until
    /// about this many output pixels): each accumulator tile is summed
    /// across its lanes once per group, so longer groups amortise that, while
    /// a tile's four X̂ rows (4 × 4 KiB) still sit in L1. Measured on one
    /// thread, digits conv(16→32): 629 µs with 384 columns, 595 with 512,
    /// 554 with 1024, 598 with 2048.
    static let weightGroupColumns = 1024
    /// Below this many multiply-adds one thread does the whole pass (the cost
    /// of waking the second core, ~10–20 µs, is then a large share).
    static let parallelThreshold = 1 << 19
    /// Pooling: below this many input elements, one thread.
    static let poolParallelThreshold = 1 << 18
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    // MARK: Convolution

    /// y = W·im2col(x) + b, image by image.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func convolutionForward<T: TensorScalar>(
        _ g: ConvolutionGeometry, input: UnsafePointer<T>, weight: UnsafePointer<T>,
        bias: UnsafePointer<T>?, output: UnsafeMutablePointer<T>
    ) {
        let plan = Plan(g, groupColumns: 1)  // one image at a time
        nonisolated(unsafe) let (x, w, b, y) = (input, weight, bias, output)
        plan.forEachChunk { chunk, images in
            let scratch = Scratch<T>(plan, product: false)
            defer { scratch.free() }
            for image in images {
                // X̂ of one image [K, HW], then y[image] = W·X̂ + b straight into y.
                im2col(plan, x + image * plan.imageSize, count: 1, scratch)
                ConvolutionGEMM.run(m: plan.outChannels, n: plan.hw, k: plan.k, w, rowStride: plan.k, columnStride: 1,
                                    scratch.cols, ldb: plan.hw, y + image * plan.outputSize, ldc: plan.hw,
                                    bias: b, accumulate: false)
            }
        }
    }

    /// dx = col2im(Wᵀ·dY), image by image.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func convolutionBackwardInput<T: TensorScalar>(
        _ g: ConvolutionGeometry, outputGradient: UnsafePointer<T>, weight: UnsafePointer<T>,
        inputGradient: UnsafeMutablePointer<T>
    ) {
        let plan = Plan(g, groupColumns: 1)  // one image at a time
        nonisolated(unsafe) let (dy, w, dx) = (outputGradient, weight, inputGradient)
        plan.forEachChunk { chunk, images in
            let scratch = Scratch<T>(plan, product: false)
            defer { scratch.free() }
            backwardInput(plan, images, scratch, dy, w, dx)
        }
    }

    /// dW += dY·im2col(x)ᵀ and db += row sums of dY, with per-chunk partials.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func convolutionBackwardWeight<T: TensorScalar>(
        _ g: ConvolutionGeometry, input: UnsafePointer<T>, outputGradient: UnsafePointer<T>,
        weightGradient: UnsafeMutablePointer<T>, biasGradient: UnsafeMutablePointer<T>?
    ) {
        backward(g, input: input, outputGradient: outputGradient, weight: nil, inputGradient: nil,
                 weightGradient: weightGradient, biasGradient: biasGradient)
    }

    /// Both backward passes in one split of the batch: each thread computes
    /// dx for its images, then their share of dW and db, so the layer's
    /// backward wakes the second core once, and dY is still in cache for the
    /// second pass.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func convolutionBackward<T: TensorScalar>(
        _ g: ConvolutionGeometry, input: UnsafePointer<T>, outputGradient: UnsafePointer<T>, weight: UnsafePointer<T>,
        inputGradient: UnsafeMutablePointer<T>, weightGradient: UnsafeMutablePointer<T>, biasGradient: UnsafeMutablePointer<T>?
    ) {
        backward(g, input: input, outputGradient: outputGradient, weight: weight, inputGradient: inputGradient,
                 weightGradient: weightGradient, biasGradient: biasGradient)
    }

    /// Backward weight, after backward input when `inputGradient` is given.
    @inline(__always)
    static func backward<T: TensorScalar>(
        _ g: ConvolutionGeometry, input: UnsafePointer<T>, outputGradient: UnsafePointer<T>, weight: UnsafePointer<T>?,
        inputGradient: UnsafeMutablePointer<T>?, weightGradient: UnsafeMutablePointer<T>, biasGradient: UnsafeMutablePointer<T>?
    ) {
        let plan = Plan(g, groupColumns: weightGroupColumns)
        let weightCount = plan.outChannels * plan.k, biasCount = plan.outChannels
        // Chunk 0 accumulates into dw/db directly; chunk t > 0 into partials[t − 1].
        let partialStride = weightCount + biasCount
        let partials = allocate(T.self, max(0, plan.chunks - 1) * partialStride)
        partials.update(repeating: 0, count: max(0, plan.chunks - 1) * partialStride)
        defer { partials.deallocate() }
        nonisolated(unsafe) let (x, dy, w, dx, dw, db, parts) = (input, outputGradient, weight, inputGradient, weightGradient, biasGradient, partials)
        plan.forEachChunk { chunk, images in
            let scratch = Scratch<T>(plan, product: true)  // X̂ and dY of a group; also one image's dX̂
            defer { scratch.free() }
            if let w, let dx { backwardInput(plan, images, scratch, dy, w, dx) }
            let dwTarget = chunk == 0 ? dw : parts + (chunk - 1) * partialStride
            let dbTarget = chunk == 0 ? db : parts + (chunk - 1) * partialStride + weightCount
            for first in stride(from: images.lowerBound, to: images.upperBound, by: plan.group) {
                let count = min(plan.group, images.upperBound - first)
                let n = count * plan.hw
                im2col(plan, x + first * plan.imageSize, count: count, scratch)  // X̂ [K, count·HW]
                // dY of the group as one [C_out, count·HW] matrix (in place for one image).
                let dyGroup = gather(plan, dy, first: first, count: count, into: scratch.product)
                ConvolutionGEMM.weightGradient(outChannels: plan.outChannels, k: plan.k, n: n, dy: dyGroup, cols: scratch.cols,
                                               dw: dwTarget)
                if let dbTarget {
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

    /// dx of `images`, one image at a time: dX̂ [K, HW] = Wᵀ·dY[image]
    /// (Wᵀ is W read with rowStride 1, columnStride K), then col2im.
    @inline(__always)
    static func backwardInput<T: TensorScalar>(
        _ plan: Plan, _ images: Range<Int>, _ scratch: Scratch<T>,
        _ dy: UnsafePointer<T>, _ w: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>
    ) {
        for image in images {
            ConvolutionGEMM.run(m: plan.k, n: plan.hw, k: plan.outChannels, w, rowStride: 1, columnStride: plan.k,
                                dy + image * plan.outputSize, ldb: plan.hw, scratch.cols, ldc: plan.hw,
                                bias: nil, accumulate: false)
            col2im(plan, count: 1, scratch, dx + image * plan.imageSize)
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

        init(_ g: ConvolutionGeometry, groupColumns: Int) {
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
            group = max(1, min(perChunk, groupColumns / max(1, hw)))
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
