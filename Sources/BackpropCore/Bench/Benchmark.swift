// The benchmark harness behind `backprop bench`.
//
// Contract
// - Each kernel runs in both twins on the same inputs; we report GFLOP/s
//   (flops counted from the formula, e.g. 2·m·n·k for a matmul), the SIMD/naive
//   ratio, and the fraction of this CPU's FMA peak measured in the same run
//   (Peak.swift), so figures from different machines can be compared.
// - Timing: one warm-up call, then repeated calls until `minSeconds` has
//   passed; the best (smallest) time per call is kept, since noise only ever
//   adds time.
// - Build with `-c release`: debug builds run SIMD code ~100× slower.

import Dispatch
import Foundation

/// One line of benchmark output.
public struct BenchRow: Sendable {
    public var kernel: String
    public var shape: String
    public var variant: String
    public var gflops: Double?
    public var msPerStep: Double?
    public var vsNaive: Double?
    public var vsPeak: Double?
    /// Training throughput for word2vec (tokens per second), when it applies.
    public var wordsPerSecond: Double?
    /// Generation throughput (tokens per second), when it applies.
    public var tokensPerSecond: Double?
    /// The reference row (kernel, shape) of `bench --compare` this row is
    /// held to, when it is not its own: the engine's steps are compared with
    /// PyTorch's step of the same model (its autograd does the engine's job).
    public var comparedWith: (kernel: String, shape: String)?

    public init(kernel: String, shape: String, variant: String, gflops: Double? = nil,
                msPerStep: Double? = nil, vsNaive: Double? = nil, vsPeak: Double? = nil,
                wordsPerSecond: Double? = nil, tokensPerSecond: Double? = nil) {
        self.kernel = kernel; self.shape = shape; self.variant = variant
        self.gflops = gflops; self.msPerStep = msPerStep; self.vsNaive = vsNaive; self.vsPeak = vsPeak
        self.wordsPerSecond = wordsPerSecond; self.tokensPerSecond = tokensPerSecond
    }

    /// `{"kernel":…,"shape":…,"variant":…,"gflops":…,"vs_naive":…,"vs_peak":…}`
    public var json: String {
        func r(_ x: Double, _ digits: Double = 1000) -> JSONValue { .number((x * digits).rounded() / digits) }
        var fields: [(String, JSONValue)] = [
            ("kernel", .string(kernel)), ("shape", .string(shape)), ("variant", .string(variant)),
        ]
        if let g = gflops { fields.append(("gflops", r(g))) }
        if let ms = msPerStep { fields.append(("ms_per_step", r(ms))) }
        if let v = vsNaive { fields.append(("vs_naive", r(v))) }
        if let p = vsPeak { fields.append(("vs_peak", r(p, 10000))) }
        if let w = wordsPerSecond { fields.append(("words_per_second", .number(w.rounded()))) }
        if let t = tokensPerSecond { fields.append(("tokens_per_second", .number(t.rounded()))) }
        return JSONValue.object(fields).rendered
    }
}

/// Timing helpers.
public enum Benchmark {
    /// The best wall-clock seconds per call of `body` over repeated runs
    /// lasting at least `minSeconds` (and at least `minRuns` runs).
    /// A first call that alone takes longer than `minSeconds` (a naive
    /// 1024³ matmul) is timed once and not repeated: its warm-up costs are
    /// negligible next to its length.
    public static func bestTime(minSeconds: Double = 0.5, minRuns: Int = 3, _ body: () -> Void) -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()  // warm-up: caches, page faults, thread pool start-up
        let first = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        if first > max(minSeconds, 1) { return first }
        var best = Double.infinity
        var bestRoundTrip: Int?
        var runs = 0
        let start = DispatchTime.now().uptimeNanoseconds
        repeat {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            let t1 = DispatchTime.now().uptimeNanoseconds
            if Double(t1 - t0) / 1e9 < best {
                best = Double(t1 - t0) / 1e9
                bestRoundTrip = SpinTeam.shared?.roundTripNanoseconds
            }
            runs += 1
        } while runs < minRuns || Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < minSeconds
        if let bestRoundTrip { bestRunRoundTrips.update { $0.append(bestRoundTrip) } }
        return best
    }

    /// The spin team's latest round trip between the cores (its own
    /// estimate, refreshed every 256 regions; SpinTeam.roundTripNanoseconds)
    /// when each `bestTime` took its best run, in order: where the host had
    /// put the two cores while the reported time was measured, which a
    /// probe before and after a benchmark of several seconds can miss
    /// (`backprop bench` reports it as `core_round_trip` "best runs").
    public static let bestRunRoundTrips = LockedValue<[Int]>([])

    /// `bestRunRoundTrips` so far, and the record emptied.
    public static func takeBestRunRoundTrips() -> [Int] {
        bestRunRoundTrips.update { trips in defer { trips.removeAll() }; return trips }
    }

    /// `bestTime` for a body that can throw: the first error stops the runs
    /// and is rethrown (a benchmark of a failing step has no time).
    public static func bestTime(minSeconds: Double = 0.5, minRuns: Int = 3, throwing body: () throws -> Void) throws -> Double {
        var failure: Error?
        let seconds = bestTime(minSeconds: minSeconds, minRuns: minRuns) {
            guard failure == nil else { return }
            do { try body() } catch { failure = error }
        }
        if let failure { throw failure }
        return seconds
    }
}

