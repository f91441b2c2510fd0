// IdleConnectionBenchmark: the `bench serve` rows for mostly idle
// connections (the event loop's reason to exist):
// - predict throughput and p99 for 8 busy closed-loop clients while the
//   server holds 64, then 1,024, open connections in all (the rest idle
//   keep-alive connections that made one request each), kernel
//   "serve_predict_idle";
// - the process's resident memory and threads holding 1,024 idle
//   connections, against the same server with none, kernel "serve_idle_memory".
// The idle clients are bare sockets in this process (no threads, a few
// bytes each), so the differences are the server's.

import BackpropCore
import Foundation

extension ServingBenchmark {
    /// Resident memory (MB) and threads of this process, from /proc/self/status (nil where there is none).
    static func processFootprint() -> (rssMB: Double, threads: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        var rss: Double?, threads: Int?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            if parts[0] == "VmRSS" { rss = Double(value.split(separator: " ")[0]).map { $0 / 1024 } }
            if parts[0] == "Threads" { threads = Int(value) }
        }
        guard let rss, let threads else { return nil }
        return (rss, threads)
    }

    /// Opens `count` keep-alive connections that each make one request and then stay idle.
    static func openIdle(_ count: Int, port: Int) throws -> [Int32] {
        let request = Array("GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n".utf8)
        var sockets: [Int32] = []
        for _ in 0..<count {
            let fd = try Socket.connect(host: "127.0.0.1", port: port)
            try Socket.sendAll(fd, request)
            sockets.append(fd)
        }
        for fd in sockets {  // read each answer, so every connection is idle again
            var answer: [UInt8] = []
            while !answer.contains(10), Socket.waitReadable(fd, seconds: 5), Socket.receive(fd, into: &answer) > 0 {}
        }
        return sockets
    }

    /// The predict rows at 64 and 1,024 open connections, and the memory row.
    public static func idleConnections(quick: Bool, digits: DemoModels.Digits, busy: Int = 8) throws -> [ServingBenchRow] {
        let workload = try PredictWorkload(digits)
        var configuration = ModelServerConfiguration()
        configuration.http.maxConnections = 2048
        configuration.http.timeouts.idle = 120  // the idle clients must stay connected through the run
        let server = ModelServer(classifier: digits.classifier, configuration: configuration)
        let port = try server.start()
        defer { server.stop() }
        _ = LoadGenerator.run(port: port, concurrency: busy, seconds: 0.2) { try workload.send($0, $1) }  // warm-up
        Thread.sleep(forTimeInterval: 0.2)
        let empty = processFootprint()
        var rows: [ServingBenchRow] = []
        var idle: [Int32] = []
        defer { idle.forEach(Socket.close) }
        for total in [64, 1024] {
            idle += try openIdle(total - busy - idle.count, port: port)
            if total == 1024, let empty, let held = processFootprint() {
                var row = ServingBenchRow(kernel: "serve_idle_memory", shape: "\(idle.count) idle keep-alive connections",
                                          variant: "event loop", concurrency: 0, load: LoadResult(requests: 0, errors: 0, seconds: 0, latencies: []))
                row.extra = [("rss_mb", .number((held.rssMB * 10).rounded() / 10)),
                             ("rss_mb_without", .number((empty.rssMB * 10).rounded() / 10)),
                             ("threads", .integer(held.threads)), ("threads_without", .integer(empty.threads))]
                rows.append(row)
            }
            let load = (0..<repeats(quick: quick)).map { _ in
                LoadGenerator.run(port: port, concurrency: busy, seconds: seconds(quick: quick)) { try workload.send($0, $1) }
            }.max { $0.requestsPerSecond < $1.requestsPerSecond }!
            rows.insert(ServingBenchRow(kernel: "serve_predict_idle", shape: "digits MLP \(digits.architecture), 1 row/request",
                                        variant: "\(total) connections, \(total - busy) idle", concurrency: busy, load: load),
                        at: rows.filter { $0.kernel == "serve_predict_idle" }.count)
        }
        return rows
    }
}
