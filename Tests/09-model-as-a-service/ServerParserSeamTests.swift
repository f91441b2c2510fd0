// The server's pluggable request parser (HTTPServerConfiguration.parser,
// exercise 9.5's seam): the one configured is the one used, and a parser
// that misbehaves costs its client a 500, never the server.

import BackpropCore
import Foundation
import Testing
@testable import ModelAsAService

@Suite struct ServerParserSeamTests {
    /// The configured parser sees every read of every connection.
    @Test func theConfiguredParserIsUsed() throws {
        let calls = LockedValue(0)
        let (server, port) = try startServer {
            $0.http.parser = { buffer, limits in
                calls.update { $0 += 1 }
                return try HTTPParser.parse(buffer, limits: limits)
            }
        }
        defer { server.stop() }
        let client = try HTTPClient(port: port, timeout: 3)
        #expect(try client.get("/healthz").status == 200)
        #expect(try client.post("/v1/generate", json: #"{"prompt": "a", "max_tokens": 3, "seed": 1}"#).status == 200)
        #expect(calls.get() >= 2)
        // A parser that refuses everything decides the status the client gets.
        let (refusing, refusingPort) = try startServer { $0.http.parser = { _, _ in throw HTTPError(418, "no") } }
        defer { refusing.stop() }
        let refused = try HTTPClient(port: refusingPort, timeout: 3).get("/healthz")
        #expect(refused.status == 418 && refused.header("Connection") == "close")
    }

    @Test("a misbehaving parser gets its client a 500 and the server keeps serving", arguments: [0, 1, 2])
    func misbehavingParsers(variant: Int) throws {
        struct Oops: Error {}
        let (server, port) = try startServer {
            $0.http.parser = { buffer, limits in
                guard let (request, used) = try HTTPParser.parse(buffer, limits: limits) else { return nil }
                guard request.path == "/bad" else { return (request, used) }
                switch variant {
                case 0: throw Oops()
                case 1: return (request, 0)
                default: return (request, buffer.count + 1)
                }
            }
        }
        defer { server.stop() }
        let client = try HTTPClient(port: port, timeout: 3)
        let response = try client.get("/bad")
        #expect(response.status == 500 && response.header("Connection") == "close", "\(response.status)")
        #expect((response.json?["error"] as? String)?.contains("parser") == true)
        #expect(client.serverClosed(within: 2))
        #expect(try HTTPClient(port: port, timeout: 3).get("/healthz").status == 200)
    }
}
