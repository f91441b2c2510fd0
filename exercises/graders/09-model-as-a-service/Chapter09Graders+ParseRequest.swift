// Chapter 9's grader for exercise 9.5: an HTTP/1.1 request parser, checked
// on its own and then plugged into the chapter's real server.
//
// Part 1 calls the parser on requests built here from RFC 9112 and the
// stub's rules: valid ones (checked field by field, and at every prefix,
// which must give nil), hostile ones (each must be refused with its status,
// and no later than the moment the refusal is certain), three requests
// pipelined and fed a byte at a time, and seeded random valid requests.
// Part 2, reached only when part 1 passes, starts ModelServer on a loopback
// port with the parser plugged in (HTTPServerConfiguration.parser) and
// speaks HTTP to it over sockets: answers, keep-alive, pipelining, a request
// sent byte by byte, refusals with their statuses, and a clean stop.

import BackpropCore
import ExerciseKit
import Foundation
import ModelAsAService

/// Exercise 9.5's signature: the server's own parser seam.
public typealias ParseRequest = HTTPRequestParser

extension Chapter09Graders {
    /// What a parser did with one buffer.
    enum ParseOutcome: Equatable, CustomStringConvertible {
        case incomplete
        case request(ParsedRequest)
        case refused(Int)
        case otherError(String)

        var description: String {
            switch self {
            case .incomplete: return "nil (waiting for more bytes)"
            case .request(let r): return "a request \(r)"
            case .refused(let status): return "HTTPError \(status)"
            case .otherError(let e): return "an error that is not an HTTPError (\(e))"
            }
        }
    }

    /// The fields of a parsed request the grader compares.
    struct ParsedRequest: Equatable, CustomStringConvertible {
        var method: String
        var target: String
        var minorVersion: Int
        var headers: [String]  // "name: value", exactly as returned
        var body: [UInt8]
        var consumed: Int

        var description: String {
            "(\(method) \(target) HTTP/1.\(minorVersion), headers \(headers), body \(Chapter09Graders.escape(body)), consumed \(consumed))"
        }
    }

    static let requestLimits = HTTPLimits(maxHeaderBytes: 128, maxBodyBytes: 64)

    /// Bytes as a Swift string literal would show them (\r, \n, \xNN), shortened.
    static func escape(_ bytes: [UInt8], limit: Int = 90) -> String {
        var text = ""
        for b in bytes.prefix(limit) {
            switch b {
            case 13: text += "\\r"
            case 10: text += "\\n"
            case 9: text += "\\t"
            case 34: text += "\\\""
            case 32...126: text += String(UnicodeScalar(b))
            default: text += String(format: "\\x%02x", b)
            }
        }
        return "\"" + text + "\"" + (bytes.count > limit ? "… (\(bytes.count) bytes)" : "")
    }

    static func outcome(_ parser: ParseRequest, _ bytes: [UInt8], _ limits: HTTPLimits) throws -> ParseOutcome {
        do {
            guard let (r, used) = try parser(bytes, limits) else { return .incomplete }
            return .request(ParsedRequest(method: r.method, target: r.target, minorVersion: r.minorVersion,
                                          headers: r.headers.map { "\($0.name): \($0.value)" }, body: r.body,
                                          consumed: used))
        } catch let e as HTTPError {
            return .refused(e.status)
        } catch let e as NotAttempted {
            throw e
        } catch {
            return .otherError("\(error)")
        }
    }

    struct ValidRequestCase {
        var bytes: [UInt8]
        var expected: ParsedRequest
        var why: String
        var limits = requestLimits
    }

    static func valid(_ text: String, _ method: String, _ target: String, minor: Int = 1, _ headers: [String],
                      body: String = "", next: String = "", _ why: String, limits: HTTPLimits = requestLimits)
        -> ValidRequestCase
    {
        let bytes = Array(text.utf8)
        return ValidRequestCase(bytes: bytes + Array(next.utf8),
                                expected: ParsedRequest(method: method, target: target, minorVersion: minor,
                                                        headers: headers, body: Array(body.utf8),
                                                        consumed: bytes.count),
                                why: why, limits: limits)
    }

