// ParallelFor: every iteration runs exactly once and the call returns only
// after all have run, whether the spin team's helper takes part, the team
// is busy with another thread's region, or a region is opened inside a
// region (the inner one then runs on its caller alone).

import Dispatch
import Synchronization
import Testing
@testable import BackpropCore

@Suite struct ParallelForTests {
    /// How many times each of `n` iterations ran in one `ParallelFor.run`.
    static func counts(_ n: Int) -> [Int] {
        let hits = UnsafeMutableBufferPointer<Atomic<Int>>.allocate(capacity: max(n, 1))
        for i in 0..<hits.count { (hits.baseAddress! + i).initialize(to: Atomic(0)) }
        defer { hits.deallocate() }
        ParallelFor.run(iterations: n) { i in _ = hits[i].add(1, ordering: .relaxed) }
        return (0..<n).map { hits[$0].load(ordering: .relaxed) }
    }

    @Test func everyIterationRunsOnce() {
        for n in [0, 1, 2, 3, 7, 300] {
            #expect(Self.counts(n).allSatisfy { $0 == 1 }, "n = \(n)")
        }
    }

    @Test func nestedRegionsAndConcurrentCallersComplete() {
        let total = Atomic<Int>(0)
        ParallelFor.run(iterations: 4) { _ in
            ParallelFor.run(iterations: 5) { _ in total.add(1, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 20)
        let fromThreads = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            for _ in 0..<50 {
                ParallelFor.run(iterations: 3) { _ in fromThreads.add(1, ordering: .relaxed) }
            }
        }
        #expect(fromThreads.load(ordering: .relaxed) == 6 * 50 * 3)
    }

    @Test func chunksCoverTheRowsOnceInOrder() {
        for (rows, chunks) in [(10, 2), (7, 3), (1, 4), (100, 1), (5, 5)] {
            let seen = UnsafeMutableBufferPointer<Atomic<Int>>.allocate(capacity: rows)
            for i in 0..<rows { (seen.baseAddress! + i).initialize(to: Atomic(0)) }
            defer { seen.deallocate() }
            ParallelFor.forEachChunk(rows: rows, chunks: chunks) { k, lo, hi in
                #expect(lo == (chunks <= 1 || rows < 2 ? 0 : k * rows / chunks))
                for r in lo..<hi { _ = seen[r].add(1, ordering: .relaxed) }
            }
            #expect((0..<rows).allSatisfy { seen[$0].load(ordering: .relaxed) == 1 }, "rows \(rows), chunks \(chunks)")
        }
    }
}
