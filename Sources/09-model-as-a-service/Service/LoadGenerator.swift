// LoadGenerator: closed-loop load for `backprop bench serve`. `concurrency`
// client threads each hold one keep-alive connection and send their next
// request as soon as the previous answer arrives, for `seconds`; every
// latency is recorded and every answer checked.
//
//   throughput = answered requests / elapsed seconds
//   p50, p99   = the 50th and 99th percentile of the per-request latencies
//
// Clients run in the same process as the server and share its CPU cores,
// so absolute numbers are lower than with a separate load machine; the
// comparisons (batched against unbatched, concurrency 1 against 64) are fair.

import BackpropCore
import Foundation

public struct LoadResult: Sendable {
    public var requests: Int
    public var errors: Int
    public var seconds: Double
    /// Sorted latencies in seconds.
    public var latencies: [Double]

    public var requestsPerSecond: Double { Double(requests) / max(seconds, 1e-9) }

    /// The q-quantile of the latencies in milliseconds (nearest rank).
    public func percentileMs(_ q: Double) -> Double {
        guard !latencies.isEmpty else { return .nan }
        let rank = Int((q * Double(latencies.count)).rounded(.up)) - 1
        return latencies[min(max(rank, 0), latencies.count - 1)] * 1000
    }
}

public enum LoadGenerator {
    /// Runs the load. `send(client, i)` sends request number i of its thread
    /// and returns whether the answer was right; an answer that takes more
    /// than `timeout` seconds counts as an error.
    public static func run(port: Int, concurrency: Int, seconds: Double, timeout: Double = 10,
                           send: @escaping @Sendable (HTTPClient, Int) throws -> Bool) -> LoadResult {
        let results = LockedValue<[(latencies: [Double], errors: Int)]>([])
        let group = DispatchGroup()
        let start = DispatchTime.now().uptimeNanoseconds
        let end = start + UInt64(seconds * 1e9)
        for t in 0..<concurrency {
            group.enter()
            let thread = Thread {
                var latencies: [Double] = []
                var errors = 0
                var client: HTTPClient?
                var i = t
                while DispatchTime.now().uptimeNanoseconds < end {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    do {
                        if client == nil { client = try HTTPClient(port: port, timeout: timeout) }
                        if try send(client!, i) {
                            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                        } else {
                            errors += 1
                        }
                    } catch {
                        errors += 1
                        client = nil
                        Thread.sleep(forTimeInterval: 0.001)
                    }
                    i += concurrency
                }
                results.update { $0.append((latencies, errors)) }
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let all = results.get()
        return LoadResult(requests: all.reduce(0) { $0 + $1.latencies.count }, errors: all.reduce(0) { $0 + $1.errors },
                          seconds: elapsed, latencies: all.flatMap(\.latencies).sorted())
    }
}
