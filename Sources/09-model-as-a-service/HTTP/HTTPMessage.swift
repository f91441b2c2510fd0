// HTTP/1.1 messages as the server sees them (RFC 9110, RFC 9112): a parsed
// request, and a response that serialises itself into one buffer (head and
// body written with a single send, so small responses leave in one packet).
//
// Contract
// - Header names compare case-insensitively; values are kept as sent, minus
//   surrounding spaces.
// - A request keeps its connection open by default in HTTP/1.1 and closes
//   it by default in HTTP/1.0; `Connection: close` / `keep-alive` override.
// - Every response carries a Date (RFC 9110 §6.6.1, IMF-fixdate), its
//   framing — Content-Length, or for a stream chunked Transfer-Encoding to
//   HTTP/1.1 clients and the connection's close to HTTP/1.0 clients (RFC
//   9112 §6.1, §6.3) — and a Connection header saying what the server will
//   do. The server decides framing (ResponseWriter.swift); a handler's own
//   Content-Length, Transfer-Encoding, Connection or Date headers are dropped.
// - A response to HEAD is the GET response's head, Content-Length included,
//   without the body (RFC 9110 §9.3.2).

import BackpropCore
import Foundation

/// One parsed request.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request target as sent, e.g. "/v1/predict?verbose=1".
    public var target: String
    /// HTTP/1.x: the minor version (0 or 1).
    public var minorVersion: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, target: String, minorVersion: Int = 1,
                headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.headers = headers
        self.body = body
    }

    /// When the server had read the whole request (DispatchTime uptime, ns;
    /// 0 if not set): the start of its latency and time-to-first-token.
    public var receivedAt: UInt64 = 0

    /// True once the client has closed its connection (set by HTTPServer: a
    /// poll of the socket, about a microsecond). Long work checks it between
    /// steps and stops: nobody will read the answer.
    public var isCancelled: @Sendable () -> Bool = { false }

    /// The target without its query string.
    public var path: String { String(target.prefix { $0 != "?" }) }

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Whether the client wants the connection kept open after this request.
    public var wantsKeepAlive: Bool {
        let tokens = (header("Connection") ?? "").lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if tokens.contains("close") { return false }
        return minorVersion >= 1 || tokens.contains("keep-alive")
    }
}

/// One response: status, headers, body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response (`Content-Type: application/json`).
    public static func json(_ status: Int, _ value: JSONValue, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers,
                     body: Array((value.rendered + "\n").utf8))
    }

    /// `{"error": message}` with the given status.
    public static func error(_ status: Int, _ message: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        json(status, .object([("error", .string(message))]), headers: headers)
    }

    /// Header names the server sets itself (a handler's own are dropped).
    static let framingHeaders: Set<String> = ["content-length", "transfer-encoding", "connection", "date"]

    /// The status line and headers, ending in the blank line, for a body
    /// framed as `framing`.
    public func head(framing: BodyFraming, keepAlive: Bool, date: String = HTTPDate.now()) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(HTTPStatus.reason(status))\r\n"
        for (name, value) in headers where !Self.framingHeaders.contains(name.lowercased()) { text += "\(name): \(value)\r\n" }
        text += "Date: \(date)\r\n"
        switch framing {
        case .length(let n): text += "Content-Length: \(n)\r\n"
        case .chunked: text += "Transfer-Encoding: chunked\r\n"
        case .untilClose: break
        }
        text += "Connection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n"
        return Array(text.utf8)
    }

    /// Head (with Content-Length) and body in one buffer; `headOnly` for a HEAD request.
    public func serialized(keepAlive: Bool, headOnly: Bool = false) -> [UInt8] {
        let head = head(framing: .length(body.count), keepAlive: keepAlive)
        return headOnly ? head : head + body
    }
}

/// How a response's body is delimited (RFC 9112 §6.3).
public enum BodyFraming: Sendable, Equatable {
    /// `Content-Length: n`.
    case length(Int)
    /// `Transfer-Encoding: chunked` (HTTP/1.1 clients only).
    case chunked
    /// No length: the body ends when the server closes the connection (HTTP/1.0 streams).
    case untilClose
}

/// Reason phrases for the statuses this server sends.
public enum HTTPStatus {
    public static func reason(_ code: Int) -> String {
        switch code {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 422: return "Unprocessable Content"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 499: return "Client Closed Request"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(code)"
        }
    }
}
