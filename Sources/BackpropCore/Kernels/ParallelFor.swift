// ParallelFor: how the SIMD kernels split a region of work over the cores.
//
// A training step of the baby GPT is about a hundred parallel regions (51
// matrix products, the attention's per-head loops, LayerNorm, GELU), each
// 20–400 µs of work. `DispatchQueue.concurrentPerform` wakes a pool thread
// through the kernel for every one of them: 5–20 µs before the second core
// starts, paid a hundred times per step, and the pool thread goes back to
// sleep in between. Here a region runs on the spin team instead
// (SpinTeam.swift): its helper, once woken by the first region of a step,
// keeps spinning for `SpinTeam.spinNanoseconds` between regions, so every
// later region starts on both cores after one cache-line hand-off (a few
// hundred nanoseconds). That is what OpenMP's spinning workers do for
// PyTorch.
//
// Correctness does not depend on the helper: iterations are claimed one at
// a time by whichever thread is free, so on a busy machine (or when another
// thread holds the team, or inside a region already on the team) the
// caller runs every iteration itself. Each iteration must therefore be
// independent of the others, as for concurrentPerform.

import Dispatch
import Foundation

public enum ParallelFor {
    /// Cores of this machine (at least 1).
    public static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// body(0) … body(iterations − 1), each exactly once, on the calling
    /// thread and the spin team's helper (woken if it sleeps); returns when
    /// all are done. On one core, in order on the calling thread.
    public static func run(iterations: Int, _ body: (Int) -> Void) {
        if iterations <= 1 {
            if iterations == 1 { body(0) }
            return
        }
        guard let team = SpinTeam.shared else {
            for i in 0..<iterations { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            var closure = body
            withUnsafePointer(to: &closure) { p in
                team.run(chunks: iterations, context: UnsafeRawPointer(p)) { context, i in
                    context.assumingMemoryBound(to: ((Int) -> Void).self).pointee(i)
                }
            }
        }
    }

    /// body(k, lo, hi) for chunk k of `chunks` equal ranges of 0..<rows,
    /// in parallel as `run`; inline, as chunk 0 of one, when chunks ≤ 1.
    public static func forEachChunk(rows: Int, chunks: Int, _ body: (_ chunk: Int, _ lo: Int, _ hi: Int) -> Void) {
        if chunks <= 1 || rows < 2 { body(0, 0, rows); return }
        run(iterations: chunks) { k in body(k, k * rows / chunks, (k + 1) * rows / chunks) }
    }
}