    static var validRequestCases: [ValidRequestCase] {
        let h = requestLimits.maxHeaderBytes
        let start = "GET / HTTP/1.1\r\nHost: a\r\nX: "
        let exact = String(repeating: "y", count: h - start.utf8.count)
        return [
            valid("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/healthz", ["Host: a"], "a plain GET"),
            valid("POST /v1/generate HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}", "POST", "/v1/generate",
                  ["Host: a", "Content-Length: 2"], body: "{}", next: "GE",
                  "the stub's worked example: a POST followed by the start of the next request"),
            valid("POST /v1/predict?x=1 HTTP/1.1\r\nhost: b\r\ncontent-length: 5\r\n\r\nhello", "POST",
                  "/v1/predict?x=1", ["host: b", "content-length: 5"], body: "hello",
                  "lower-case header names (names compare case-insensitively) and a query string"),
            valid("GET / HTTP/1.1\r\nHost:a\r\nX-Thing:  spaced \t\r\nX-Empty:\r\nX-Inner: a  b\r\n\r\n", "GET", "/",
                  ["Host: a", "X-Thing: spaced", "X-Empty: ", "X-Inner: a  b"],
                  "values lose spaces and tabs at both ends only (one may be empty)"),
            valid("GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\u{e9} \u{2713}\r\n\r\n", "GET", "/",
                  ["Host: a", "X-Name: caf\u{e9} \u{2713}"], "a header value in UTF-8"),
            valid("GET / HTTP/1.0\r\n\r\n", "GET", "/", minor: 0, [], "HTTP/1.0 needs no Host header"),
            valid("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\na\r\n\r\n", "POST", "/x",
                  ["Host: a", "Content-Length: 5"], body: "a\r\n\r\n", next: "GET / HTTP/1.1\r\n",
                  "a body that contains CRLF CRLF (count the body, never search it)"),
            valid("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", "POST", "/x",
                  ["Host: a", "Content-Length: 3", "Content-Length: 3"], body: "abc",
                  "two Content-Length headers that agree"),
            valid("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "POST", "/x",
                  ["Host: a", "Content-Length: 0"], next: "POST", "a POST with an empty body"),
            valid("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 003\r\n\r\nxyz", "GET", "/x",
                  ["Host: a", "Content-Length: 003"], body: "xyz", "a GET with a body, its length with leading zeros"),
            valid("DELETE /a/b%20c HTTP/1.1\r\nHost: a\r\n\r\n", "DELETE", "/a/b%20c", ["Host: a"],
                  "another method, a percent-encoded target"),
            valid("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 64\r\n\r\n" + String(repeating: "b", count: 64),
                  "POST", "/x", ["Host: a", "Content-Length: 64"], body: String(repeating: "b", count: 64),
                  "a body of exactly maxBodyBytes (64)"),
            valid(start + exact + "\r\n\r\n", "GET", "/", ["Host: a", "X: " + exact],
                  "a head of exactly maxHeaderBytes (\(h)) bytes, which must be accepted however its bytes arrive"),
        ]
    }

    struct RefusedRequestCase {
        var bytes: [UInt8]
        var status: Int
        var why: String
        var hint: String = ""
    }

    static func refused(_ text: String, _ status: Int, _ why: String, hint: String = "") -> RefusedRequestCase {
        RefusedRequestCase(bytes: Array(text.utf8), status: status, why: why, hint: hint)
    }

