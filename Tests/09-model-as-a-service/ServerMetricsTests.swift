// Observability (issue 20): GET /metrics in Prometheus's text format, parsed
// here line by line, and one JSON access-log line per request.

import Foundation
import Testing
@testable import ModelAsAService

@Suite struct ServerMetricsTests {
    /// Samples of an exposition text: (name, labels, value); every sample's
    /// metric family must have been announced by # HELP and # TYPE.
    func parseExposition(_ text: String) throws -> [(name: String, labels: [String: String], value: Double)] {
        var typed: Set<String> = [], helped: Set<String> = []
        var samples: [(String, [String: String], Double)] = []
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# HELP ") { helped.insert(String(line.dropFirst(7).prefix { $0 != " " })); continue }
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                #expect(parts.count == 2 && ["counter", "gauge", "histogram"].contains(String(parts[1])), "\(line)")
                typed.insert(String(parts[0]))
                continue
            }
            let nameEnd = line.firstIndex { $0 == "{" || $0 == " " }!
            let name = String(line[..<nameEnd])
            #expect(name.range(of: "^[a-zA-Z_:][a-zA-Z0-9_:]*$", options: .regularExpression) != nil, "\(line)")
            var labels: [String: String] = [:]
            var rest = line[nameEnd...]
            if rest.first == "{" {
                let close = try #require(rest.firstIndex(of: "}"))
                for pair in rest[rest.index(after: rest.startIndex)..<close].split(separator: ",") {
                    let kv = pair.split(separator: "=", maxSplits: 1)
                    #expect(kv.count == 2 && kv[1].hasPrefix("\"") && kv[1].hasSuffix("\""), "\(line)")
                    labels[String(kv[0])] = String(kv[1].dropFirst().dropLast())
                }
                rest = rest[rest.index(after: close)...]
            }
            let value = try #require(Double(rest.trimmingCharacters(in: .whitespaces)), "\(line)")
            let family = ["_bucket", "_sum", "_count"].reduce(name) { typed.contains($0) ? $0 : ($0.hasSuffix($1) ? String($0.dropLast($1.count)) : $0) }
            #expect(typed.contains(family) && helped.contains(family), "\(name) has no # TYPE / # HELP")
            samples.append((name, labels, value))
        }
        return samples
    }

    @Test func metricsCountRequestsLatencyTokensAndQueues() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        for _ in 0..<3 { #expect(try client.post("/v1/predict", json: predictBody(randomRows(1, seed: 5))).status == 200) }
        #expect(try client.get("/no/such/path?x=1").status == 404)
        #expect(try client.post("/v1/generate", json: #"{"prompt": "a", "max_tokens": 5, "seed": 1}"#).status == 200)
        #expect(try client.post("/v1/completions", json: #"{"model": "toy-bigram", "prompt": "a", "max_tokens": 4, "stream": true}"#).status == 200)
        let response = try client.get("/metrics")
        #expect(response.status == 200 && response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        let samples = try parseExposition(response.text)
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { $0.name == name && $0.labels == labels }?.value
        }
        #expect(value("backprop_http_requests_total", ["route": "/v1/predict", "method": "POST", "status": "200"]) == 3)
        #expect(value("backprop_http_requests_total", ["route": "other", "method": "GET", "status": "404"]) == 1)
        #expect(value("backprop_http_requests_total", ["route": "/v1/completions", "method": "POST", "status": "200"]) == 1)
        #expect(value("backprop_generated_tokens_total") == 9)
        #expect(value("backprop_time_to_first_token_seconds_count") == 2)
        #expect(value("backprop_active_generations") == 0 && value("backprop_queue_depth", ["queue": "predict"]) == 0)
        #expect(value("backprop_queue_depth", ["queue": "generate"]) == 0 && value("backprop_open_connections") == 1)
        // Histogram buckets are cumulative and end at the count.
        let buckets = samples.filter { $0.name == "backprop_http_request_duration_seconds_bucket" && $0.labels["route"] == "/v1/predict" }
        #expect(buckets.count == ServiceMetrics.buckets.count + 1 && buckets.last?.labels["le"] == "+Inf")
        #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0.value <= $1.value } && buckets.last?.value == 3)
        #expect(value("backprop_http_request_duration_seconds_count", ["route": "/v1/predict"]) == 3)
        #expect((value("backprop_http_request_duration_seconds_sum", ["route": "/v1/predict"]) ?? -1) > 0)
    }

    @Test func activeGenerationsAndTheQueueShowWhileBusy() throws {
        let (server, port) = try startServer(generator: ToyTextGenerator(tokenDelay: 0.02)) {
            $0.maxActiveGenerations = 1
            $0.maxWaitingGenerations = 4
        }
        defer { server.stop() }
        let busy = Thread {
            _ = try? concurrently(2) { _ in try HTTPClient(port: port).post("/v1/generate", json: #"{"prompt": "a", "max_tokens": 25}"#) }
        }
        busy.start()
        var seen = (active: 0.0, waiting: 0.0)
        let until = Date().addingTimeInterval(2)
        while Date() < until && (seen.active < 1 || seen.waiting < 1) {
            let samples = try parseExposition(try HTTPClient(port: port).get("/metrics").text)
            seen.active = max(seen.active, samples.first { $0.name == "backprop_active_generations" }?.value ?? 0)
            seen.waiting = max(seen.waiting, samples.first { $0.name == "backprop_queue_depth" && $0.labels["queue"] == "generate" }?.value ?? 0)
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(seen.active == 1 && seen.waiting == 1)
    }

    @Test func oneAccessLogLinePerRequest() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try AccessLog(path: path)
        let (server, port) = try startServer { $0.accessLog = log }
        let client = try HTTPClient(port: port)
        #expect(try client.get("/healthz").status == 200)
        #expect(try client.post("/v1/predict", json: "[1,]").status == 400)
        try client.send(raw: "BAD\r\n\r\n")
        _ = try client.readResponse()
        server.stop()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        let entries = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        #expect(entries.count == 3)
        #expect(entries.map { $0["status"] as? Int } == [200, 400, 400])
        #expect(entries[0]["method"] as? String == "GET" && entries[0]["target"] as? String == "/healthz")
        #expect(entries[0]["version"] as? String == "HTTP/1.1" && (entries[0]["peer"] as? String)?.hasPrefix("127.0.0.1:") == true)
        #expect(entries.allSatisfy { $0["ms"] is Double || $0["ms"] is Int } && entries[2]["method"] as? String == "-")
        #expect((entries[0]["bytes"] as? Int ?? 0) > 0 && entries[0]["completed"] as? Bool == true)
        #expect((entries[0]["time"] as? String)?.hasSuffix("Z") == true)
    }
}
