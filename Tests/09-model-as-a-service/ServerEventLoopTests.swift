// The event loop against slow and idle clients and the descriptor limit
// (issue 20, defects 2 and 3), on loopback, each bounded to about a second:
// trickling clients cannot keep others out, idle keep-alive connections do
// not hold every slot, a connection over the limit is answered 503, the
// limit is checked against `ulimit -n` at start, and an accept that fails
// for lack of descriptors neither spins nor leaves the client unanswered.
// (Before the event loop, with a thread per connection: the trickling and
// idle cases got 503s for the whole read timeout, and EMFILE spun a core.)

import BackpropCore
import Foundation
import Testing
@testable import ModelAsAService

@Suite struct ServerEventLoopTests {
    /// Connections that send a request head a byte at a time, every 50 ms, and never finish it.
    final class Tricklers: @unchecked Sendable {
        let sockets: [Int32]
        let running = LockedValue(true)
        let done = DispatchSemaphore(value: 0)

        init(count: Int, port: Int) throws {
            sockets = try (0..<count).map { _ in try Socket.connect(host: "127.0.0.1", port: port) }
            for fd in sockets { try? Socket.sendAll(fd, Array("POST /v1/predict HTTP/1.1\r\nHost: a\r\n".utf8)) }
            Thread { [self] in
                while running.get() {
                    for fd in sockets { _ = try? Socket.sendAll(fd, Array("X".utf8)) }
                    Thread.sleep(forTimeInterval: 0.05)
                }
                done.signal()
            }.start()
        }

        func stop() {
            running.set(false)
            done.wait()
            for fd in sockets { Socket.close(fd) }
        }
    }

    @Test func tricklingClientsDoNotKeepOthersOut() throws {
        let (server, port) = try startServer {
            $0.http.maxConnections = 16
            $0.http.readTimeout = 10
            $0.http.evictionGrace = 0.3
        }
        defer { server.stop() }
        let tricklers = try Tricklers(count: 20, port: port)
        defer { tricklers.stop() }
        Thread.sleep(forTimeInterval: 0.4)  // every slot is held by a head older than the grace
        let start = Date()
        let rows = randomRows(1, seed: 801)
        for _ in 0..<8 {
            let response = try HTTPClient(port: port, timeout: 3).post("/v1/predict", json: predictBody(rows))
            #expect(response.status == 200, "\(response.status) \(response.text)")
        }
        #expect(Date().timeIntervalSince(start) < 3)
        #expect(server.statistics.connectionsEvicted >= 1)  // a trickler made room (a client that has left frees its slot too)
    }

    @Test func idleKeepAliveConnectionsDoNotHoldEverySlot() throws {
        let (server, port) = try startServer { $0.http.maxConnections = 8 }
        defer { server.stop() }
        let idle = try (0..<8).map { _ in try HTTPClient(port: port) }
        for client in idle { #expect(try client.get("/healthz").status == 200) }  // eight keep-alive connections, now idle
        let ninth = try HTTPClient(port: port).get("/healthz")
        #expect(ninth.status == 200, "\(ninth.status) \(ninth.text)")
        #expect(idle[0].serverClosed(within: 1))  // the one idle longest made room
        #expect(server.statistics.connectionsEvicted == 1)
    }

    @Test func idleConnectionsCloseAtTheirDeadline() throws {
        let (server, port) = try startServer { $0.http.timeouts.idle = 0.2 }
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        #expect(try client.get("/healthz").status == 200)
        let start = Date()
        #expect(client.serverClosed(within: 2))
        #expect(Date().timeIntervalSince(start) < 1.5)
    }

    @Test func everyConnectionOverTheLimitIsAnswered503() throws {
        let (server, port) = try startServer {
            $0.http.maxConnections = 4
            $0.http.readTimeout = 10
            $0.http.evictionGrace = 30  // the four busy heads may not be evicted
        }
        defer { server.stop() }
        let busy = try (0..<4).map { _ in try HTTPClient(port: port) }
        for client in busy { try client.send(raw: "GET /healthz HTTP/1.1\r\nHost: a\r\n") }
        Thread.sleep(forTimeInterval: 0.1)
        let answers = try concurrently(24) { _ in try HTTPClient(port: port, timeout: 3).get("/healthz") }
        #expect(answers.allSatisfy { $0.status == 503 && $0.header("Retry-After") == "1" })
        #expect((answers[0].json?["error"] as? String)?.contains("limit of 4 open connections") == true)
        #expect(server.statistics.connectionsRejected == 24)
        for client in busy { client.close() }
        var status = 0
        for _ in 0..<40 where status != 200 {
            status = (try? HTTPClient(port: port).get("/healthz").status) ?? 0
            if status != 200 { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(status == 200)
    }

    @Test func maxConnectionsBeyondTheDescriptorLimitIsAnError() throws {
        #expect(throws: DescriptorLimitError.self) { try DescriptorBudget.check(maxConnections: 1000, soft: 64, hard: 64) }
        #expect(try DescriptorBudget.check(maxConnections: 100, soft: 1024, hard: 4096) == nil)
        #expect(try DescriptorBudget.check(maxConnections: 2000, soft: 1024, hard: 4096) == DescriptorBudget.needed(maxConnections: 2000))
        let error = DescriptorLimitError(maxConnections: 1000, needed: 1096, limit: 64)
        #expect(error.description.contains("ulimit -n") && error.description.contains("at most 64 (ulimit -n)"))
        #expect(error.description.hasSuffix("ask for at most 16 connections"))  // 16 + 16 refusal slots + 32 = 64
        #expect(DescriptorBudget.largestFitting(20000) == 20000 - 64 - 32 && DescriptorBudget.largestFitting(10) == 0)
        let hard = DescriptorBudget.limits().hard
        guard hard < 1 << 40 else { return }
        var configuration = HTTPServerConfiguration()
        configuration.maxConnections = hard + 1
        let server = HTTPServer(configuration: configuration) { _ in .response(HTTPResponse(status: 200)) }
        #expect(throws: DescriptorLimitError.self) { try server.start() }
    }

    @Test func outOfDescriptorsTheLoopNeitherSpinsNorHangs() throws {
        let calls = LockedValue(0), mode = LockedValue(0)  // 0: EMFILE always; 1: only the reserve's accept works; 2: normal
        let server = HTTPServer { _ in .response(.json(200, .object([("ok", .bool(true))]))) }
        server.acceptConnection = { listener in
            let n = calls.update { $0 += 1; return $0 }
            switch mode.get() {
            case 0: return .failed(EMFILE)
            case 1 where n % 2 == 1: return .failed(EMFILE)
            default: return Socket.acceptConnection(listener)
            }
        }
        let port = try server.start()
        defer { server.stop() }
        let waiting = try HTTPClient(port: port, timeout: 3)
        try waiting.send(raw: "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.5)
        #expect(calls.get() < 40, "accept was called \(calls.get()) times in 0.5 s: the loop spins")
        calls.set(0)
        mode.set(1)  // the reserve descriptor lets the loop answer
        let refused = try waiting.readResponse()
        #expect(refused.status == 503 && refused.header("Retry-After") == "1")
        #expect(server.statistics.descriptorExhaustions >= 2)
        mode.set(2)
        #expect(try HTTPClient(port: port).get("/").status == 200)
    }
}