    static var refusedRequestCases: [RefusedRequestCase] {
        let h = requestLimits.maxHeaderBytes
        let long = "GET / HTTP/1.1\r\nHost: a\r\nX: "
        let endless = long + String(repeating: "y", count: h + 4 - long.utf8.count)
        return [
            refused("GET / HTTP/1.1\nHost: a\r\n\r\n", 400, "an LF without CR after the request line (a missing CR)",
                    hint: " — lines end in CRLF (RFC 9112 §2.2); a bare LF is refused, or two programs that split "
                        + "lines differently would see different requests"),
            refused("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400, "a CR without LF inside the head",
                    hint: " — a CR must be followed by LF"),
            refused(endless, 431, "a head with no CRLF CRLF in its first maxHeaderBytes + 4 = \(h + 4) bytes",
                    hint: " — decide as soon as it is certain: a CRLF CRLF arriving later would start past "
                        + "maxHeaderBytes, so the head is too long whatever comes next; waiting lets a client make "
                        + "the server buffer an endless header"),
            refused(long + String(repeating: "y", count: 300) + "\r\n\r\n", 431,
                    "a header line of 300 bytes, with maxHeaderBytes \(h)",
                    hint: " — a head over maxHeaderBytes is 431 Request Header Fields Too Large (RFC 6585); 413 is "
                        + "for a body"),
            refused("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\nhello!", 400,
                    "two Content-Lengths that disagree",
                    hint: " — two lengths that disagree must be refused: a proxy that believes one and a server that "
                        + "believes the other see different requests (request smuggling)"),
            refused("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, "a negative Content-Length",
                    hint: " — a length is 1 to 18 ASCII digits and nothing else"),
            refused("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", 400, "Content-Length: +5",
                    hint: " — a length is 1 to 18 ASCII digits and nothing else (Int(\"+5\") is 5, but '+' is not a "
                        + "digit)"),
            refused("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: five\r\n\r\n", 400, "a non-numeric Content-Length"),
            refused("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc", 400, "Content-Length: 3, 3 (a list)"),
            refused("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400, "a hexadecimal Content-Length"),
            refused("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400, "an empty Content-Length"),
            refused("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400,
                    "a Content-Length of 20 digits (it does not fit an Int)",
                    hint: " — more than 18 digits is 400; do not crash converting it"),
            refused("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 65\r\n\r\n", 413,
                    "a Content-Length of 65 with maxBodyBytes 64, the body not sent (yet)",
                    hint: " — refuse on the declared length as soon as the head is complete: a client could send "
                        + "a huge length and then nothing, or gigabytes"),
            refused("POST /x HTTP/1.1\r\nHost: a\r\n\r\n", 411, "a POST without Content-Length"),
            refused("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 411,
                    "a chunked body"),
            refused("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello", 411,
                    "Transfer-Encoding and Content-Length together (rule 6 decides)",
                    hint: " — any Transfer-Encoding is refused with 411, even beside a Content-Length: the pair is "
                        + "the classic request-smuggling setup"),
            refused("GET / HTTP/1.1\r\n\r\n", 400, "HTTP/1.1 without a Host header"),
            refused("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP/2.0"),
            refused("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505, "HTTP/1.2"),
            refused("GET / http/1.1\r\nHost: a\r\n\r\n", 400, "a lower-case protocol name (it is case-sensitive)"),
            refused("GET / FTP/1.1\r\nHost: a\r\n\r\n", 400, "another protocol"),
            refused("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400, "two spaces in the request line"),
            refused("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, "a space after the version"),
            refused("GET /healthz\r\nHost: a\r\n\r\n", 400, "a request line without a version"),
            refused("GET healthz HTTP/1.1\r\nHost: a\r\n\r\n", 400, "a target that does not start with '/'"),
            refused("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "an absolute URL as target"),
            refused("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "a method with '('"),
            refused(" / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "an empty method"),
            refused("\r\n\r\n", 400, "an empty head"),
            refused("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "a space before a header's colon",
                    hint: " — RFC 9112 §5.1: whitespace between a field name and its colon must be refused with 400 "
                        + "(do not trim the name)"),
            refused("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, "obsolete line folding"),
            refused("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400, "a header line without a colon"),
            refused("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n", 400, "a header with an empty name"),
            refused("GET / HTTP/1.1\r\nHost: a\u{1}b\r\n\r\n", 400, "a control byte (0x01) in a header value"),
            refused("GET / HTTP/1.1\r\nHost: a\u{7f}\r\n\r\n", 400, "DEL (0x7f) in a header value"),
        ] + [
            RefusedRequestCase(bytes: Array("GET /\u{0}x HTTP/1.1\r\nHost: a\r\n\r\n".utf8), status: 400,
                               why: "a NUL byte in the target"),
            RefusedRequestCase(bytes: [0xFF, 0xFE, 0x20, 0x2F, 0x20] + Array("HTTP/1.1\r\nHost: a\r\n\r\n".utf8),
                               status: 400, why: "bytes that are not ASCII as the method"),
        ]
    }

    /// Part 1 for one valid case: every proper prefix gives nil, the whole
    /// input the expected request. Returns false after the first failure.
    static func checkValid(_ parser: ParseRequest, _ c: ValidRequestCase, _ report: inout GradeReport) throws -> Bool {
        let shown = escape(c.bytes)
        for n in 0..<c.expected.consumed {
            let got = try outcome(parser, Array(c.bytes[0..<n]), c.limits)
            guard got == .incomplete else {
                var hint = " — only the first \(n) of the request's \(c.expected.consumed) bytes have arrived; "
                if case .request = got {
                    hint += "return nil until the whole body is there"
                } else if n >= c.limits.maxHeaderBytes && n < c.limits.maxHeaderBytes + 4 {
                    hint += "the head may still end in CRLF CRLF at index \(c.limits.maxHeaderBytes) or before, "
                        + "so it is not too long yet: refuse only once maxHeaderBytes + 4 bytes hold no such end"
                } else {
                    hint += "a valid request arriving in pieces must not be refused; return nil"
                }
                report.failures.append("\(c.why): for the first \(n) bytes of \(shown) expected nil, got \(got)" + hint)
                return false
            }
        }
        let got = try outcome(parser, c.bytes, c.limits)
        guard case .request(let r) = got, r == c.expected else {
            var hint = ""
            if case .request(let r) = got {
                if r.consumed != c.expected.consumed {
                    hint = " — consumed counts the head, the 4 bytes of CRLF CRLF and the body; the next request "
                        + "starts right after"
                } else if r.body != c.expected.body {
                    hint = " — the body is the Content-Length bytes after the blank line"
                } else if r.headers != c.expected.headers {
                    hint = " — keep every header in order, its name as sent and its value without spaces and tabs "
                        + "at either end"
                }
            }
            report.failures.append("\(c.why): for \(shown) expected a request \(c.expected), got \(got)" + hint)
            return false
        }
        return true
    }

    /// Part 1 for one refused case: the first prefix that does not give nil
    /// must be refused with the expected status, at the latest when the whole
    /// input has arrived.
    static func checkRefused(_ parser: ParseRequest, _ c: RefusedRequestCase, _ report: inout GradeReport) throws {
        let shown = escape(c.bytes)
        for n in 0...c.bytes.count {
            let got = try outcome(parser, Array(c.bytes[0..<n]), requestLimits)
            if got == .incomplete && n < c.bytes.count { continue }
            if got == .refused(c.status) { return }
            var message = "\(c.why): for \(shown) expected HTTPError \(c.status), got \(got)"
            if n < c.bytes.count { message += " after its first \(n) bytes" }
            if case .otherError = got {
                message += " — throw HTTPError(status, message): the server answers with its status"
            } else {
                message += c.hint
            }
            report.failures.append(message)
            return
        }
    }

    /// Three pipelined requests fed to the parser as a server would, `chunk`
    /// bytes per read: parse after every read, drop `consumed` bytes on success.
    static func checkStream(_ parser: ParseRequest, chunks: [Int], _ report: inout GradeReport) throws {
        let texts = ["POST /v1/generate HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
                     "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n",
                     "POST /x HTTP/1.0\r\nContent-Length: 4\r\n\r\n\r\n\r\n"]
        let stream = texts.flatMap { Array($0.utf8) }
        let want: [(String, String, [UInt8])] = [("POST", "/v1/generate", Array("{\"a\":1}".utf8)),
                                                 ("GET", "/healthz", []), ("POST", "/x", [13, 10, 13, 10])]
        var buffer: [UInt8] = []
        var got: [(String, String, [UInt8])] = []
        var offset = 0
        var read = 0
        let setting = "three pipelined requests \(escape(stream, limit: 60)) arriving in reads of "
            + (chunks.count == 1 ? "\(chunks[0]) byte\(chunks[0] == 1 ? "" : "s")" : "\(chunks.prefix(8))… bytes")
        while offset < stream.count {
            let n = min(chunks[read % chunks.count], stream.count - offset)
            buffer += stream[offset..<(offset + n)]
            offset += n
            read += 1
            while true {
                let result: (request: HTTPRequest, consumed: Int)?
                do { result = try parser(buffer, requestLimits) } catch let e as NotAttempted { throw e } catch {
                    report.failures.append("\(setting): after \(offset) bytes (\(got.count) requests parsed) the "
                        + "parser threw \(error) for the buffer \(escape(buffer))")
                    return
                }
                guard let (r, used) = result else { break }
                guard used >= 1 && used <= buffer.count else {
                    report.failures.append("\(setting): consumed \(used) for a buffer of \(buffer.count) bytes")
                    return
                }
                got.append((r.method, r.target, r.body))
                buffer.removeFirst(used)
            }
        }
        let same = got.count == want.count && zip(got, want).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 && $0.2 == $1.2 }
        report.check(same && buffer.isEmpty, "\(setting): expected \(want.map { "\($0.0) \($0.1) \(escape($0.2))" }), "
            + "got \(got.map { "\($0.0) \($0.1) \(escape($0.2))" }) with \(escape(buffer)) left over")
    }

    /// Seeded random valid requests, with the expected parse built alongside.
    static func randomValidRequests(count: Int, seed: UInt64) -> [ValidRequestCase] {
        var rng = SeededRandom(seed: seed)
        let tchars = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~")
        let valueChars = Array("abcXYZ019 ,;:=\"/()[]{}?@\u{e9}")
        let ows = ["", " ", "  ", "\t", " \t "]
        func pick<T>(_ xs: [T]) -> T { xs[rng.integer(below: xs.count)] }
        return (0..<count).map { k in
            let method = pick(["GET", "POST", "PUT", "PATCH", "OPTIONS"])
            let target = "/" + String((0..<rng.integer(below: 12)).map { _ in pick(Array("abz09-_/.?=&%")) })
            let minor = rng.integer(below: 4) == 0 ? 0 : 1
            var lines: [String] = []
            var expected: [String] = []
            if minor == 1 || rng.integer(below: 2) == 0 {
                let name = pick(["Host", "host", "HOST"])
                lines.append("\(name):\(pick(ows))x.example:80\(pick(ows))")
                expected.append("\(name): x.example:80")
            }
            var body: [UInt8] = []
            if method != "GET" || rng.integer(below: 3) == 0 {
                body = (0..<rng.integer(below: 40)).map { _ in pick([13, 10, 0, 32, 65, 0xC3, 0xFF, 58]) }
            }
            for _ in 0..<rng.integer(below: 4) {
                let name = String((0..<(1 + rng.integer(below: 10))).map { _ in pick(tchars) })
                guard !["host", "content-length", "transfer-encoding"].contains(name.lowercased()) else { continue }
                let value = String((0..<rng.integer(below: 12)).map { _ in pick(valueChars) })
                    .trimmingCharacters(in: CharacterSet(charactersIn: " "))
                lines.append("\(name):\(pick(ows))\(value)\(pick(ows))")
                expected.append("\(name): \(value)")
            }
            if method == "POST" || !body.isEmpty {
                let name = pick(["Content-Length", "content-length", "CONTENT-LENGTH"])
                let at = rng.integer(below: lines.count + 1)
                lines.insert("\(name): \(body.count)", at: at)
                expected.insert("\(name): \(body.count)", at: at)
            }
            let head = Array(("\(method) \(target) HTTP/1.\(minor)\r\n" + lines.map { $0 + "\r\n" }.joined() + "\r\n").utf8)
            let next = Array(pick(["", "G", "GET / HTTP/1.1\r\n", "\r\n"]).utf8)
            return ValidRequestCase(bytes: head + body + next,
                                    expected: ParsedRequest(method: method, target: target, minorVersion: minor,
                                                            headers: expected, body: body, consumed: head.count + body.count),
                                    why: "random valid request \(k + 1) of \(count)",
                                    limits: HTTPLimits(maxHeaderBytes: 1024, maxBodyBytes: 64))
        }
    }

    /// Exercise 9.5: the parser on its own (part 1), then, if that passed, in
    /// the real server (part 2).
    public static func parseRequest(_ candidate: @escaping ParseRequest) throws -> GradeReport {
        var report = GradeReport()
        for c in validRequestCases + randomValidRequests(count: 24, seed: 7505) {
            _ = try checkValid(candidate, c, &report)
        }
        for c in refusedRequestCases { try checkRefused(candidate, c, &report) }
        for chunks in [[1], [2], [5], [1000], [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]] {
            try checkStream(candidate, chunks: chunks, &report)
        }
        guard report.passed else {
            report.failures.append("(the parser was not plugged into the server: fix the failures above first)")
            return report
        }
        serve(with: candidate, &report)
        return report
    }

    // MARK: - Part 2: the real server with the parser plugged in

    /// Starts ModelServer (the toy text generator, small limits, short
    /// timeouts) with `parser`, speaks HTTP to it, and stops it.
    static func serve(with parser: @escaping ParseRequest, _ report: inout GradeReport) {
        var configuration = ModelServerConfiguration()
        configuration.http.parser = parser
        configuration.http.limits = HTTPLimits(maxHeaderBytes: 1024, maxBodyBytes: 4096)
        configuration.http.readTimeout = 0.5
        configuration.http.drainTimeout = 1
        configuration.maxActiveGenerations = 2
        let server = ModelServer(generator: ToyTextGenerator(), configuration: configuration)
        let port: Int
        do { port = try server.start(host: "127.0.0.1", port: 0) } catch {
            report.failures.append("the server with your parser did not start: \(error)")
            return
        }
        var stopped = false
        defer { if !stopped { server.stop() } }
        func live(_ what: String, _ body: () throws -> Void) {
            do { try body() } catch {
                report.failures.append("server with your parser, \(what): \(error)")
            }
        }
        @Sendable func describe(_ r: HTTPClientResponse) -> String { "\(r.status) \(r.text.prefix(120))" }
        let generate = #"{"prompt": "ab", "max_tokens": 7, "seed": 3}"#
        func checkGenerated(_ r: HTTPClientResponse, _ what: String) {
            let json = r.json
            report.check(r.status == 200 && json?["tokens"] as? Int == 7 && json?["seed"] as? Int == 3
                         && (json?["text"] as? String)?.count == 7,
                         "server with your parser, \(what): POST /v1/generate \(generate) should answer 200 with 7 "
                            + "tokens and seed 3, got \(describe(r))")
        }

        // Answers and keep-alive: several requests on one connection.
        var firstText: String?
        live("requests on one keep-alive connection") {
            let client = try HTTPClient(port: port, timeout: 3)
            defer { client.close() }
            let health = try client.get("/healthz")
            report.check(health.status == 200 && health.json?["status"] as? String == "ok",
                         "server with your parser: GET /healthz should answer 200 {\"status\": \"ok\"}, got "
                            + describe(health))
            let model = try client.get("/v1/model")
            report.check(model.status == 200 && model.json?["kind"] as? String == "toy-bigram",
                         "server with your parser: GET /v1/model should answer 200 with kind toy-bigram, got "
                            + describe(model))
            let generated = try client.post("/v1/generate", json: generate)
            checkGenerated(generated, "on a keep-alive connection")
            firstText = generated.json?["text"] as? String
            let missing = try client.get("/nowhere")
            report.check(missing.status == 404, "server with your parser: GET /nowhere should answer 404, got "
                + describe(missing))
            let wrongMethod = try client.request("POST", "/healthz", body: "")
            report.check(wrongMethod.status == 405, "server with your parser: POST /healthz should answer 405, got "
                + describe(wrongMethod))
            report.check(health.header("Connection") == "keep-alive",
                         "server with your parser: a request without Connection: close keeps the connection open")
        }
        // Pipelining: two requests in one write, answered in order.
        live("two pipelined requests sent in one write") {
            let client = try HTTPClient(port: port, timeout: 3)
            defer { client.close() }
            let body = Array(generate.utf8)
            try client.send(raw: Array(("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\nPOST /v1/generate HTTP/1.1\r\nHost: a\r\n"
                + "Content-Length: \(body.count)\r\n\r\n").utf8) + body)
            let first = try client.readResponse(), second = try client.readResponse()
            report.check(first.status == 200 && first.json?["status"] as? String == "ok",
                         "server with your parser, two pipelined requests: the first (GET /healthz) should answer "
                            + "200, got \(describe(first))")
            checkGenerated(second, "the second of two pipelined requests")
            report.check(second.json?["text"] as? String == firstText,
                         "server with your parser: the same generate request with seed 3 should give the same text")
        }
        // A request arriving a byte at a time.
        live("a request sent one byte at a time") {
            let client = try HTTPClient(port: port, timeout: 3)
            defer { client.close() }
            let bytes = Array("POST /v1/generate HTTP/1.1\r\nHost: a\r\nContent-Length: \(generate.utf8.count)\r\n\r\n\(generate)".utf8)
            for (i, b) in bytes.enumerated() {
                try client.send(raw: [b])
                if i % 4 == 0 { Thread.sleep(forTimeInterval: 0.0005) }
            }
            checkGenerated(try client.readResponse(), "a request sent one byte at a time")
        }
        // Refusals: the status, a JSON error, Connection: close.
        let refusals: [(String, Int, String)] = [
            ("POST /v1/generate HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nContent-Length: 12\r\n\r\n", 400,
             "two Content-Lengths that disagree"),
            ("POST /v1/generate HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n", 400, "a negative Content-Length"),
            ("GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400, "a bare LF"),
            ("POST /v1/generate HTTP/1.1\r\nHost: a\r\n\r\n", 411, "a POST without Content-Length"),
            ("POST /v1/generate HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411,
             "a chunked body"),
            ("POST /v1/generate HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n", 413,
             "a Content-Length of 5000 over the limit of 4096, the body never sent"),
            ("GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + String(repeating: "z", count: 1100), 431,
             "1,100 bytes of head without an end, over the limit of 1024"),
            ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP/2.0"),
        ]
        // All at once, each on its own connection (a parser that keeps returning
        // nil costs one read timeout, not one per refusal).
        final class Failures: @unchecked Sendable {
            let lock = NSLock()
            var messages: [String?]
            init(_ count: Int) { messages = [String?](repeating: nil, count: count) }
        }
        let failures = Failures(refusals.count)
        let group = DispatchGroup()
        for i in refusals.indices {
            group.enter()
            Thread {
                let (text, status, why) = refusals[i]
                var failure: String?
                do {
                    let client = try HTTPClient(port: port, timeout: 3)
                    defer { client.close() }
                    try client.send(raw: text)
                    let r = try client.readResponse()
                    if !(r.status == status && r.json?["error"] is String && r.header("Connection") == "close") {
                        failure = "server with your parser, \(why): expected \(status) with a JSON error and "
                            + "Connection: close, got \(describe(r))"
                            + (r.status == 408 ? " — the server timed out waiting: your parser kept returning nil" : "")
                    }
                } catch {
                    failure = "server with your parser, \(why): \(error)"
                }
                failures.lock.withLock { failures.messages[i] = failure }
                group.leave()
            }.start()
        }
        if group.wait(timeout: .now() + 10) == .timedOut {
            report.failures.append("server with your parser: the refused requests got no answer within 10 s")
        }
        report.failures += failures.lock.withLock { failures.messages.compactMap { $0 } }
        live("a new connection after the refusals") {
            let client = try HTTPClient(port: port, timeout: 3)
            defer { client.close() }
            let r = try client.get("/healthz")
            report.check(r.status == 200, "server with your parser: after the refusals GET /healthz should still answer "
                + "200, got \(describe(r))")
        }
        // A clean stop: quick, and the port is closed afterwards.
        let begin = Date()
        server.stop()
        stopped = true
        let seconds = Date().timeIntervalSince(begin)
        report.check(seconds < 2.5, "server with your parser: stop() took \(String(format: "%.2f", seconds)) s; it "
            + "should return within the drain timeout (1 s)")
        report.check((try? HTTPClient(port: port, timeout: 1)) == nil,
                     "server with your parser: after stop() the port still accepts connections")
    }
}

extension Chapter09Graders {
    /// The index of the first CRLF CRLF, if any.
    static func firstBlankLine(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        return (0...(bytes.count - 4)).first {
            bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10
        }
    }
}
