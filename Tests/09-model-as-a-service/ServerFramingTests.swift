// HTTP framing as intermediaries need it (issue 20, item 5), each rule on
// bytes or over loopback: HEAD, HTTP/1.0 streams, chunked request bodies,
// Expect without a space, absolute-form targets, one Host, strict JSON, a
// Date on every response, IPv6.

import Foundation
import Testing
@testable import ModelAsAService

@Suite struct ServerFramingTests {
    let limits = HTTPLimits(maxHeaderBytes: 256, maxBodyBytes: 64)

    func parse(_ text: String) throws -> (request: HTTPRequest, consumed: Int)? {
        try HTTPParser.parseRequest(Array(text.utf8), limits: limits)
    }

    /// Everything the server sends on a fresh connection until it closes (at most `seconds`).
    func exchange(_ port: Int, _ raw: [UInt8], host: String = "127.0.0.1", seconds: Double = 3) throws -> String {
        let fd = try Socket.connect(host: host, port: port)
        defer { Socket.close(fd) }
        try Socket.sendAll(fd, raw)
        var received: [UInt8] = []
        let until = Date().addingTimeInterval(seconds)
        while Date() < until, Socket.waitReadable(fd, seconds: until.timeIntervalSinceNow) {
            if Socket.receive(fd, into: &received) <= 0 { break }
        }
        return String(decoding: received, as: UTF8.self)
    }

    // MARK: chunked request bodies (RFC 9112 §7.1)

    @Test func chunkedBodiesAreDecodedWhateverTheSplit() throws {
        let text = "POST /v1/predict HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\nA \r\n, world!!!\r\n0\r\nX-Trailer: ignored\r\n\r\nGET"
        let bytes = Array(text.utf8)
        let (request, used) = try #require(try HTTPParser.parseRequest(bytes, limits: limits))
        #expect(String(decoding: request.body, as: UTF8.self) == "hello, world!!!")
        #expect(used == bytes.count - 3)
        for n in 0..<(bytes.count - 3) {  // every shorter prefix waits for more
            #expect(try HTTPParser.parseRequest(Array(bytes[0..<n]), limits: limits) == nil, "\(n) bytes")
        }
    }

