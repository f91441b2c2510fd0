// SpinTeam: every chunk of every region runs exactly once, whether the
// helper takes part, arrives late, sleeps between regions, or the team is
// busy with another thread's region.

import Dispatch
import Foundation
import Synchronization
import Testing
@testable import BackpropCore

@Suite struct SpinTeamTests {
    /// Runs `regions` regions of `chunks` chunks and returns how many times
    /// each (region, chunk) ran.
    static func counts(regions: Int, chunks: Int, pauseEvery: Int = 0) -> [Int] {
        let team = SpinTeam.shared
        let hits = UnsafeMutableBufferPointer<Atomic<Int>>.allocate(capacity: regions * chunks)
        for i in 0..<hits.count { (hits.baseAddress! + i).initialize(to: Atomic(0)) }
        defer { hits.deallocate() }
        struct Hits: @unchecked Sendable { let p: UnsafeMutablePointer<Atomic<Int>> }
        let h = Hits(p: hits.baseAddress!)
        for r in 0..<regions {
            let body: @Sendable (Int) -> Void = { c in _ = h.p[r * chunks + c].add(1, ordering: .relaxed) }
            if let team { team.run(chunks: chunks, body) } else { for c in 0..<chunks { body(c) } }
            // long enough for the helper to fall asleep between some regions
            if pauseEvery > 0 && r % pauseEvery == 0 { usleep(200) }
        }
        return (0..<hits.count).map { hits[$0].load(ordering: .relaxed) }
    }

    @Test func everyChunkRunsExactlyOnce() {
        #expect(Self.counts(regions: 2000, chunks: 7).allSatisfy { $0 == 1 })
        #expect(Self.counts(regions: 500, chunks: 1).allSatisfy { $0 == 1 })
        #expect(Self.counts(regions: 50, chunks: 300).allSatisfy { $0 == 1 })
        #expect(Self.counts(regions: 10, chunks: 0).isEmpty)
    }

    @Test func chunksRunOnceAcrossSleepsOfTheHelper() {
        #expect(Self.counts(regions: 300, chunks: 5, pauseEvery: 3).allSatisfy { $0 == 1 })
    }

    /// Four threads share the one team: whoever does not get it runs its
    /// region alone, and every region still completes exactly once.
    @Test func concurrentCallersEachCompleteTheirRegions() {
        let results = Mutex<[[Int]]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let c = Self.counts(regions: 400, chunks: 6)
            results.withLock { $0.append(c) }
        }
        let all = results.withLock { $0 }
        #expect(all.count == 4)
        #expect(all.allSatisfy { $0.allSatisfy { $0 == 1 } })
    }

    /// The work really is shared when the machine lets the helper run: over
    /// regions of slow chunks, the helper runs some of them (regions are
    /// repeated for up to 5 s, so a busy machine that schedules the helper
    /// late does not fail the test).
    @Test(.enabled(if: SpinTeam.shared != nil)) func theHelperTakesPart() {
        let caller = pthread_self()
        let onHelper = Atomic<Int>(0)
        let start = Date()
        while onHelper.load(ordering: .relaxed) == 0 && Date().timeIntervalSince(start) < 5 {
            SpinTeam.shared!.run(chunks: 8) { _ in
                if pthread_equal(pthread_self(), caller) == 0 { onHelper.add(1, ordering: .relaxed) }
                var x = 0.0
                for i in 0..<20_000 { x += Double(i).squareRoot() }
                if x < 0 { print(x) }
            }
        }
        #expect(onHelper.load(ordering: .relaxed) > 0)
    }

    /// The core GEMM's split of a mid-size Float product over the team
    /// (`PackedGEMM.teamRun`, used when the helper is awake) gives exactly
    /// the one-thread result, in every layout, for column and row splits and
    /// shapes with partial panels.
    @Test(arguments: [MatmulLayout.nn, .tn, .nt])
    func gemmOnTheTeamIsBitIdentical(layout: MatmulLayout) throws {
        guard let team = SpinTeam.shared else { return }
        for (m, n, k) in [(32, 384, 128), (7, 53, 40), (100, 20, 33)] {
            var rng = SeededRandom(seed: UInt64(m * n + k))
            let a = (0..<(m * k)).map { _ in Float(rng.uniform(-1, 1)) }, b = (0..<(k * n)).map { _ in Float(rng.uniform(-1, 1)) }
            var one = [Float](repeating: 0, count: m * n), split = one
            let (lda, ldb) = (layout == .tn ? m : k, layout == .nt ? k : n)
            let serial = PackedGEMM.Serial<Float>(layout: layout, k: k, lda: lda, ldb: ldb, ldc: n, nr: 16, accumulate: false)
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    one.withUnsafeMutableBufferPointer { serial.run(m: m, n: n, pa.baseAddress!, pb.baseAddress!, $0.baseAddress!) }
                    split.withUnsafeMutableBufferPointer {
                        PackedGEMM.teamRun(team, serial, m: m, n: n, pa.baseAddress!, pb.baseAddress!, $0.baseAddress!,
                                           splitColumns: n > m)
                    }
                }
            }
            #expect(one == split, "\(layout) \(m)×\(n)×\(k)")
        }
    }
}

/// The team's measured round trip between the cores (what decides whether
/// a decoder's small products are split): measured at all, and of the
/// order of a cache line's trips, not of a thread's wake-up.
@Suite struct SpinTeamRoundTripTests {
    @Test(.enabled(if: SpinTeam.shared != nil)) func aRoundTripIsMeasured() throws {
        let team = try #require(SpinTeam.shared)
        var best = Int.max
        for _ in 0..<20 where best > 200_000 {   // a loaded machine may deschedule the helper now and then
            if let t = team.measureRoundTrip(seconds: 0.02) { best = min(best, t) }
        }
        #expect(best > 0 && best < 200_000, "round trip \(best) ns")
        // Whatever was measured, every chunk of a region still runs exactly once.
        let count = Atomic<Int>(0)
        team.run(chunks: 64) { _ in count.add(1, ordering: .relaxed) }
        #expect(count.load(ordering: .relaxed) == 64)
    }
}
