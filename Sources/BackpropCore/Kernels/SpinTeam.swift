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
//   caller  job ← (body, context); state ← (g, n, 0); wake the helper if it sleeps;
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
// A helper that has spun `spinNanoseconds` without work sleeps on a
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
#if canImport(Glibc)
import Glibc
#endif

/// Parallel regions of a few microseconds, split between the caller and a
/// spinning helper thread.
public final class SpinTeam: @unchecked Sendable {
    /// The team the kernels share (nil on a machine with one core).
    public static let shared: SpinTeam? = ProcessInfo.processInfo.activeProcessorCount >= 2 ? SpinTeam() : nil

    private static let created = Atomic<Bool>(false)

    /// The shared team if it exists and its helper is awake — spinning,
    /// because a decoding loop used it within the last `spinNanoseconds` —
    /// else nil. The core GEMM lends mid-size products to it only then
    /// (SIMDMatmul.swift), so a training step never wakes the helper, while a
    /// decoder's cache refill gets the second core for free.
    public static var awake: SpinTeam? {
        guard created.load(ordering: .relaxed), let team = shared, !team.sleeping.load(ordering: .relaxed) else { return nil }
        return team
    }

    /// How long the helper spins without work before it sleeps. Long
    /// enough to bridge the serial work between a decoding step's regions
    /// and between tokens (a few to tens of µs): a helper that fell asleep
    /// there made every region pay a semaphore signal and generation ran at
    /// half speed.
    static let spinNanoseconds: UInt64 = 500_000

    private let state = Atomic<Int>(0)
    private let completed = Atomic<Int>(0)
    private let sleeping = Atomic<Bool>(false)
    private let busy = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    /// The region's body and its argument: a C function pointer and a raw
    /// context, not a Swift closure, because the helper calling a shared
    /// closure retains and releases its context from both cores (swift_retain
    /// and swift_release were 8% of a decoding run).
    private nonisolated(unsafe) var job: Body?
    private nonisolated(unsafe) var context: UnsafeRawPointer?
    public typealias Body = @convention(c) (_ context: UnsafeRawPointer, _ chunk: Int) -> Void
    private nonisolated(unsafe) var generation = 0  // written only by the thread holding `busy`

    // MARK: what a hand-off costs on this machine, now

    /// How long a region of one empty chunk takes from its publication to
    /// its completion seen by the caller, as recently measured: two trips of
    /// a cache line each way between the cores (nil before the first
    /// measurement, which the 256th region makes).
    ///
    /// It is not a constant of the machine. On the virtual machine this book
    /// was measured on, the host moves the two virtual CPUs between physical
    /// cores every few seconds: sometimes onto cores that share a last-level
    /// cache, sometimes onto cores that do not, where every line that
    /// crosses takes several times longer. Work handed over every few
    /// microseconds — a decoding step's twenty matrix-vector products — pays
    /// that price each time, for the region's word and for every line of
    /// input and output that crosses between the cores.
    public var roundTripNanoseconds: Int? {
        let v = roundTrip.load(ordering: .relaxed)
        return v == 0 ? nil : v
    }

    /// Round trips up to this long count as cheap. Measured on the book's
    /// machine: 90–170 ns (up to ~300 between a decoder's products) with the
    /// cores close, 210–270 or 420–900 ns with them apart; the baby GPT's
    /// generation gained from splitting in the first case only, and lost
    /// 15–25% to it in the last.
    public static let cheapRoundTripNanoseconds = 400

    /// Whether regions of a few microseconds of work are worth splitting
    /// now: true while round trips are cheap (or not yet measured). While
    /// they are dear, false except for a burst of `probeBurst` calls every
    /// `probePeriod`: the burst wakes the helper (which takes tens of
    /// microseconds on a virtual machine), and its second half times round
    /// trips again once the helper spins, so that a return of the cores to
    /// each other is noticed within a few thousand calls. Any thread may
    /// ask; the count is approximate under races, which only shifts a probe.
    public var splitsSmallRegions: Bool {
        guard let t = roundTripNanoseconds, t > Self.cheapRoundTripNanoseconds else { return true }
        let n = probeCounter.add(1, ordering: .relaxed).newValue % Self.probePeriod
        if n >= Self.probeBurst / 2 && n < Self.probeBurst { timeRoundTripIfFree() }
        return n < Self.probeBurst
    }
    static let probePeriod = 1024
    static let probeBurst = 64
    /// Whether the helper is in its spinning loop (not asleep, not waking).
    private let spinning = Atomic<Bool>(false)
    /// A round trip is timed before every 256th region.
    static let calibrationMask = 255
    private let probeCounter = Atomic<Int>(0)
    private let roundTrip = Atomic<Int>(0)
    /// The last few round trips (written by the thread holding `busy`): the
    /// estimate is their minimum, since a round trip can only be inflated
    /// (the helper was in `sched_yield`, or finishing a chunk), never
    /// shortened.
    private nonisolated(unsafe) var trips = [Int](repeating: .max, count: 4)
    private nonisolated(unsafe) var nextTrip = 0

    /// Times one round trip now unless another thread holds the team.
    public func timeRoundTripIfFree() {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        timeRoundTrip()
        busy.store(false, ordering: .releasing)
    }