    @Test("chunked and RFC 9112 refusals", arguments: [
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "invalid chunk size"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\n", 400, "invalid chunk size"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n", 400, "not followed by CRLF"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello", 400, "bare LF"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n", 413, "limit of 64 bytes"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" + String(repeating: "x", count: 32)
            + "\r\n21\r\n", 413, "limit of 64 bytes"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n", 413, "limit of 64 bytes"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "not implemented"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400, "does not end in chunked"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello", 400, "both"),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "HTTP/1.0"),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host"),
        ("GET / HTTP/1.1\r\n\r\n", 400, "missing Host"),
        ("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", 400, "needs a host"),
    ])
    func refusals(text: String, status: Int, message: String) {
        let error = #expect(throws: HTTPError.self) { try HTTPParser.parseRequest(Array(text.utf8), limits: limits) }
        #expect(error?.status == status && error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func absoluteFormTargetsAreReducedToTheirPath() throws {
        let cases = [("http://127.0.0.1:8080/v1/predict?x=1", "/v1/predict?x=1"), ("HTTP://example.com", "/"),
                     ("https://h?q", "/?q"), ("/plain", "/plain")]
        for (target, expected) in cases {
            let request = try #require(try parse("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n")).request
            #expect(request.target == expected, "\(target)")
        }
    }

    @Test func expectContinueIsRecognisedWithoutASpaceAndInAnyCase() {
        for header in ["Expect:100-continue", "expect: 100-Continue", "EXPECT:\t100-continue "] {
            #expect(HTTPParser.expectsContinue(Array("POST / HTTP/1.1\r\nHost: a\r\n\(header)\r\n\r\n".utf8)), "\(header)")
        }
        #expect(!HTTPParser.expectsContinue(Array("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n".utf8)))
        #expect(!HTTPParser.expectsContinue(Array("POST / HTTP/1.1\r\nHost: a\r\nX-Expect: 100-continue\r\n\r\n".utf8)))
    }

    @Test func dateIsIMFFixdate() {
        #expect(HTTPDate.imfFixdate(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")  // RFC 9110's example
        #expect(HTTPDate.imfFixdate(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    // MARK: over loopback

    @Test func headIsGetWithoutTheBody() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        for path in ["/healthz", "/v1/model"] {
            let head = try client.request("HEAD", path)
            let get = try client.get(path)  // on the same connection: a body after the HEAD would garble this
            #expect(head.status == 200 && get.status == 200)
            #expect(head.header("Content-Length") == String(get.body.count) && head.header("Content-Type") == get.header("Content-Type"))
            #expect(head.body.isEmpty)
        }
        #expect(try !client.serverClosed(within: 0.2))
        // Exactly the head, nothing after it, on the wire.
        let raw = try exchange(port, Array("HEAD /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".utf8))
        #expect(raw.hasPrefix("HTTP/1.1 200 OK\r\n") && raw.hasSuffix("\r\n\r\n") && raw.contains("Content-Length: "))
        #expect(try client.request("HEAD", "/v1/predict").status == 405)
    }

    @Test func http10StreamsAreCloseDelimitedNotChunked() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let body = #"{"prompt": "ab", "max_tokens": 6, "seed": 3, "stream": true}"#
        let raw = try exchange(port, Array("POST /v1/generate HTTP/1.0\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
        let parts = raw.components(separatedBy: "\r\n\r\n")
        let head = parts[0].lowercased()
        #expect(head.hasPrefix("http/1.1 200 ok"))
        #expect(!head.contains("transfer-encoding") && !head.contains("content-length") && head.contains("connection: close"))
        let events = serverSentEvents(parts.dropFirst().joined(separator: "\r\n\r\n"))
        #expect(events.count == 7 && events.last?.event == "done", "\(raw)")  // 6 tokens, then done; no chunk-size lines
        // The same request in HTTP/1.1 is chunked.
        let chunked = try HTTPClient(port: port).post("/v1/generate", json: body)
        #expect(chunked.header("Transfer-Encoding") == "chunked" && serverSentEvents(chunked.text).count == 7)
    }

    @Test func chunkedPredictAnswersAsContentLength() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let body = Array(predictBody(randomRows(2, seed: 31)).utf8)
        let plain = try HTTPClient(port: port).post("/v1/predict", json: String(decoding: body, as: UTF8.self))
        var text = "POST /v1/predict HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        for piece in stride(from: 0, to: body.count, by: 50) {
            let chunk = body[piece..<min(piece + 50, body.count)]
            text += String(chunk.count, radix: 16) + ";ext=1\r\n" + String(decoding: chunk, as: UTF8.self) + "\r\n"
        }
        text += "0\r\nTrailer: x\r\n\r\n"
        let client = try HTTPClient(port: port)
        try client.send(raw: text)
        let chunked = try client.readResponse()
        #expect(chunked.status == 200 && chunked.body == plain.body)
        try client.send(raw: "POST /v1/predict HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nq\r\n")
        #expect(try client.readResponse().status == 400)
    }

    @Test func expectWithoutASpaceGets100Continue() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let body = predictBody(randomRows(1, seed: 32))
        let fd = try Socket.connect(host: "127.0.0.1", port: port)
        defer { Socket.close(fd) }
        try Socket.sendAll(fd, Array("POST /v1/predict HTTP/1.1\r\nHost: a\r\nexpect:100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n".utf8))
        var received: [UInt8] = []
        #expect(Socket.waitReadable(fd, seconds: 2) && Socket.receive(fd, into: &received) > 0)
        #expect(String(decoding: received, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
    }

    @Test func absoluteFormAndHostRulesOverTheWire() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let body = predictBody(randomRows(1, seed: 33))
        let client = try HTTPClient(port: port)
        try client.send(raw: "POST http://127.0.0.1:\(port)/v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(try client.readResponse().status == 200)
        let twoHosts = try exchange(port, Array("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".utf8))
        #expect(twoHosts.hasPrefix("HTTP/1.1 400 ") && twoHosts.contains("more than one Host"))
    }

    @Test func trailingCommasAreNotJSON() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        let row = randomRows(1, seed: 34)[0].map { String($0) }.joined(separator: ",")
        for body in [#"{"inputs": [[\#(row)],]}"#, #"{"inputs": [[\#(row),]]}"#, #"{"inputs": [[\#(row)]],}"#] {
            let response = try client.post("/v1/predict", json: body)
            #expect(response.status == 400 && (response.json?["error"] as? String)?.hasPrefix("malformed JSON") == true, "\(body)")
        }
        #expect(try client.post("/v1/predict", json: #"{"inputs": [[\#(row)]]}"#).status == 200)
        let generate = try client.post("/v1/generate", json: #"{"prompt": "a", "max_tokens": 2,}"#)
        #expect(generate.status == 400)
    }

    @Test func everyResponseCarriesADate() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let responses = [try client.get("/healthz"), try client.get("/nowhere"), try client.post("/v1/predict", json: "{"),
                         try client.post("/v1/generate", json: #"{"prompt": "a", "max_tokens": 2, "stream": true}"#),
                         try HTTPClient(port: port).request("GET", "/x y")]
        for r in responses {
            let date = try #require(r.header("Date"), "status \(r.status)")
            let parsed = try #require(formatter.date(from: date), "\(date)")
            #expect(abs(parsed.timeIntervalSinceNow) < 5 && date.hasSuffix(" GMT") && date.count == 29)
        }
    }

    @Test func ipv6Loopback() throws {
        var configuration = ModelServerConfiguration()
        configuration.http.readTimeout = 2
        let server = ModelServer(classifier: try tinyClassifier(), generator: ToyTextGenerator(), configuration: configuration)
        let port: Int
        do { port = try server.start(host: "::1", port: 0) } catch let error as SocketError where error.code == EADDRNOTAVAIL {
            return  // no IPv6 loopback on this machine: nothing to test
        }
        defer { server.stop() }
        let client = try HTTPClient(host: "::1", port: port)
        #expect(try client.get("/healthz").status == 200)
        #expect(Socket.display(host: "::1", port: port) == "[::1]:\(port)" && Socket.display(host: "127.0.0.1", port: 80) == "127.0.0.1:80")
        #expect(throws: SocketError.self) { try Socket.listen(host: "::1::", port: 0) }
    }
}
