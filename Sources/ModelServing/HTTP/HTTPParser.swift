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
// - Limits: the head (request line and headers) may use at most
//   `maxHeaderBytes` (413 when exceeded, checked before the end is seen, so a
//   client cannot make us buffer an endless header); a declared
//   Content-Length above `maxBodyBytes` is refused at once (413) without
//   reading the body.
// - Bodies are framed by Content-Length only. Chunked request bodies (any
//   Transfer-Encoding) are refused with 411 Length Required: JSON requests
//   are small and their length is known, and not decoding chunks removes a
//   classic request-smuggling hazard. A POST without Content-Length is 411.
// - Strict framing: CRLF line ends, no obsolete line folding, no space
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

public enum HTTPParser {
    static let crlfcrlf: [UInt8] = [13, 10, 13, 10]

    /// Characters allowed in a method or header name (RFC 9110 "tchar").
    static func isTokenCharacter(_ c: Character) -> Bool {
        guard c.isASCII, let v = c.asciiValue, v > 32, v < 127 else { return false }
        return !"\"(),/:;<=>?@[\\]{}".contains(c)
    }

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
            if buffer.count > limits.maxHeaderBytes {
                throw HTTPError(413, "request header exceeds \(limits.maxHeaderBytes) bytes")
            }
            return nil
        }
        guard let head = String(bytes: buffer[0..<end], encoding: .utf8) else {
            throw HTTPError(400, "request header is not valid UTF-8 text")
        }
        let lines = head.components(separatedBy: "\r\n")
        if lines.contains(where: { $0.contains("\r") || $0.contains("\n") }) {
            throw HTTPError(400, "bare CR or LF in the request header (lines must end in CRLF)")
        }
        var request = try requestLine(lines[0])
        for line in lines.dropFirst() {
            if line.first == " " || line.first == "\t" {
                throw HTTPError(400, "obsolete line folding in header line '\(line.prefix(40))'")
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw HTTPError(400, "header line without a colon: '\(line.prefix(40))'")
            }
            let name = String(line[..<colon])
            guard !name.isEmpty, name.allSatisfy(isTokenCharacter) else {
                throw HTTPError(400, "invalid header name '\(name.prefix(40))'")
            }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            request.headers.append((name, value))
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

    static func requestLine(_ line: String) throws -> HTTPRequest {
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw HTTPError(400, "malformed request line '\(line.prefix(60))' (expected METHOD SP /path SP HTTP/1.1)")
        }
        let method = String(parts[0]), target = String(parts[1]), version = String(parts[2])
        guard !method.isEmpty, method.allSatisfy(isTokenCharacter) else {
            throw HTTPError(400, "invalid method '\(method.prefix(20))'")
        }
        guard target.hasPrefix("/"), target.allSatisfy({ $0.isASCII && $0 > " " && $0 != "\u{7F}" }) else {
            throw HTTPError(400, "invalid request target '\(target.prefix(60))' (expected an absolute path)")
        }
        guard version.hasPrefix("HTTP/") else { throw HTTPError(400, "invalid protocol '\(version.prefix(20))'") }
        let minor: Int
        switch version {
        case "HTTP/1.1": minor = 1
        case "HTTP/1.0": minor = 0
        default: throw HTTPError(505, "\(version.prefix(20)) is not supported; use HTTP/1.1")
        }
        return HTTPRequest(method: method, target: target, minorVersion: minor)
    }

    static func contentLength(_ request: HTTPRequest) throws -> Int? {
        let values = request.headers.filter { $0.name.caseInsensitiveCompare("Content-Length") == .orderedSame }.map(\.value)
        guard let first = values.first else { return nil }
        guard values.allSatisfy({ $0 == first }) else {
            throw HTTPError(400, "conflicting Content-Length headers")
        }
        guard !first.isEmpty, first.count <= 18, first.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(first) else {
            throw HTTPError(400, "invalid Content-Length '\(first.prefix(20))'")
        }
        return n
    }
}

extension HTTPParser {
    /// True when the buffer holds a complete head with `Expect: 100-continue`
    /// (curl sends it before larger bodies and waits for "100 Continue").
    static func expectsContinue(_ buffer: [UInt8]) -> Bool {
        guard let end = endOfHead(buffer, limit: buffer.count),
              let head = String(bytes: buffer[0..<end], encoding: .utf8)?.lowercased() else { return false }
        return head.contains("\r\nexpect: 100-continue")
    }
}
