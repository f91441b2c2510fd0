// HTTPParser: one request from the front of a byte buffer, with limits.
//
//   request  = request-line CRLF *( header-field CRLF ) CRLF [ body ]
//   request-line = method SP request-target SP "HTTP/1." DIGIT
//   header-field = field-name ":" OWS field-value OWS
//
// Contract
// - `parse` returns nil while the buffer holds an incomplete request, the
//   request and the bytes it used once complete, or throws `HTTPError`
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
//   is refused at once (413 Content Too Large) without reading the body.
// - Bodies are framed by Content-Length only. Chunked request bodies (any
//   Transfer-Encoding) are refused with 411 Length Required: JSON requests
//   are small and their length is known, and not decoding chunks removes a
//   classic request-smuggling hazard. A POST without Content-Length is 411.
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

    /// One request from the front of `buffer`, or nil if more bytes are needed.
    /// - Throws: `HTTPError` for a malformed or oversized request.
    public static func parse(_ buffer: [UInt8], limits: HTTPLimits) throws -> (request: HTTPRequest, consumed: Int)? {
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
        var request = try requestLine(lines[0])
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

    static func requestLine(_ line: ArraySlice<UInt8>) throws -> HTTPRequest {
        let parts = line.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw HTTPError(400, "malformed request line '\(text(line))' (expected METHOD SP /path SP HTTP/1.1)")
        }
        let method = parts[0], target = parts[1], version = parts[2]
        guard isToken(method) else { throw HTTPError(400, "invalid method '\(text(method, limit: 20))'") }
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
    /// True when the buffer holds a complete head with `Expect: 100-continue`
    /// (curl sends it before larger bodies and waits for "100 Continue").
    static func expectsContinue(_ buffer: [UInt8]) -> Bool {
        guard let end = endOfHead(buffer, limit: buffer.count) else { return false }
        return String(decoding: buffer[0..<end], as: UTF8.self).lowercased().contains("\r\nexpect: 100-continue")
    }
}
