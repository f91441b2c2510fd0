// ResponseWriter: how one reply goes onto the wire, apart from how bytes
// reach the socket. HTTPServer's connection threads hand it a `send`
// function; an event loop could hand it one that queues bytes instead.
//
// Framing (RFC 9112 §6.1, §6.3; RFC 9110 §9.3.2)
// - A complete response carries Content-Length. To a HEAD request it is the
//   same head (the length of the body a GET would get) with no body.
// - A streamed response goes to an HTTP/1.1 client in chunks
//   (`size-in-hex CRLF bytes CRLF`, then `0 CRLF CRLF`); an HTTP/1.0 client
//   cannot decode chunks, so it gets the bytes as they are, no length, and
//   the end of the body is the server closing the connection.
// - Every head carries a Date in IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`,
//   RFC 9110 §5.6.7).

import Foundation
import Glibc

/// Writes a streamed body, one piece per call, framed as the head said. The
/// response head goes out with the first piece (or with the end).
public final class ChunkWriter {
    let framing: BodyFraming
    let discard: Bool
    private let send: ([UInt8]) throws -> Void
    private var pendingHead: [UInt8]?
    /// Body bytes gathered by `append`, not yet sent.
    private var gathered: [UInt8] = []
    /// Body bytes written so far (payload, without chunk framing).
    public private(set) var bodyBytes = 0

    init(head: [UInt8], framing: BodyFraming, discard: Bool = false, send: @escaping ([UInt8]) throws -> Void) {
        self.framing = framing
        self.discard = discard
        self.send = send
        pendingHead = head
    }

    /// Sends `bytes` (nothing for an empty array: an empty chunk ends a chunked body).
    /// - Throws: `SocketError` when the client has gone away.
    public func write(_ bytes: [UInt8]) throws {
        try flush()
        try send(body: bytes)
    }

    /// Gathers `bytes` to be sent by the next `flush` or `write` (as one
    /// chunk): a stream of small events costs one system call, and one
    /// segment for the client to read, per group instead of per event.
    public func append(_ bytes: [UInt8]) {
        gathered += bytes
    }

    /// Sends what `append` gathered (nothing if nothing waits).
    /// - Throws: `SocketError` when the client has gone away.
    public func flush() throws {
        guard !gathered.isEmpty else { return }
        let bytes = gathered
        gathered.removeAll(keepingCapacity: true)
        try send(body: bytes)
    }

    private func send(body bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        bodyBytes += bytes.count
        if discard { return try flushHead() }
        switch framing {
        case .chunked: try send(takeHead() + Array((String(bytes.count, radix: 16) + "\r\n").utf8) + bytes + [13, 10])
        default: try send(takeHead() + bytes)
        }
    }

    /// Ends the body: the terminating empty chunk, or nothing (the connection's close ends it).
    func finish() throws {
        try flush()
        if framing == .chunked && !discard { try send(takeHead() + Array("0\r\n\r\n".utf8)) } else { try flushHead() }
    }

    private func flushHead() throws {
        let head = takeHead()
        if !head.isEmpty { try send(head) }
    }

    private func takeHead() -> [UInt8] {
        defer { pendingHead = nil }
        return pendingHead ?? []
    }
}

/// What was sent for one request: for metrics and the access log.
public struct HTTPExchange: Sendable {
    public var method: String
    public var target: String
    public var minorVersion: Int
    public var status: Int
    /// Body bytes sent (without head or chunk framing).
    public var bodyBytes: Int
    /// From the complete request to the last byte of the response.
    public var seconds: Double
    /// False when the client went away before the whole response was sent.
    public var completed: Bool
    /// The client's address, "ip:port" or "[ip]:port".
    public var peer: String
}

enum ResponseWriter {
    /// The outcome of writing one reply.
    struct Outcome {
        var status: Int
        var bodyBytes: Int
        var keepAlive: Bool
        var completed: Bool
    }

    /// Writes `reply` to `request` with `send`. `keepAlive` is what the
    /// client asked for and the server allows; a close-delimited stream turns it off.
    static func write(_ reply: HTTPReply, for request: HTTPRequest, keepAlive: Bool,
                      send: @escaping ([UInt8]) throws -> Void) -> Outcome {
        let headOnly = request.method == "HEAD"
        switch reply {
        case .response(let response):
            do {
                try send(response.serialized(keepAlive: keepAlive, headOnly: headOnly))
                return Outcome(status: response.status, bodyBytes: headOnly ? 0 : response.body.count, keepAlive: keepAlive, completed: true)
            } catch {
                return Outcome(status: response.status, bodyBytes: 0, keepAlive: false, completed: false)
            }
        case .stream(let head, let produce):
            let framing: BodyFraming = request.minorVersion >= 1 ? .chunked : .untilClose
            let keep = keepAlive && framing == .chunked
            let writer = ChunkWriter(head: head.head(framing: framing, keepAlive: keep), framing: framing, discard: headOnly, send: send)
            do {
                try produce(writer)
                try writer.finish()
                return Outcome(status: head.status, bodyBytes: writer.bodyBytes, keepAlive: keep, completed: true)
            } catch {
                return Outcome(status: head.status, bodyBytes: writer.bodyBytes, keepAlive: false, completed: false)
            }
        }
    }
}

/// HTTP dates (RFC 9110 §5.6.7).
public enum HTTPDate {
    static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT` for a time in seconds since 1970.
    public static func imfFixdate(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var tm = Glibc.tm()
        gmtime_r(&t, &tm)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(tm.tm_year + 1900) "
            + "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
    }

    /// The current time as IMF-fixdate.
    public static func now() -> String { imfFixdate(Int(Date().timeIntervalSince1970)) }
}
