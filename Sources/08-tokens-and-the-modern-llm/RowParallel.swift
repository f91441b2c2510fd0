// Splitting rows over the cores, for the SIMD twins of chapter 8's layers
// (RMSNorm, RoPE, the SwiGLU gate): one contiguous chunk of rows per core,
// with the core's `ParallelFor` (the spin team), only when there is enough
// work to pay for the hand-off (the same rule as chapter 7's LayerNorm).

import BackpropCore
import Dispatch
import Foundation

enum RowParallel {
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// How many chunks to split `rows` rows of `rowWidth` scalars into:
    /// one per core from `threshold` scalars of work on, else one.
    static func chunks(rows: Int, rowWidth: Int, threshold: Int = 1 << 14) -> Int {
        rows >= 2 && rows * rowWidth >= threshold ? min(cores, rows) : 1
    }

    /// body(k, lo, hi) for chunk k of `chunks` equal ranges of 0..<rows
    /// (inline, as chunk 0 of one, when chunks ≤ 1).
    static func forEachChunk(rows: Int, chunks: Int, _ body: (_ chunk: Int, _ lo: Int, _ hi: Int) -> Void) {
        ParallelFor.forEachChunk(rows: rows, chunks: chunks, body)
    }
}

extension TensorScalar {
    /// `count` elements left uninitialised, for a SIMD kernel that writes
    /// every one before anything reads it; zeros for the naive twins (the
    /// zero-filling of the layers' [n, H] buffers was 3–4% of the LoRA
    /// training step's perf samples, in memset).
    @inline(__always)
    static func buffer(count: Int, uninitialized: Bool) -> [Self] {
        uninitialized ? [Self](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
                      : [Self](repeating: 0, count: count)
    }
}
