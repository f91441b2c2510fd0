// HTTPParser: one request from the front of a byte buffer, with limits.
//
//   request  = request-line CRLF *( header-field CRLF ) CRLF [ body ]
//   request-line = method SP request-target SP "HTTP/1." DIGIT
//   header-field = field-name ":" OWS field-value OWS
//
// Two rule sets share this code:
// - `parseRequest` (the server's default, `HTTPServerConfiguration.parser`)
//   follows RFC 9112 for a 1.1 server: absolute-form targets
//   (`POST http://host/v1/predict HTTP/1.1`, §3.2.2) are accepted and
//   reduced to their path; exactly one Host header in HTTP/1.1 (§3.2: none,
//   or two, is 400); request bodies framed by Content-Length or by chunked
//   transfer coding (§7.1, decoded here: hex sizes, extensions and trailers
//   ignored, the decoded size bounded by `maxBodyBytes`, malformed chunks
//   400). A Transfer-Encoding other than chunked is 501; one beside a
//   Content-Length, or in HTTP/1.0, is 400 (§6.1, §6.3: the classic
//   request-smuggling pair is refused, not guessed at).
// - `parse` keeps exercise 9.5's smaller rule set (exercises/09-…/ParseRequest.swift),
//   which its grader checks this function against: origin-form targets only,
//   any Transfer-Encoding 411, Host duplicates not checked.
//
// Contract (both)
// - They return nil while the buffer holds an incomplete request, the
//   request and the bytes it used once complete, or throw `HTTPError`
//   (status and a message naming the problem) for a request the server
//   refuses. After an error the connection is closed: we cannot know where
//   the next request would start.
// - Limits: the head (request line and headers, before the blank line) may
//   use at most `maxHeaderBytes` (431 Request Header Fields Too Large, RFC
//   6585). It is decided as soon as it is certain, before the end is seen,
//   so a client cannot make us buffer an endless header: once the buffer
//   holds maxHeaderBytes + 4 bytes without a CRLFCRLF starting in its first
//   maxHeaderBytes + 1. (Earlier would be wrong: a head of exactly
//   maxHeaderBytes may still be completed, and the answer must not depend on
//   how TCP split the bytes.) A declared Content-Length above `maxBodyBytes`
//   is refused at once (413 Content Too Large) without reading the body; a
//   chunked body as soon as its chunks add up to more.
// - A POST with neither Content-Length nor chunked coding is 411.
// - Strict framing: CRLF line ends, ASCII methods, targets and header names,
//   no control characters in header values (other bytes are read as UTF-8), no obsolete line folding, no space
//   before a header's colon, one Content-Length (or repeated equal values),
//   a Host header in HTTP/1.1: otherwise 400. Versions other than HTTP/1.0
//   and HTTP/1.1 are 505.

import Foundation

/// A request the server refuses before routing it.
public struct HTTPError: Error, Equatable, Sendable, CustomStringConvertible {
    public let status: Int
    public let message: String

    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status) \(HTTPStatus.reason(status)): \(message)" }
}

/// Size limits applied while parsing.
public struct HTTPLimits: Sendable {
    public var maxHeaderBytes: Int
    public var maxBodyBytes: Int

    public init(maxHeaderBytes: Int = 8 * 1024, maxBodyBytes: Int = 1 << 20) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }
}

/// How HTTPServer finds the next request at the front of a connection's
/// buffer, called after every read: nil while more bytes are needed; the
/// request and the number of bytes it used (at least 1, at most the
/// buffer's count) once it is complete; or a thrown `HTTPError`, whose status
/// and message the client gets before the connection is closed.
/// `HTTPParser.parse` is the server's own (the default of
/// `HTTPServerConfiguration.parser`); exercise 9.5 plugs in another.
public typealias HTTPRequestParser = @Sendable (_ buffer: [UInt8], _ limits: HTTPLimits) throws
    -> (request: HTTPRequest, consumed: Int)?

public enum HTTPParser {
    static let crlfcrlf: [UInt8] = [13, 10, 13, 10]

    /// Bytes allowed in a method or header name (RFC 9110 "tchar").
    static let tokenBytes: [Bool] = (0..<256).map { b in
        guard b > 32, b < 127 else { return false }
        return !"\"(),/:;<=>?@[\\]{}".utf8.contains(UInt8(b))
    }

    static func isToken(_ bytes: ArraySlice<UInt8>) -> Bool { !bytes.isEmpty && bytes.allSatisfy { tokenBytes[Int($0)] } }

    static func text(_ bytes: ArraySlice<UInt8>, limit: Int = 60) -> String { String(decoding: bytes.prefix(limit), as: UTF8.self) }

    /// The index where the head's CRLFCRLF starts, searching at most `limit` bytes.
    static func endOfHead(_ buffer: [UInt8], limit: Int) -> Int? {
        let n = min(buffer.count, limit)
        guard n >= 4 else { return nil }
        return buffer.withUnsafeBufferPointer { b -> Int? in
            var i = 0
            while i + 3 < n {
                if b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
                i += 1
            }
            return nil
        }
    }

