// ServiceMetrics: what `GET /metrics` reports, in Prometheus's text
// exposition format (version 0.0.4): one `# HELP` and `# TYPE` line per
// metric, then `name{label="value",…} number` lines; a histogram is
// cumulative `_bucket{le="…"}` counts ending at le="+Inf", with `_sum` and `_count`.
//
//   backprop_http_requests_total{route,method,status}      counter
//   backprop_http_request_duration_seconds{route}          histogram  (request read → last byte written)
//   backprop_queue_depth{queue="predict"|"generate"}       gauge      (waiting for a batch / a generation slot)
//   backprop_active_generations                            gauge      (generation slots held)
//   backprop_open_connections                              gauge
//   backprop_generated_tokens_total                        counter
//   backprop_time_to_first_token_seconds                   histogram  (request read → first token drawn)
//
// Routes are the server's own paths; anything else is "other" and requests
// the parser refused are "invalid", so a scan of random paths cannot grow
// the label set without bound.
//
// AccessLog writes one JSON object per request, on one line, with a single
// write(2) (lines from concurrent connections never interleave):
//   {"time":"2026-12-05T02:25:11.123Z","peer":"127.0.0.1:51234","method":"POST","target":"/v1/predict",
//    "version":"HTTP/1.1","status":200,"bytes":143,"ms":1.27,"completed":true}

import BackpropCore
import Foundation
import Glibc

public final class ServiceMetrics: @unchecked Sendable {
    /// Upper bounds (seconds) of the latency and time-to-first-token buckets.
    public static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    struct Histogram {
        var counts = [Int](repeating: 0, count: ServiceMetrics.buckets.count)
        var sum = 0.0
        var count = 0

        mutating func observe(_ x: Double) {
            if let i = ServiceMetrics.buckets.firstIndex(where: { x <= $0 }) { counts[i] += 1 }
            sum += x
            count += 1
        }
    }

    private let lock = NSLock()
    private var requests: [String: Int] = [:]          // "route\u{0}method\u{0}status"
    private var latency: [String: Histogram] = [:]     // by route
    private var firstToken = Histogram()
    private var tokens = 0
    let routes: Set<String>

    public init(routes: [String]) { self.routes = Set(routes) }

    /// The route label for a request target.
    func route(method: String, target: String) -> String {
        if method == "-" { return "invalid" }
        let path = String(target.prefix { $0 != "?" })
        return routes.contains(path) ? path : "other"
    }

    public func record(_ exchange: HTTPExchange) {
        let route = route(method: exchange.method, target: exchange.target)
        lock.withLock {
            requests["\(route)\u{0}\(exchange.method)\u{0}\(exchange.status)", default: 0] += 1
            latency[route, default: Histogram()].observe(exchange.seconds)
        }
    }

    /// One token drawn; the first of a request also times the wait for it.
    public func tokenGenerated(first: Bool, receivedAt: UInt64) {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.withLock {
            tokens += 1
            if first && receivedAt > 0 && now >= receivedAt { firstToken.observe(Double(now - receivedAt) / 1e9) }
        }
    }

    public var tokensGenerated: Int { lock.withLock { tokens } }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }

    static func histogramLines(_ name: String, labels: String, _ h: Histogram) -> [String] {
        var lines: [String] = []
        var cumulative = 0
        let prefix = labels.isEmpty ? "" : labels + ","
        for (bound, n) in zip(buckets, h.counts) {
            cumulative += n
            lines.append("\(name)_bucket{\(prefix)le=\"\(bound)\"} \(cumulative)")
        }
        lines.append("\(name)_bucket{\(prefix)le=\"+Inf\"} \(h.count)")
        let braces = labels.isEmpty ? "" : "{\(labels)}"
        lines.append("\(name)_sum\(braces) \(h.sum)")
        lines.append("\(name)_count\(braces) \(h.count)")
        return lines
    }

    /// The exposition text, with the gauges read now.
    public func render(predictQueue: Int, generateQueue: Int, activeGenerations: Int, openConnections: Int) -> String {
        let (requests, latency, firstToken, tokens) = lock.withLock { (self.requests, self.latency, self.firstToken, self.tokens) }
        var lines: [String] = []
        func header(_ name: String, _ type: String, _ help: String) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
        }
        header("backprop_http_requests_total", "counter", "HTTP requests answered, by route, method and status.")
        for key in requests.keys.sorted() {
            let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
            lines.append("backprop_http_requests_total{route=\"\(Self.escape(parts[0]))\",method=\"\(Self.escape(parts[1]))\","
                + "status=\"\(parts[2])\"} \(requests[key]!)")
        }
        header("backprop_http_request_duration_seconds", "histogram", "Seconds from a request read to its last response byte, by route.")
        for route in latency.keys.sorted() {
            lines += Self.histogramLines("backprop_http_request_duration_seconds", labels: "route=\"\(Self.escape(route))\"", latency[route]!)
        }
        header("backprop_queue_depth", "gauge", "Requests waiting: for a predict batch, or for a generation slot.")
        lines.append("backprop_queue_depth{queue=\"predict\"} \(predictQueue)")
        lines.append("backprop_queue_depth{queue=\"generate\"} \(generateQueue)")
        header("backprop_active_generations", "gauge", "Generations running now (slots held).")
        lines.append("backprop_active_generations \(activeGenerations)")
        header("backprop_open_connections", "gauge", "Client connections open now.")
        lines.append("backprop_open_connections \(openConnections)")
        header("backprop_generated_tokens_total", "counter", "Tokens generated, all text routes.")
        lines.append("backprop_generated_tokens_total \(tokens)")
        header("backprop_time_to_first_token_seconds", "histogram", "Seconds from a generation request read to its first token.")
        lines += Self.histogramLines("backprop_time_to_first_token_seconds", labels: "", firstToken)
        return lines.joined(separator: "\n") + "\n"
    }
}

/// One JSON line per request, to a file descriptor (stderr, or a file opened for appending).
public final class AccessLog: @unchecked Sendable {
    let fd: Int32
    let owns: Bool

    /// "-" is standard error; anything else a file, created or appended to.
    public init(path: String) throws {
        if path == "-" {
            fd = 2
            owns = false
        } else {
            fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw SocketError("opening access log \(path)") }
            owns = true
        }
    }

    deinit { if owns { close(fd) } }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// The line for one exchange (without the newline).
    public static func line(_ e: HTTPExchange, at date: Date = Date()) -> String {
        JSONValue.object([
            ("time", .string(timestamp(date))), ("peer", .string(e.peer)), ("method", .string(e.method)), ("target", .string(e.target)),
            ("version", .string("HTTP/1.\(e.minorVersion)")), ("status", .integer(e.status)), ("bytes", .integer(e.bodyBytes)),
            ("ms", .number((e.seconds * 1e5).rounded() / 100)), ("completed", .bool(e.completed)),
        ]).rendered
    }

    public func write(_ exchange: HTTPExchange) {
        let bytes = Array((Self.line(exchange) + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }
}
