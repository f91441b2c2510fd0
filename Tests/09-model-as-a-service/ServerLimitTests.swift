// The server's limits over real sockets: malformed bytes, oversized header
// (431) and body (413, also chunked), slow clients (408), too many
// connections and a full queue (503). After each refusal the server still
// answers new connections.

import BackpropCore
import Foundation
import Testing
@testable import ModelAsAService

@Suite struct ServerLimitTests {
    /// Sends raw bytes on a fresh connection and reads the answer.
    func answer(_ port: Int, _ raw: [UInt8]) throws -> HTTPClientResponse {
        let client = try HTTPClient(port: port, timeout: 3)
        try client.send(raw: raw)
        return try client.readResponse()
    }

    @Test func malformedBytesOverARawSocket() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let cases: [(String, Int)] = [
            ("GARBAGE\r\n\r\n", 400), ("GET / HTTP/1.1\r\nHost a\r\n\r\n", 400), ("GET / HTTP/3\r\nHost: a\r\n\r\n", 505),
            ("POST /v1/predict HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", 400),
            ("\u{1}\u{2}\u{3}\r\n\r\n", 400),
        ]
        for (text, status) in cases {
            let response = try answer(port, Array(text.utf8))
            #expect(response.status == status, "\(text.debugDescription)")
            #expect(response.json?["error"] is String && response.header("Connection") == "close")
        }
        let binary = try answer(port, [0xC3, 0x28, 0xFF, 0x00, 13, 10, 13, 10])
        #expect(binary.status == 400)
        // Seeded random printable junk: always a 4xx/5xx answer, never a crash or a hang.
        var rng = SeededRandom(seed: 707)
        for _ in 0..<40 {
            let junk = (0..<rng.integer(below: 60)).map { _ in UInt8(32 + rng.integer(below: 95)) } + [13, 10, 13, 10]
            let response = try answer(port, junk)
            #expect([400, 505].contains(response.status), "\(String(decoding: junk, as: UTF8.self))")
        }
        #expect(try HTTPClient(port: port).get("/healthz").status == 200)
    }

    @Test func oversizedHeaderIs431AndBodyIs413() throws {
        let (server, port) = try startServer { $0.http.limits = HTTPLimits(maxHeaderBytes: 512, maxBodyBytes: 1000) }
        defer { server.stop() }
        let longHeader = "GET /healthz HTTP/1.1\r\nHost: a\r\nX-Long: " + String(repeating: "a", count: 2000) + "\r\n\r\n"
        let header = try answer(port, Array(longHeader.utf8))
        #expect(header.status == 431 && (header.json?["error"] as? String)?.contains("header exceeds 512 bytes") == true)
        #expect(header.header("Connection") == "close")
        // Refused on the declared length alone: the body is never sent.
        let bigBody = "POST /v1/predict HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n{\"inputs\": ["
        let body = try answer(port, Array(bigBody.utf8))
        #expect(body.status == 413 && (body.json?["error"] as? String)?.contains("exceeds the limit of 1000 bytes") == true)
        // Just under the limit is fine (and then a 400 for the wrong width, not a 413).
        let rows = (0..<12).map { _ in [Double](repeating: 1, count: 7) }
        #expect(predictBody(rows).utf8.count < 1000)
        #expect(try HTTPClient(port: port).post("/v1/predict", json: predictBody(rows)).status == 400)
    }

    @Test func chunkedRequestBodiesBeyondTheLimitAre413() throws {
        let (server, port) = try startServer { $0.http.limits = HTTPLimits(maxHeaderBytes: 512, maxBodyBytes: 1000) }
        defer { server.stop() }
        // Refused at the chunk-size line that passes the limit, before its data is sent.
        let text = "POST /v1/predict HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n" + String(repeating: " ", count: 512)
            + "\r\n3E9\r\n"
        let response = try answer(port, Array(text.utf8))
        #expect(response.status == 413 && (response.json?["error"] as? String)?.contains("limit of 1000 bytes") == true)
    }

    @Test func slowClientsGet408AndIdleConnectionsClose() throws {
        let (server, port) = try startServer { $0.http.readTimeout = 0.3 }
        defer { server.stop() }
        let slow = try HTTPClient(port: port, timeout: 3)
        try slow.send(raw: "POST /v1/predict HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n{\"inp")
        let start = Date()
        let response = try slow.readResponse()
        #expect(response.status == 408 && response.header("Connection") == "close")
        #expect(Date().timeIntervalSince(start) < 2)
        #expect(slow.serverClosed(within: 2))
        // A connection that sends nothing is closed without an answer.
        let idle = try HTTPClient(port: port, timeout: 3)
        #expect(idle.serverClosed(within: 2))
    }

    @Test func connectionsBeyondTheLimitGet503() throws {
        let (server, port) = try startServer {
            $0.http.maxConnections = 2
            $0.http.evictionGrace = 30
        }
        defer { server.stop() }
        // Two connections in the middle of a request: busy, so neither may be closed to make room.
        let a = try HTTPClient(port: port), b = try HTTPClient(port: port)
        for client in [a, b] { try client.send(raw: "GET /healthz HTTP/1.1\r\n") }
        Thread.sleep(forTimeInterval: 0.1)
        let c = try HTTPClient(port: port)
        let refused = try c.get("/healthz")
        #expect(refused.status == 503 && refused.header("Retry-After") == "1")
        #expect((refused.json?["error"] as? String)?.contains("limit of 2 open connections") == true)
        a.close()
        // Once a slot is free, new connections are served again (the server notices the close within ~50 ms).
        var status = 0
        for _ in 0..<40 where status != 200 {
            status = (try? HTTPClient(port: port).get("/healthz").status) ?? 0
            if status != 200 { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(status == 200)
        #expect(server.statistics.connectionsRejected >= 1)
    }

    @Test func aFullQueueAnswers503InsteadOfGrowing() throws {
        let slow = InstrumentedClassifier(try tinyClassifier(), delay: 0.5)
        let (server, port) = try startServer(classifier: slow) {
            $0.batching = DynamicBatcher.Policy(maxBatchRows: 1, maxWait: 0, maxQueuedRequests: 1, workers: 1)
        }
        defer { server.stop() }
        let rows = randomRows(4, seed: 708)
        let expected = try slow.inner.predict(rows)
        let responses = try concurrently(4) { i in try HTTPClient(port: port).post("/v1/predict", json: predictBody([rows[i]])) }
        let refused = responses.filter { $0.status == 503 }
        #expect(refused.count >= 1 && refused.count <= 3)
        #expect(refused.allSatisfy { $0.header("Retry-After") == "1" && ($0.json?["error"] as? String)?.contains("queue is full") == true })
        for (i, r) in responses.enumerated() where r.status != 503 {
            #expect(r.status == 200 && (r.json?["outputs"] as? [[String: Any]])?.first?["class"] as? Int == expected[i].class)
        }
    }

    @Test func busyGenerationSlotsAnswer503() throws {
        let (server, port) = try startServer(generator: ToyTextGenerator(tokenDelay: 0.02)) {
            $0.maxActiveGenerations = 1
            $0.maxWaitingGenerations = 0
        }
        defer { server.stop() }
        let responses = try concurrently(3) { _ in
            try HTTPClient(port: port).post("/v1/generate", json: #"{"prompt": "a", "max_tokens": 25, "seed": 1}"#)
        }
        #expect(responses.contains { $0.status == 200 })
        #expect(responses.contains { $0.status == 503 && ($0.json?["error"] as? String)?.contains("generation slots") == true })
    }
}
