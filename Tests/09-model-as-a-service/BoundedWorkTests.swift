// Bounded, cancellable work (issue 20, defect 1), on loopback: a prompt over
// the limit is refused at once (413, or OpenAI's 400 context_length_exceeded)
// instead of occupying a generation slot; generations whose clients leave,
// running or queued, stop instead of costing their full CPU; and a request
// that waits too long for a slot is a 503 with Retry-After.

import BackpropCore
import Foundation
import RecurrentNetworks
import Testing
@testable import ModelAsAService

/// The toy generator, counting every token made (by all requests).
struct CountingGenerator: TextGenerating {
    let inner: ToyTextGenerator
    let tokens = LockedValue(0)

    init(tokenDelay: Double) { inner = ToyTextGenerator(tokenDelay: tokenDelay) }

    var info: ModelInfo { inner.info }
    func validate(prompt: String) throws { try inner.validate(prompt: prompt) }

    func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                  onToken: (String) throws -> Void) throws -> String {
        try inner.generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling, rng: &rng) { token in
            tokens.update { $0 += 1 }
            try onToken(token)
        }
    }
}

@Suite struct BoundedWorkTests {
    @Test func aHugePromptIsRefusedAtOnce() throws {
        let (server, port) = try startServer { $0.maxPromptTokens = 100 }
        defer { server.stop() }
        let huge = String(repeating: "a", count: 1_000_000)
        let start = Date()
        let bytes = try HTTPClient(port: port).post("/v1/generate", json: #"{"prompt": "\#(huge)", "max_tokens": 5}"#)
        #expect(bytes.status == 413 && (bytes.json?["error"] as? String)?.contains("limit is 32768 bytes") == true, "\(bytes.text.prefix(200))")
        // Read without a cap, this prompt took 97 s and 7 GB (issue 20); refused at the head it takes well
        // under a second. The bound leaves room for a debug build on a loaded machine (2.2 s was seen at load 30).
        #expect(Date().timeIntervalSince(start) < 15)
        let tokens = try HTTPClient(port: port).post("/v1/generate", json: #"{"prompt": "\#(String(repeating: "ab", count: 60))"}"#)
        #expect(tokens.status == 413 && (tokens.json?["error"] as? String)?.contains("is 100 tokens") == true)
        let openAI = try HTTPClient(port: port).post("/v1/completions", json: #"{"model": "toy-bigram", "prompt": "\#(huge)"}"#)
        let error = openAI.json?["error"] as? [String: Any]
        #expect(openAI.status == 400 && error?["code"] as? String == "context_length_exceeded")
        #expect(try HTTPClient(port: port).post("/v1/generate", json: #"{"prompt": "ab", "max_tokens": 3}"#).status == 200)
    }

    @Test func generationsStopWhenTheirClientsLeave() throws {
        let generator = CountingGenerator(tokenDelay: 0.005)
        let (server, port) = try startServer(generator: generator) {
            $0.maxActiveGenerations = 1
            $0.maxWaitingGenerations = 8
        }
        defer { server.stop() }
        // One running and three queued non-streamed generations of 400 tokens (2 s each), one streamed; all abandoned.
        var clients = try (0..<4).map { _ in try HTTPClient(port: port) }
        for client in clients { try client.send(raw: generateRequest(stream: false)) }
        let streamed = try HTTPClient(port: port)
        try streamed.send(raw: generateRequest(stream: true))
        clients.append(streamed)
        Thread.sleep(forTimeInterval: 0.2)
        for client in clients { client.close() }
        for _ in 0..<100 where server.generations.occupancy != (0, 0) { Thread.sleep(forTimeInterval: 0.02) }
        #expect(server.generations.occupancy == (0, 0))
        let made = generator.tokens.get()
        Thread.sleep(forTimeInterval: 0.1)
        #expect(generator.tokens.get() == made && made < 150, "\(made) tokens made for clients that left (all of them: 2,000)")
        #expect(try HTTPClient(port: port).post("/v1/generate", json: #"{"prompt": "a", "max_tokens": 2}"#).status == 200)
    }

    @Test func aRequestThatWaitsTooLongIs503() throws {
        let (server, port) = try startServer(generator: ToyTextGenerator(tokenDelay: 0.01)) {
            $0.maxActiveGenerations = 1
            $0.http.queueTimeout = 0.2
        }
        defer { server.stop() }
        let busy = try HTTPClient(port: port)
        try busy.send(raw: generateRequest(stream: false, tokens: 60))
        Thread.sleep(forTimeInterval: 0.05)
        let start = Date()
        let late = try HTTPClient(port: port).post("/v1/generate", json: #"{"prompt": "a", "max_tokens": 2}"#)
        #expect(late.status == 503 && late.header("Retry-After") == "1", "\(late.status) \(late.text)")
        #expect((late.json?["error"] as? String)?.contains("queue timeout") == true)
        #expect(Date().timeIntervalSince(start) < 0.55)
        #expect(try busy.readResponse().status == 200)
    }

    func generateRequest(stream: Bool, tokens: Int = 400) -> String {
        let body = #"{"prompt": "a", "max_tokens": \#(tokens), "seed": 1, "stream": \#(stream)}"#
        return "POST /v1/generate HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }
}

@Suite struct ConnectionTimerTests {
    let timeouts = ConnectionTimeouts(idle: 5, head: 10, body: 20, linger: 0.5)

    func run(_ events: [(ConnectionEvent, Double)]) -> [(ConnectionTimer, ConnectionAction)] {
        var timer = ConnectionTimer.accepted(at: 0, timeouts)
        return events.map { event, now in
            let (next, action) = ConnectionTimer.step(timer, event, now: now, timeouts)
            timer = next
            return (next, action)
        }
    }

    @Test func aTricklingHeadGetsItsBudgetOnce() {
        let steps = run([(.bytes(headComplete: false), 1), (.bytes(headComplete: false), 8), (.tick, 10.9), (.tick, 11)])
        #expect(steps[0].0 == ConnectionTimer(phase: .head, deadline: 11))
        #expect(steps[1].0.deadline == 11)  // more bytes do not move it
        #expect(steps[2].1 == .none)
        #expect(steps[3] == (ConnectionTimer(phase: .lingering, deadline: 11.5), .answer408))
    }

    @Test func aKeepAliveRoundTrip() {
        let steps = run([(.bytes(headComplete: true), 2), (.requestComplete, 2), (.tick, 1000), (.responseSent(keepAlive: true), 3),
                         (.tick, 8), (.responseSent(keepAlive: false), 9)])
        #expect(steps[0].0 == ConnectionTimer(phase: .body, deadline: 22))
        #expect(steps[2] == (ConnectionTimer(phase: .working, deadline: nil), .none))  // a worker's request has no loop deadline
        #expect(steps[3].0 == ConnectionTimer(phase: .idle, deadline: 8))
        #expect(steps[4] == (ConnectionTimer(phase: .closed, deadline: nil), .close))  // idle: closed silently
        #expect(steps[5].0.phase == .closed)
    }
}
