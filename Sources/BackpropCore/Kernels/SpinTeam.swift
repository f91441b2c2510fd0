// SpinTeam: the caller and one waiting helper thread, for parallel regions
// too short for Dispatch.
//
// `DispatchQueue.concurrentPerform` wakes a worker through the kernel for
// every region: about 5–20 µs before the second core starts. That is fine
// for a training step's large products and useless for one decoding step of
// the baby GPT, whose twenty or so matrix-vector products take 1–5 µs each.
// Here a helper thread waits by spinning on an atomic word, so handing it
// work costs one cache-line transfer between cores (~0.1–0.3 µs).
//
// A region is split into chunks that both threads claim, one at a time,
// from one atomic word `state` = generation·2³² + chunks·2¹⁶ + next chunk:
//   caller  job ← body; state ← (g, n, 0); wake the helper if it sleeps;
//           claim and run chunks until none is left; spin until the
//           helper's claimed chunks are done
//   helper  spin until the generation changes; claim and run chunks of
//           that generation until none is left
// A claim is a compare-and-swap that only succeeds while the word still
// holds the helper's generation with chunks left, so a helper that wakes
// late never touches a later region, and the caller never waits for a
// helper that has not started: on a busy machine, where the helper may not
// be scheduled at all, the caller simply runs every chunk itself. A claimed
// chunk keeps its region open, so `job` (written before the word is
// released) is still that region's when the helper reads it.
//
// A helper that has spun `spinLimit` times without work sleeps on a
// semaphore, so an idle team costs no CPU; the caller that next publishes a
// region wakes it (the sleeping flag and the word are sequentially
// consistent: either the helper sees the new region before sleeping, or the
// caller sees the flag and signals).
//
// One region at a time: `run` takes the team with a compare-and-swap and,
// if another thread holds it, runs every chunk itself, so callers on
// several threads (a server generating several streams) stay correct.

import Dispatch
import Foundation
import Synchronization

/// Parallel regions of a few microseconds, split between the caller and a
/// spinning helper thread.
public final class SpinTeam: @unchecked Sendable {
    /// The team the kernels share (nil on a machine with one core).
    public static let shared: SpinTeam? = ProcessInfo.processInfo.activeProcessorCount >= 2 ? SpinTeam() : nil

    /// Checks of an unchanged word before the helper sleeps (≈ 20–50 µs).
    static let spinLimit = 10_000

    private let state = Atomic<Int>(0)
    private let completed = Atomic<Int>(0)
    private let sleeping = Atomic<Bool>(false)
    private let busy = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private nonisolated(unsafe) var job: (@Sendable (Int) -> Void)?
    private nonisolated(unsafe) var generation = 0  // written only by the thread holding `busy`

    private init() {
        let thread = Thread { [unowned self] in self.helperLoop() }
        thread.name = "backprop.spin-team"
        thread.start()
    }

    /// Runs body(0) … body(chunks − 1), each exactly once, on the calling
    /// thread and the helper, and returns when all are done.
    /// - Precondition: 0 ≤ chunks < 2¹⁶.
    public func run(chunks: Int, _ body: @escaping @Sendable (Int) -> Void) {
        precondition(chunks >= 0 && chunks < 1 << 16, "SpinTeam: chunk count out of range")
        guard chunks > 1, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for c in 0..<chunks { body(c) }
            return
        }
        generation = (generation + 1) & 0x7FFF_FFFF
        let g = generation
        job = body
        completed.store(0, ordering: .relaxed)
        state.store(g << 32 | chunks << 16, ordering: .sequentiallyConsistent)
        if sleeping.exchange(false, ordering: .sequentiallyConsistent) { wake.signal() }
        var mine = 0
        while let c = claim(g) {
            body(c)
            mine += 1
        }
        while completed.load(ordering: .acquiring) != chunks - mine {}
        job = nil
        busy.store(false, ordering: .releasing)
    }

    /// The next unclaimed chunk of generation g, or nil if none is left.
    @inline(__always)
    private func claim(_ g: Int) -> Int? {
        var s = state.load(ordering: .acquiring)
        while true {
            let next = s & 0xFFFF, count = (s >> 16) & 0xFFFF
            if s >> 32 != g || next >= count { return nil }
            let (exchanged, original) = state.compareExchange(expected: s, desired: s + 1, ordering: .acquiringAndReleasing)
            if exchanged { return next }
            s = original
        }
    }

    private func helperLoop() {
        var seen = 0
        while true {
            var spins = 0
            while true {
                let g = state.load(ordering: .acquiring) >> 32
                if g != seen { seen = g; break }
                spins += 1
                if spins < Self.spinLimit { continue }
                // Nothing for a while: sleep until a caller publishes a region.
                sleeping.store(true, ordering: .sequentiallyConsistent)
                if state.load(ordering: .sequentiallyConsistent) >> 32 != seen {
                    // A region arrived meanwhile. If its caller already took
                    // the flag it will signal: consume that signal.
                    if !sleeping.exchange(false, ordering: .sequentiallyConsistent) { wake.wait() }
                } else {
                    wake.wait()
                }
                spins = 0
            }
            while let c = claim(seen) {
                job?(c)
                completed.add(1, ordering: .releasing)
            }
        }
    }
}
