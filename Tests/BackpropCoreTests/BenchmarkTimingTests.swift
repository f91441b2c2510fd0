// Benchmark.bestTime: the warm-up run and at least `minRuns` timed runs; the
// throwing form stops at the first error and rethrows it.

import Testing
@testable import BackpropCore

@Suite struct BenchmarkTimingTests {
    struct Boom: Error, Equatable {}

    @Test func runsTheWarmUpAndTheMinimumRuns() {
        var calls = 0
        let seconds = Benchmark.bestTime(minSeconds: 0, minRuns: 4) { calls += 1 }
        #expect(calls == 5 && seconds >= 0)
    }

    @Test func aThrowingBodyIsRethrownAndStopsTheRuns() throws {
        var calls = 0
        #expect(throws: Boom()) {
            _ = try Benchmark.bestTime(minSeconds: 0, minRuns: 6, throwing: { calls += 1; if calls == 2 { throw Boom() } })
        }
        #expect(calls == 2, "no run after the failing one")
        var fine = 0
        _ = try Benchmark.bestTime(minSeconds: 0, minRuns: 3, throwing: { fine += 1 })
        #expect(fine == 4)
    }

    @Test(.enabled(if: SpinTeam.shared != nil)) func theBestRunsPlacementIsRecorded() throws {
        let team = try #require(SpinTeam.shared)
        _ = team.measureRoundTrip(seconds: 0.01)
        let measured = try #require(team.roundTripNanoseconds)
        _ = Benchmark.takeBestRunRoundTrips()
        _ = Benchmark.bestTime(minSeconds: 0, minRuns: 2) {}
        let trips = Benchmark.takeBestRunRoundTrips()
        #expect(!trips.isEmpty && trips.allSatisfy { $0 > 0 }, "\(trips), measured \(measured) ns")
    }
}
