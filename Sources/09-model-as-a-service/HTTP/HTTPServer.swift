// HTTPServer: accepts connections and speaks HTTP/1.1 on them; what to
// answer is the handler's business (ModelServer supplies the routes).
//
// Threads
// - One accept thread polls the listening socket (waking every 50 ms to see
//   whether `stop` was called) and accepts connections.
// - Each accepted connection gets its own thread, which reads requests,
//   calls the handler and writes responses until the client closes, asks
//   to close, times out, or sends something malformed. Blocking reads on a
//   thread per connection keep the code straight-line; the cost is a thread
//   (and its stack) per open connection, so their number is bounded by
//   `maxConnections`. Beyond it a new connection is answered 503 at once
//   (on Dispatch's global pool, at most 32 such answers at a time; beyond
//   that, excess connections are closed unanswered) and closed.
// - Heavy work is not done on connection threads: the handler hands it to
//   bounded queues (DynamicBatcher, AdmissionGate) that answer 503 when full.
//
// Limits and timeouts (defaults in `HTTPServerConfiguration`)
// - Header and body sizes: see HTTPParser (431, 413).
//
// The parser is pluggable (`HTTPServerConfiguration.parser`,
// HTTPParser.parseRequest by default; exercise 9.5 plugs in a student's) and not trusted: a parser
// that throws anything but an `HTTPError`, or claims to have used no bytes
// or more bytes than the buffer holds, gets the client a 500 and the
// connection closed, never a crash of the server.
// - `readTimeout`: a request must arrive completely within this many
//   seconds of the server starting to wait for it. A client that sent part
//   of a request gets 408 and is disconnected; an idle keep-alive connection
//   is closed silently. Sends give up after the same time (SO_SNDTIMEO).
//
// Graceful stop
// - `stop()` stops accepting, lets every request already received finish
//   and be answered (with `Connection: close`), closes idle connections, and
//   returns when all connection threads have ended, or after `drainTimeout`
//   seconds, when the remaining sockets are shut down.

import BackpropCore
import Dispatch
import Foundation

/// What a handler answers to one request.
public enum HTTPReply: Sendable {
    /// A complete response.
    case response(HTTPResponse)
    /// A streamed response: the head (which must say `Transfer-Encoding:
    /// chunked`) goes out with the first chunk `produce` writes. `produce` is
    /// always called, even if the client has gone (its first write then throws).
    case stream(HTTPResponse, produce: @Sendable (ChunkWriter) throws -> Void)
}

/// Connection-level settings.
public struct HTTPServerConfiguration: Sendable {
    public var limits = HTTPLimits()
    /// Seconds for a whole request to arrive (408 after), and for idle keep-alive.
    public var readTimeout = 10.0
    /// Open connections at most; more are answered 503.
    public var maxConnections = 256
    /// Seconds `stop()` waits for in-flight requests before cutting connections.
    public var drainTimeout = 10.0
    /// Finds each request in a connection's bytes (see `HTTPRequestParser`).
    public var parser: HTTPRequestParser = HTTPParser.parseRequest
    /// Called once per request after its response was written (or the client
    /// left), and for each request refused by the parser: metrics, access log.
    public var observer: (@Sendable (HTTPExchange) -> Void)?

    public init() {}
}

/// Counters for a running server.
public struct HTTPServerStatistics: Sendable {
    public var connectionsAccepted = 0
    public var connectionsRejected = 0
    public var requests = 0
}

public final class HTTPServer: @unchecked Sendable {
    public let configuration: HTTPServerConfiguration
    let handler: @Sendable (HTTPRequest) -> HTTPReply

    private let lock = NSLock()
    private var stopping = false
    private var listener: Int32 = -1
    private var openConnections: Set<Int32> = []
    private var stats = HTTPServerStatistics()
    /// Refusals being answered now; beyond `maxRejecting`, excess connections are closed unanswered.
    private var rejecting = 0
    static let maxRejecting = 32
    private let connections = DispatchGroup()
    private let acceptLoopDone = DispatchSemaphore(value: 0)
    public private(set) var port: Int?

    public init(configuration: HTTPServerConfiguration = .init(), handler: @escaping @Sendable (HTTPRequest) -> HTTPReply) {
        self.configuration = configuration
        self.handler = handler
    }

    /// True once `stop` has been called.
    public var isStopping: Bool { lock.withLock { stopping } }

    public var statistics: HTTPServerStatistics { lock.withLock { stats } }

    /// Connections open now.
    public var openConnectionCount: Int { lock.withLock { openConnections.count } }

