// HTTPParser on byte buffers: complete, partial and pipelined requests, and
// every refusal with its status.

import Foundation
import Testing
@testable import ModelAsAService

@Suite struct ServerParserTests {
    let limits = HTTPLimits(maxHeaderBytes: 256, maxBodyBytes: 64)

    @Test func parsesARequestWithBody() throws {
        let text = "POST /v1/predict?x=1 HTTP/1.1\r\nHost: a\r\ncontent-length: 5\r\nX-Thing:  spaced \r\n\r\nhelloGET"
        let (request, used) = try #require(try HTTPParser.parse(Array(text.utf8), limits: limits))
        #expect(request.method == "POST" && request.target == "/v1/predict?x=1" && request.path == "/v1/predict")
        #expect(request.header("CONTENT-LENGTH") == "5" && request.header("x-thing") == "spaced")
        #expect(String(decoding: request.body, as: UTF8.self) == "hello")
        #expect(used == text.utf8.count - 3)  // "GET" is the start of the next request
        #expect(request.wantsKeepAlive)
    }

    @Test func waitsForMoreBytes() throws {
        for text in ["", "GET /healthz HTTP/1.1\r\nHost: a\r\n", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhel"] {
            #expect(try HTTPParser.parse(Array(text.utf8), limits: limits) == nil, "\(text)")
        }
    }

    @Test func keepAliveRules() throws {
        func request(_ text: String) throws -> HTTPRequest { try #require(try HTTPParser.parse(Array(text.utf8), limits: limits)).request }
        #expect(try !request("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").wantsKeepAlive)
        #expect(try !request("GET / HTTP/1.0\r\n\r\n").wantsKeepAlive)
        #expect(try request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").wantsKeepAlive)
    }

    @Test("refusals name the problem", arguments: [
        ("GARBAGE\r\n\r\n", 400, "malformed request line"),
        ("GET /healthz\r\n\r\n", 400, "malformed request line"),
        ("GET healthz HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid request target"),
        ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid method"),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "not supported"),
        ("GET / FTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid protocol"),
        ("GET / HTTP/1.1\r\n\r\n", 400, "missing Host"),
        ("GET / HTTP/1.1\r\nHost a\r\n\r\n", 400, "without a colon"),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "invalid header name"),
        ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, "line folding"),
        ("GET / HTTP/1.1\r\nHost: a\u{1}b\r\n\r\n", 400, "control character"),
        ("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400, "bare CR or LF"),
        ("GET / HTTP/1.1\nHost: a\r\n\r\n", 400, "bare CR or LF"),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400, "invalid Content-Length"),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, "invalid Content-Length"),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, "conflicting Content-Length"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 411, "chunked"),
        ("POST / HTTP/1.1\r\nHost: a\r\n\r\n", 411, "needs a Content-Length"),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65\r\n\r\n", 413, "exceeds the limit of 64 bytes"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "y", count: 300), 431, "header exceeds 256 bytes"),
    ])
    func refusals(text: String, status: Int, message: String) {
        let error = #expect(throws: HTTPError.self) { try HTTPParser.parse(Array(text.utf8), limits: limits) }
        #expect(error?.status == status && error?.message.contains(message) == true, "\(String(describing: error))")
    }

    /// A head of exactly maxHeaderBytes is accepted however TCP splits it,
    /// one byte more is refused (431) as soon as that is certain: once
    /// maxHeaderBytes + 4 bytes hold no CRLFCRLF starting early enough.
    @Test func theHeaderLimitDoesNotDependOnHowTheBytesArrive() throws {
        let start = "GET / HTTP/1.1\r\nHost: a\r\nX: "
        for extra in [0, 1] {
            let head = start + String(repeating: "y", count: limits.maxHeaderBytes + extra - start.utf8.count)
            let bytes = Array((head + "\r\n\r\n").utf8)
            #expect(head.utf8.count == limits.maxHeaderBytes + extra)
            for n in 0..<bytes.count {
                let prefix = Array(bytes[0..<n])
                if extra == 1 && n >= limits.maxHeaderBytes + 4 {
                    let error = #expect(throws: HTTPError.self) { try HTTPParser.parse(prefix, limits: limits) }
                    #expect(error?.status == 431, "\(n) bytes")
                } else {
                    #expect(try HTTPParser.parse(prefix, limits: limits) == nil, "\(n) of \(bytes.count) bytes")
                }
            }
            if extra == 0 {
                let (request, used) = try #require(try HTTPParser.parse(bytes, limits: limits))
                #expect(used == bytes.count && request.header("X")?.count == limits.maxHeaderBytes - start.utf8.count)
            }
        }
    }

    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = [0xFF, 0xFE, 0x00, 0x01, 13, 10, 13, 10]
        let error = #expect(throws: HTTPError.self) { try HTTPParser.parse(bytes, limits: limits) }
        #expect(error?.status == 400)
    }

    @Test func responsesFrameTheirBodies() {
        let r = HTTPResponse.error(404, "no \"route\"")
        let text = String(decoding: r.serialized(keepAlive: false), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(text.contains("Content-Length: \(r.body.count)\r\n") && text.contains("Connection: close\r\n\r\n"))
        #expect(text.hasSuffix("{\"error\":\"no \\\"route\\\"\"}\n"))
    }
}
