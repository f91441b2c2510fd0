// HTTPClient: a small HTTP/1.1 client over one keep-alive connection, for
// the tests and `backprop bench serve` (and for reading the server's
// protocol from the other side).
//
// Contract
// - Every wait is bounded by `timeout` seconds: a server that never answers
//   makes a call throw `HTTPClientError.timeout`, never hang.
// - Responses are framed by Content-Length, chunked Transfer-Encoding, or
//   the server closing the connection; chunked bodies are returned decoded.
// - `send(raw:)` writes arbitrary bytes (malformed requests for the tests).

import Foundation

public enum HTTPClientError: Error, CustomStringConvertible, Equatable {
    case timeout(Double)
    case closed
    case malformed(String)

    public var description: String {
        switch self {
        case .timeout(let s): return "no complete response within \(s) s"
        case .closed: return "the server closed the connection before a complete response"
        case .malformed(let why): return "malformed response: \(why)"
        }
    }
}

/// One response as the client read it.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// When the first chunk of a chunked body arrived (a stream's first event: `bench serve`'s time to first token).
    public var firstChunkAt: DispatchTime?

    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as a JSON object (nil if it is not one).
    public var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
}

public final class HTTPClient {
    public let host: String
    public let port: Int
    public let timeout: Double
    private var fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to host:port.
    public init(host: String = "127.0.0.1", port: Int, timeout: Double = 5) throws {
        self.host = host
        self.port = port
        self.timeout = timeout
        fd = try Socket.connect(host: host, port: port)
    }

    deinit { if fd >= 0 { Socket.close(fd) } }

    public func close() {
        if fd >= 0 { Socket.close(fd) }
        fd = -1
    }

    /// Writes bytes as they are.
    public func send(raw bytes: [UInt8]) throws { try Socket.sendAll(fd, bytes) }

    public func send(raw text: String) throws { try send(raw: Array(text.utf8)) }

    /// Sends one request and reads its response.
    public func request(_ method: String, _ path: String, body: String? = nil,
                        headers: [(String, String)] = []) throws -> HTTPClientResponse {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: \(Socket.display(host: host, port: port))\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        let bytes = Array((body ?? "").utf8)
        if body != nil { text += "Content-Type: application/json\r\nContent-Length: \(bytes.count)\r\n" }
        try send(raw: Array((text + "\r\n").utf8) + bytes)
        return try readResponse(bodyless: method == "HEAD")
    }

    /// POSTs a JSON body.
    public func post(_ path: String, json: String) throws -> HTTPClientResponse { try request("POST", path, body: json) }

    public func get(_ path: String) throws -> HTTPClientResponse { try request("GET", path) }

    /// True if the server has closed this connection (reads end-of-stream
    /// within `seconds`).
    public func serverClosed(within seconds: Double) -> Bool {
        let until = Date().addingTimeInterval(seconds)
        while Date() < until {
            guard Socket.waitReadable(fd, seconds: until.timeIntervalSinceNow) else { return false }
            if Socket.receive(fd, into: &buffer) <= 0 { return true }
        }
        return false
    }

    // MARK: reading

    private func fill(until deadline: Date) throws {
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0, Socket.waitReadable(fd, seconds: remaining) else { throw HTTPClientError.timeout(timeout) }
        if Socket.receive(fd, into: &buffer) <= 0 { throw HTTPClientError.closed }
    }

    private func line(until deadline: Date) throws -> String {
        while true {
            if let i = buffer.firstIndex(of: 10), i > 0, buffer[i - 1] == 13 {
                let text = String(decoding: buffer[0..<(i - 1)], as: UTF8.self)
                buffer.removeFirst(i + 1)
                return text
            }
            try fill(until: deadline)
        }
    }

    private func bytes(_ count: Int, until deadline: Date) throws -> [UInt8] {
        while buffer.count < count { try fill(until: deadline) }
        let out = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return out
    }

    /// Reads one response (skipping interim 1xx responses); `bodyless` for
    /// the answer to a HEAD request (its Content-Length describes a body not sent).
    public func readResponse(bodyless: Bool = false) throws -> HTTPClientResponse {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let status = try line(until: deadline)
            let parts = status.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]) else {
                throw HTTPClientError.malformed("status line '\(status.prefix(60))'")
            }
            var headers: [(name: String, value: String)] = []
            while true {
                let h = try line(until: deadline)
                if h.isEmpty { break }
                guard let colon = h.firstIndex(of: ":") else { throw HTTPClientError.malformed("header '\(h.prefix(60))'") }
                headers.append((String(h[..<colon]), h[h.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            if code < 200 { continue }
            var response = HTTPClientResponse(status: code, headers: headers, body: [])
            if bodyless { return response }
            if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
                while true {
                    let sizeLine = try line(until: deadline)
                    guard let size = Int(sizeLine.prefix { $0 != ";" }, radix: 16) else {
                        throw HTTPClientError.malformed("chunk size '\(sizeLine.prefix(20))'")
                    }
                    if size == 0 { _ = try line(until: deadline); break }
                    response.body += try bytes(size, until: deadline)
                    if response.firstChunkAt == nil { response.firstChunkAt = .now() }
                    _ = try bytes(2, until: deadline)
                }
            } else if let length = response.header("Content-Length").flatMap({ Int($0) }) {
                response.body = try bytes(length, until: deadline)
            } else {
                while true {
                    do { try fill(until: deadline) } catch HTTPClientError.closed { break }
                }
                response.body = buffer
                buffer = []
            }
            return response
        }
    }
}