    /// Binds host:port (0 = an ephemeral port), starts the accept thread and
    /// returns the port bound.
    /// - Throws: `SocketError` (address in use, bad host…).
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0) throws -> Int {
        precondition(self.port == nil, "HTTPServer.start called twice")
        let (fd, bound) = try Socket.listen(host: host, port: port)
        listener = fd
        self.port = bound
        signal(SIGPIPE, SIG_IGN)  // belt and braces: sends already use MSG_NOSIGNAL
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "http-accept"
        thread.start()
        return bound
    }

    /// Stops gracefully (see the file header). Safe to call more than once.
    public func stop() {
        let first: Bool = lock.withLock {
            defer { stopping = true }
            return !stopping
        }
        guard first, port != nil else { return }
        acceptLoopDone.wait()
        if connections.wait(timeout: .now() + configuration.drainTimeout) == .timedOut {
            lock.withLock { for fd in openConnections { Socket.shutdownBoth(fd) } }
            _ = connections.wait(timeout: .now() + 2)
        }
    }

    private func acceptLoop() {
        while !isStopping {
            guard Socket.waitReadable(listener, seconds: 0.05), let fd = Socket.accept(listener) else { continue }
            let admitted: Bool = lock.withLock {
                guard openConnections.count < configuration.maxConnections else {
                    stats.connectionsRejected += 1
                    return false
                }
                openConnections.insert(fd)
                stats.connectionsAccepted += 1
                return true
            }
            if !admitted && lock.withLock({ rejecting >= Self.maxRejecting }) {
                Socket.close(fd)  // a flood: do not even answer
                continue
            }
            connections.enter()
            if admitted {
                let thread = Thread { [self] in
                    serve(fd, peer: Socket.peerName(fd))
                    lock.withLock { _ = openConnections.remove(fd) }
                    Socket.close(fd)
                    connections.leave()
                }
                thread.stackSize = 1 << 20
                thread.start()
            } else {
                let limit = configuration.maxConnections
                lock.withLock { rejecting += 1 }
                DispatchQueue.global().async { [self] in
                    // Read what the client sent, so closing does not reset the connection before it reads our answer.
                    if Socket.waitReadable(fd, seconds: 0.1) { var sink: [UInt8] = []; _ = Socket.receive(fd, into: &sink) }
                    let response = HTTPResponse.error(503, "the server is at its limit of \(limit) open connections; retry later",
                                                      headers: [("Retry-After", "1")])
                    try? Socket.sendAll(fd, response.serialized(keepAlive: false))
                    Socket.shutdownWrite(fd)
                    drain(fd)
                    Socket.close(fd)
                    lock.withLock { rejecting -= 1 }
                    connections.leave()
                }
            }
        }
        Socket.close(listener)
        acceptLoopDone.signal()
    }

    /// Serves requests on one connection until it should close. (The caller closes fd.)
    private func serve(_ fd: Int32, peer: String) {
        Socket.setNoDelay(fd)
        Socket.setSendTimeout(fd, seconds: configuration.readTimeout)
        var buffer: [UInt8] = []
        while true {
            // 1. Read one complete request, within the read timeout.
            let deadline = Date().addingTimeInterval(configuration.readTimeout)
            var sentContinue = false
            var parsed: HTTPRequest?
            while parsed == nil {
                do {
                    if let (request, used) = try configuration.parser(buffer, configuration.limits) {
                        guard used >= 1 && used <= buffer.count else {
                            throw HTTPError(500, "internal error: the request parser used \(used) bytes of a buffer of "
                                + "\(buffer.count)")
                        }
                        parsed = request
                        buffer.removeFirst(used)
                        break
                    }
                } catch {
                    let response = (error as? HTTPError).map { HTTPResponse.error($0.status, $0.message) }
                        ?? HTTPResponse.error(500, "internal error: the request parser threw \(error)")
                    try? Socket.sendAll(fd, response.serialized(keepAlive: false))
                    configuration.observer?(HTTPExchange(method: "-", target: "-", minorVersion: 1, status: response.status,
                                                         bodyBytes: response.body.count, seconds: 0, completed: true, peer: peer))
                    Socket.shutdownWrite(fd)
                    return drain(fd)
                }
                if buffer.isEmpty && isStopping { return }
                if !sentContinue && HTTPParser.expectsContinue(buffer) {
                    sentContinue = true
                    try? Socket.sendAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                }
                let remaining = deadline.timeIntervalSinceNow
                if remaining <= 0 {
                    guard !buffer.isEmpty else { return }  // idle keep-alive: just close
                    let seconds = configuration.readTimeout
                    let response = HTTPResponse.error(408, "the request did not arrive completely within \(seconds) s")
                    try? Socket.sendAll(fd, response.serialized(keepAlive: false))
                    configuration.observer?(HTTPExchange(method: "-", target: "-", minorVersion: 1, status: 408,
                                                         bodyBytes: response.body.count, seconds: seconds, completed: true, peer: peer))
                    Socket.shutdownWrite(fd)
                    return drain(fd)
                }
                if Socket.waitReadable(fd, seconds: min(remaining, 0.05)) {
                    if Socket.receive(fd, into: &buffer) <= 0 { return }  // peer closed or error
                }
            }
            guard var request = parsed else { return }
            request.receivedAt = DispatchTime.now().uptimeNanoseconds
            lock.withLock { stats.requests += 1 }

            // 2. Answer it, framed for this request (ResponseWriter).
            let reply = handler(request)
            let keepAlive = request.wantsKeepAlive && !isStopping  // decided after the work: a stop may have begun meanwhile
            let outcome = ResponseWriter.write(reply, for: request, keepAlive: keepAlive) { try Socket.sendAll(fd, $0) }
            if let observer = configuration.observer {
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - request.receivedAt) / 1e9
                observer(HTTPExchange(method: request.method, target: request.target, minorVersion: request.minorVersion,
                                      status: outcome.status, bodyBytes: outcome.bodyBytes, seconds: seconds,
                                      completed: outcome.completed, peer: peer))
            }
            if !outcome.completed { return }
            if !outcome.keepAlive {
                Socket.shutdownWrite(fd)  // a close-delimited body ends here; the client reads end-of-stream
                return drain(fd)
            }
        }
    }

    /// After a last response (and a half-close): read and drop what the client
    /// still sends for a moment, so it receives our answer instead of a reset.
    private func drain(_ fd: Int32) {
        let until = Date().addingTimeInterval(0.5)
        var sink: [UInt8] = []
        while Date() < until, Socket.waitReadable(fd, seconds: 0.1) {
            sink.removeAll(keepingCapacity: true)
            if Socket.receive(fd, into: &sink) <= 0 { break }
        }
    }
}
