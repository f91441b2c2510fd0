// Peak: this CPU's measured single-precision FMA throughput, the ceiling a
// matmul is compared against ("fraction of peak").
//
// Contract
// - `Peak.measureFMAGflops(threads:seconds:)` runs `threads` copies of an
//   FMA-only loop at once (one per core via `concurrentPerform`) for about
//   `seconds` of wall time and returns the total GFLOP/s achieved.
// - One fused multiply-add on a `SIMD8<Float>` counts as 2 flops per lane,
//   16 flops per instruction, the same convention as a matmul's 2·m·n·k.
// - The loop keeps 12 independent accumulators: an FMA has a latency of about
//   4 cycles and this core issues 2 per cycle, so at least 4 × 2 = 8 chains
//   must be in flight to fill both pipes; 12 leaves margin.
// - Nothing is memory bound: all operands live in registers. The result is
//   summed and published to a global sink so the optimizer cannot delete it.
//
// Needs the package's `-mavx2 -mfma` flags: without them each FMA becomes a
// libm call and the "peak" is ~100× too low.

import Dispatch

/// Receives each measurement's final accumulator sum so that the FMA loop has
/// an observable effect and cannot be optimized away.
nonisolated(unsafe) private var peakSink: Float = 0

/// The machine's floating-point ceiling, measured rather than looked up.
public enum Peak {
    /// The best of `trials` measurements: interference from other processes
    /// only ever lowers a reading, so the maximum is the estimate of the peak.
    public static func bestFMAGflops(threads: Int, trials: Int = 5, secondsEach: Double = 0.1) -> Double {
        (0..<max(1, trials)).map { _ in measureFMAGflops(threads: threads, seconds: secondsEach) }.max()!
    }

    /// Measures the single-precision FMA rate of `threads` cores together.
    ///
    /// Each thread iterates `acc ← acc·x + y` (x = 0.9999, y = 10⁻⁴) on 12
    /// `SIMD8<Float>` accumulators. The recurrence converges to 1, so values
    /// stay normal (no denormal slow path, no overflow).
    /// - Returns: GFLOP/s = Σ_threads (FMAs × 16) / wall seconds / 10⁹.
    public static func measureFMAGflops(threads: Int, seconds: Double) -> Double {
        let threads = max(1, threads)
        let budgetNanos = UInt64(max(0.001, seconds) * 1e9)
        let results = UnsafeMutablePointer<(fmas: Double, nanos: Double, sum: Float)>
            .allocate(capacity: threads)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            out[t] = fmaLoop(budgetNanos: budgetNanos, seed: Float(t))
        }
        var fmas = 0.0, wall = 0.0
        var sum: Float = 0
        for t in 0..<threads {
            fmas += results[t].fmas
            wall = max(wall, results[t].nanos)
            sum += results[t].sum
        }
        peakSink += sum
        return fmas * 16 / wall
    }

    /// One thread's timed FMA loop: calls `fmaBlock` (2048 × 12 FMAs, ~10 µs)
    /// until the budget is spent, so the clock's cost is negligible.
    @inline(never)
    static func fmaLoop(budgetNanos: UInt64, seed: Float) -> (fmas: Double, nanos: Double, sum: Float) {
        let acc = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: 12)
        defer { acc.deallocate() }
        for i in 0..<12 { acc[i] = SIMD8<Float>(repeating: seed + Float(i)) }
        let x = SIMD8<Float>(repeating: 0.9999 + seed * 1e-7)
        let y = SIMD8<Float>(repeating: 1e-4)
        let start = DispatchTime.now().uptimeNanoseconds
        var now = start
        var blocks = 0
        repeat {
            fmaBlock(acc, x, y, iterations: 2048)
            blocks += 1
            now = DispatchTime.now().uptimeNanoseconds
        } while now - start < budgetNanos
        var total = SIMD8<Float>()
        for i in 0..<12 { total += acc[i] }
        return (Double(blocks) * 2048 * 12, Double(now - start), total.sum())
    }

    /// `iterations` rounds of 12 independent FMAs, aᵢ ← aᵢ·x + y. The
    /// accumulators are loaded into registers once and stored back at the end
    /// (keeping this loop free of calls lets LLVM keep all 12 in ymm registers).
    @inline(never)
    static func fmaBlock(
        _ acc: UnsafeMutablePointer<SIMD8<Float>>, _ x: SIMD8<Float>, _ y: SIMD8<Float>,
        iterations: Int
    ) {
        var a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3]
        var a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7]
        var a8 = acc[8], a9 = acc[9], a10 = acc[10], a11 = acc[11]
        for _ in 0..<iterations {
            a0 = y.addingProduct(a0, x) ; a1 = y.addingProduct(a1, x)
            a2 = y.addingProduct(a2, x) ; a3 = y.addingProduct(a3, x)
            a4 = y.addingProduct(a4, x) ; a5 = y.addingProduct(a5, x)
            a6 = y.addingProduct(a6, x) ; a7 = y.addingProduct(a7, x)
            a8 = y.addingProduct(a8, x) ; a9 = y.addingProduct(a9, x)
            a10 = y.addingProduct(a10, x) ; a11 = y.addingProduct(a11, x)
        }
        acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3
        acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7
        acc[8] = a8; acc[9] = a9; acc[10] = a10; acc[11] = a11
    }
}