    /// One region of one empty chunk that the caller leaves to the helper;
    /// the time until the helper reports it done is recorded. Skipped unless
    /// the helper spins (a sleeping one would time its wake-up); if it does not come
    /// within 100 µs the caller takes the chunk back and records nothing.
    private func timeRoundTrip() {
        guard spinning.load(ordering: .relaxed) else { return }
        let start = DispatchTime.now().uptimeNanoseconds
        let g = publish({ _, _ in }, UnsafeRawPointer(bitPattern: 1)!, chunks: 1)
        var spins = 0, answered = true
        while completed.load(ordering: .acquiring) != 1 {
            spins += 1
            if spins & 255 == 0 && DispatchTime.now().uptimeNanoseconds - start > 100_000, claim(g) != nil {
                answered = false
                break
            }
        }
        let elapsed = Int(DispatchTime.now().uptimeNanoseconds - start)
        job = nil
        context = nil
        guard answered else { return }
        trips[nextTrip] = elapsed
        nextTrip = (nextTrip + 1) % trips.count
        roundTrip.store(max(1, trips.min()!), ordering: .relaxed)
    }

    /// Times round trips for `seconds` with the helper kept busy, and
    /// returns the estimate (for `backprop bench`: where the host had put
    /// the cores when a benchmark ran).
    public func measureRoundTrip(seconds: Double = 0.05) -> Int? {
        let end = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        while DispatchTime.now().uptimeNanoseconds < end {
            run(chunks: 2) { _ in
                let until = DispatchTime.now().uptimeNanoseconds + 2_000
                while DispatchTime.now().uptimeNanoseconds < until {}
            }
            timeRoundTripIfFree()
        }
        return roundTripNanoseconds
    }

    private init() {
        Self.created.store(true, ordering: .relaxed)
        let thread = Thread { [unowned self] in self.helperLoop() }
        thread.name = "backprop.spin-team"
        thread.start()
    }

    /// Runs body(context, 0) … body(context, chunks − 1), each exactly once,
    /// on the calling thread and the helper, and returns when all are done.
    /// `context` must stay valid until then (a pointer to the caller's
    /// arguments on its stack is the usual choice).
    /// - Precondition: 0 ≤ chunks < 2¹⁶.
    public func run(chunks: Int, context: UnsafeRawPointer, _ body: Body) {
        precondition(chunks >= 0 && chunks < 1 << 16, "SpinTeam: chunk count out of range")
        guard chunks > 1, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for c in 0..<chunks { body(context, c) }
            return
        }
        if generation & Self.calibrationMask == 0 { timeRoundTrip() }
        let g = publish(body, context, chunks: chunks)
        var mine = 0
        while let c = claim(g) {
            body(context, c)
            mine += 1
        }
        var waits = 0
        while completed.load(ordering: .acquiring) != chunks - mine {
            waits += 1
            if waits & 16383 == 0 { sched_yield() }  // the helper may share this core (see helperLoop)
        }
        job = nil
        self.context = nil
        busy.store(false, ordering: .releasing)
    }

    /// Publishes a region of `chunks` chunks (the caller holds `busy`) and
    /// wakes the helper if it sleeps; returns the region's generation.
    @inline(__always)
    private func publish(_ body: Body, _ context: UnsafeRawPointer, chunks: Int) -> Int {
        generation = (generation + 1) & 0x7FFF_FFFF
        let g = generation
        job = body
        self.context = context
        completed.store(0, ordering: .relaxed)
        state.store(g << 32 | chunks << 16, ordering: .sequentiallyConsistent)
        if sleeping.exchange(false, ordering: .sequentiallyConsistent) { wake.signal() }
        return g
    }

    /// The same with a Swift closure (simpler, for regions where an
    /// allocation and reference counting per region do not matter).
    public func run(chunks: Int, _ body: @escaping @Sendable (Int) -> Void) {
        final class Box { let body: @Sendable (Int) -> Void; init(_ b: @escaping @Sendable (Int) -> Void) { body = b } }
        let box = Box(body)
        withExtendedLifetime(box) {
            run(chunks: chunks, context: UnsafeRawPointer(Unmanaged.passUnretained(box).toOpaque())) { ctx, c in
                Unmanaged<Box>.fromOpaque(ctx).takeUnretainedValue().body(c)
            }
        }
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
        spinning.store(true, ordering: .relaxed)
        var seen = 0
        while true {
            var spins = 0, since = DispatchTime.now().uptimeNanoseconds
            while true {
                let g = state.load(ordering: .acquiring) >> 32
                if g != seen { seen = g; break }
                spins += 1
                // On a busy machine the scheduler may put the helper on the
                // caller's core; spinning there would hold the caller off the
                // core until the spin ends, so the helper offers the core
                // every few microseconds.
                if spins & 16383 == 0 { sched_yield() }
                if spins & 4095 != 0 || DispatchTime.now().uptimeNanoseconds - since < Self.spinNanoseconds { continue }
                // Nothing for a while: sleep until a caller publishes a region.
                spinning.store(false, ordering: .relaxed)
                sleeping.store(true, ordering: .sequentiallyConsistent)
                if state.load(ordering: .sequentiallyConsistent) >> 32 != seen {
                    // A region arrived meanwhile. If its caller already took
                    // the flag it will signal: consume that signal.
                    if !sleeping.exchange(false, ordering: .sequentiallyConsistent) { wake.wait() }
                } else {
                    wake.wait()
                }
                since = DispatchTime.now().uptimeNanoseconds
                spinning.store(true, ordering: .relaxed)
            }
            while let c = claim(seen) {
                job!(context!, c)
                completed.add(1, ordering: .releasing)
            }
        }
    }
}