    /// Which of RFC 9112's rules a parse applies beyond exercise 9.5's (see the file header).
    struct Rules {
        var absoluteForm: Bool
        var singleHost: Bool
        var chunkedBodies: Bool
        static let exercise = Rules(absoluteForm: false, singleHost: false, chunkedBodies: false)
        static let rfc9112 = Rules(absoluteForm: true, singleHost: true, chunkedBodies: true)
    }

    /// The server's parser: one request from the front of `buffer` under RFC
    /// 9112's rules (chunked bodies, absolute-form targets, one Host), or nil
    /// if more bytes are needed.
    /// - Throws: `HTTPError` for a malformed or oversized request.
    public static func parseRequest(_ buffer: [UInt8], limits: HTTPLimits) throws -> (request: HTTPRequest, consumed: Int)? {
        try parse(buffer, limits: limits, rules: .rfc9112)
    }

    /// One request under exercise 9.5's rules (Content-Length bodies only), or nil if more bytes are needed.
    /// - Throws: `HTTPError` for a malformed or oversized request.
    public static func parse(_ buffer: [UInt8], limits: HTTPLimits) throws -> (request: HTTPRequest, consumed: Int)? {
        try parse(buffer, limits: limits, rules: .exercise)
    }

    static func parse(_ buffer: [UInt8], limits: HTTPLimits, rules: Rules) throws -> (request: HTTPRequest, consumed: Int)? {
        guard let end = endOfHead(buffer, limit: limits.maxHeaderBytes + 4) else {
            if buffer.count >= limits.maxHeaderBytes + 4 {
                throw HTTPError(431, "request header exceeds \(limits.maxHeaderBytes) bytes")
            }
            return nil
        }
        // Split the head into lines at CRLF; a CR or LF on its own is refused.
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = 0
        var i = 0
        while i < end {
            let byte = buffer[i]
            if byte == 13 {
                guard buffer[i + 1] == 10 else { throw HTTPError(400, "bare CR or LF in the request header (lines must end in CRLF)") }
                lines.append(buffer[lineStart..<i])
                i += 2
                lineStart = i
                continue
            }
            if byte == 10 { throw HTTPError(400, "bare CR or LF in the request header (lines must end in CRLF)") }
            i += 1
        }
        lines.append(buffer[lineStart..<end])
        var request = try requestLine(lines[0], absoluteForm: rules.absoluteForm)
        for line in lines.dropFirst() {
            if line.first == 32 || line.first == 9 {
                throw HTTPError(400, "obsolete line folding in header line '\(text(line, limit: 40))'")
            }
            guard let colon = line.firstIndex(of: 58) else {
                throw HTTPError(400, "header line without a colon: '\(text(line, limit: 40))'")
            }
            let name = line[line.startIndex..<colon]
            guard isToken(name) else { throw HTTPError(400, "invalid header name '\(text(name, limit: 40))'") }
            var value = line[(colon + 1)...]
            while let first = value.first, first == 32 || first == 9 { value = value.dropFirst() }
            while let last = value.last, last == 32 || last == 9 { value = value.dropLast() }
            if value.contains(where: { ($0 < 32 && $0 != 9) || $0 == 127 }) {
                throw HTTPError(400, "control character in the value of header '\(text(name, limit: 40))'")
            }
            request.headers.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        if request.minorVersion == 1 && request.header("Host") == nil {
            throw HTTPError(400, "missing Host header (required in HTTP/1.1)")
        }
        if rules.singleHost && request.headers.filter({ $0.name.caseInsensitiveCompare("Host") == .orderedSame }).count > 1 {
            throw HTTPError(400, "more than one Host header (RFC 9112 §3.2 allows exactly one)")
        }
        if rules.chunkedBodies, try transferCoding(request) != nil {
            guard let (body, used) = try ChunkedBody.decode(buffer, from: end + 4, limits: limits) else { return nil }
            request.body = body
            return (request, used)
        }
        if request.header("Transfer-Encoding") != nil {
            throw HTTPError(411, "chunked or other transfer-encoded request bodies are not supported; send Content-Length")
        }
        let length = try contentLength(request)
        if length == nil && request.method == "POST" {
            throw HTTPError(411, "a POST needs a Content-Length header")
        }
        let bodyLength = length ?? 0
        if bodyLength > limits.maxBodyBytes {
            throw HTTPError(413, "request body of \(bodyLength) bytes exceeds the limit of \(limits.maxBodyBytes) bytes")
        }
        let total = end + 4 + bodyLength
        guard buffer.count >= total else { return nil }
        request.body = Array(buffer[(end + 4)..<total])
        return (request, total)
    }

    static func requestLine(_ line: ArraySlice<UInt8>, absoluteForm: Bool = false) throws -> HTTPRequest {
        let parts = line.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw HTTPError(400, "malformed request line '\(text(line))' (expected METHOD SP /path SP HTTP/1.1)")
        }
        let method = parts[0], version = parts[2]
        var target = parts[1]
        guard isToken(method) else { throw HTTPError(400, "invalid method '\(text(method, limit: 20))'") }
        if absoluteForm, let path = try originForm(ofAbsolute: target) { target = path }
        guard target.first == UInt8(ascii: "/"), target.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw HTTPError(400, "invalid request target '\(text(target))' (expected an absolute path)")
        }
        let versionText = String(decoding: version, as: UTF8.self)
        guard versionText.hasPrefix("HTTP/") else { throw HTTPError(400, "invalid protocol '\(text(version, limit: 20))'") }
        let minor: Int
        switch versionText {
        case "HTTP/1.1": minor = 1
        case "HTTP/1.0": minor = 0
        default: throw HTTPError(505, "\(versionText.prefix(20)) is not supported; use HTTP/1.1")
        }
        return HTTPRequest(method: String(decoding: method, as: UTF8.self), target: String(decoding: target, as: UTF8.self),
                           minorVersion: minor)
    }

    /// The path and query of an absolute-form target (`http://host:port/path?q`,
    /// RFC 9112 §3.2.2), "/" if it has none; nil if the target is not absolute-form.
    static func originForm(ofAbsolute target: ArraySlice<UInt8>) throws -> ArraySlice<UInt8>? {
        let lower = String(decoding: target.prefix(8), as: UTF8.self).lowercased()
        let scheme = lower.hasPrefix("http://") ? 7 : lower.hasPrefix("https://") ? 8 : 0
        guard scheme > 0 else { return nil }
        let rest = target.dropFirst(scheme)
        let authorityEnd = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? rest.endIndex
        guard authorityEnd > rest.startIndex, rest[rest.startIndex..<authorityEnd].allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw HTTPError(400, "invalid request target '\(text(target))' (an absolute URL needs a host)")
        }
        let path = rest[authorityEnd...]
        if path.isEmpty { return ArraySlice(Array("/".utf8)) }
        if path.first == UInt8(ascii: "?") { return ArraySlice(Array("/".utf8) + path) }
        return path
    }

    /// The request's transfer coding if it has one: "chunked" (the only one
    /// this server decodes), after the checks of RFC 9112 §6.1 and §6.3.
    static func transferCoding(_ request: HTTPRequest) throws -> String? {
        let values = request.headers.filter { $0.name.caseInsensitiveCompare("Transfer-Encoding") == .orderedSame }.map(\.value)
        guard !values.isEmpty else { return nil }
        if request.minorVersion == 0 {
            throw HTTPError(400, "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1: the framing is faulty)")
        }
        if request.header("Content-Length") != nil {
            throw HTTPError(400, "both Transfer-Encoding and Content-Length (RFC 9112 §6.3: refused, a request-smuggling hazard)")
        }
        let codings = values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard codings.last == "chunked" else {
            throw HTTPError(400, "Transfer-Encoding '\(values.joined(separator: ", ").prefix(40))' does not end in chunked, so the "
                + "body's length cannot be known (RFC 9112 §6.3)")
        }
        guard codings.count == 1 else {
            throw HTTPError(501, "transfer coding '\(codings.dropLast().joined(separator: ", ").prefix(40))' is not implemented; "
                + "send the body with chunked alone or with Content-Length")
        }
        return "chunked"
    }

    static func contentLength(_ request: HTTPRequest) throws -> Int? {
        let values = request.headers.filter { $0.name.caseInsensitiveCompare("Content-Length") == .orderedSame }.map(\.value)
        guard let first = values.first else { return nil }
        guard values.allSatisfy({ $0 == first }) else {
            throw HTTPError(400, "conflicting Content-Length headers")
        }
        guard !first.isEmpty, first.utf8.count <= 18, first.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(first) else {
            throw HTTPError(400, "invalid Content-Length '\(first.prefix(20))'")
        }
        return n
    }
}

extension HTTPParser {
    /// True when the buffer holds a complete HTTP/1.1 head with an `Expect:
    /// 100-continue` header (curl sends it before larger bodies and waits for
    /// "100 Continue"). The name compares case-insensitively and the value is
    /// trimmed of optional whitespace (RFC 9110 §10.1.1: `Expect:100-continue`
    /// is the same header); a 1.0 client never gets a 100 (RFC 9110 §15.2).
    static func expectsContinue(_ buffer: [UInt8]) -> Bool {
        guard let end = endOfHead(buffer, limit: buffer.count) else { return false }
        let lines = buffer[0..<end].split(separator: 10).map { $0.last == 13 ? $0.dropLast() : $0 }
        guard let first = lines.first, first.suffix(8).elementsEqual("HTTP/1.1".utf8) else { return false }
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: 58) else { continue }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            guard name.caseInsensitiveCompare("Expect") == .orderedSame else { continue }
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            if value.lowercased() == "100-continue" { return true }
        }
        return false
    }
}
