// HTTPServer: accepts connections and speaks HTTP/1.1 on them; what to
// answer is the handler's business (ModelServer supplies the routes).
//
// Threads (the event loop is in HTTPServer+Loop.swift)
// - One event-loop thread owns every connection that is not being answered:
//   it accepts, reads with non-blocking sockets whatever epoll (kqueue on
//   macOS) says is ready, parses, and keeps each connection's deadlines
//   (ConnectionTimer: idle, head, body, linger). A connection waiting for
//   bytes costs a descriptor and a small buffer, never a thread.
// - A fixed pool of worker threads (WorkerPool) answers complete requests:
//   the loop hands the connection over with its request, the worker calls
//   the handler (model work, batching, generation) and writes the response
//   itself, streams included, each write bounded by `writeTimeout`; then it
//   hands the connection back to the loop (through a queue and a wake-up of
//   epoll), which waits for the next request on it.
//   Writing from the worker keeps streaming straight-line code (a token is
//   written when it is made) and needs no output buffering in the loop; a
//   connection has one request in flight at a time, so the two never write
//   to the same socket.
//
// Limits (defaults in `HTTPServerConfiguration`)
// - Header and body sizes: see HTTPParser (431, 413).
// - At most `maxConnections` open connections, checked at start against the
//   process's descriptor limit (DescriptorBudget: `DescriptorLimitError`).
//   When a new client arrives at the limit, the loop first makes room by
//   closing the connection idle the longest (a keep-alive connection may be
//   closed at any time, RFC 9112 §9.5), else one still sending its head after
//   `evictionGrace` seconds (408). If none can go, the newcomer is answered
//   503 with Retry-After and closed: never closed unanswered.
// - If accept(2) fails for lack of descriptors (EMFILE, a limit lowered
//   after start or files opened elsewhere), the loop frees a reserve
//   descriptor, accepts the client, answers it 503 and closes it; if even
//   that fails it stops accepting for 100 ms. The pending client stays in the
//   kernel's queue, so the loop never spins on it.
// - A request that waited longer than `queueTimeout` for a worker is answered
//   503 without being run. `HTTPRequest.isCancelled` tells a handler whether
//   the client has gone, so work nobody will read can stop.
//
// The parser is pluggable (`HTTPServerConfiguration.parser`,
// HTTPParser.parseRequest by default; exercise 9.5 plugs in a student's) and
// not trusted: a parser that throws anything but an `HTTPError`, or claims to
// have used no bytes or more bytes than the buffer holds, gets the client a
// 500 and the connection closed, never a crash of the server.
//
// Graceful stop
// - `stop()` stops accepting, lets every request already received finish
//   and be answered (with `Connection: close`), closes idle connections, and
//   returns when all connections have closed, or after `drainTimeout`
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
    /// Per-connection deadlines: idle keep-alive [5 s], head [10 s], body [10 s], linger [0.5 s].
    public var timeouts = ConnectionTimeouts()
    /// Seconds for a request's head, and for its body, to arrive (408 after);
    /// setting it also caps the idle keep-alive time at the same value.
    public var readTimeout: Double {
        get { timeouts.head }
        set {
            timeouts.head = newValue
            timeouts.body = newValue
            timeouts.idle = min(timeouts.idle, newValue)
        }
    }
    /// Seconds a worker waits for the client to take each piece of a response.
    public var writeTimeout = 10.0
    /// Open connections at most; more are answered 503 (checked against `ulimit -n` at start).
    public var maxConnections = 1024
    /// At the limit, a connection still sending its head after this many seconds may be closed (408) for a newcomer.
    public var evictionGrace = 1.0
    /// Threads that answer requests (0: 16).
    public var workerThreads = 0
    /// Seconds a complete request may wait for a worker before it is answered 503.
    public var queueTimeout = 10.0
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
    /// Answered 503 at the connection limit (or when no descriptor was left).
    public var connectionsRejected = 0
    /// Closed at the limit to make room: idle keep-alive ones, and heads slower than `evictionGrace`.
    public var connectionsEvicted = 0
    /// accept(2) calls that failed for lack of descriptors.
    public var descriptorExhaustions = 0
    public var requests = 0
}

public final class HTTPServer: @unchecked Sendable {
    public let configuration: HTTPServerConfiguration
    let handler: @Sendable (HTTPRequest) -> HTTPReply

    /// Guards `stopping`, `stats`, `openCount`, `inFlight` and `returned` (shared by the loop, the workers and callers).
    let lock = NSLock()
    var stopping = false
    var stats = HTTPServerStatistics()
    var openCount = 0
    var inFlight = 0
    /// Refused or evicted connections lingering after their answer (not counted in `openCount`).
    var lingeringRefusals = 0
    /// Connections workers have finished with, and what happened (nil: close it).
    var returned: [(Connection, ConnectionEvent?)] = []

    // Owned by the loop thread.
    var listener: Int32 = -1
    var poller: (any EventPolling)!
    var connections: [Int32: Connection] = [:]
    var reserveFD: Int32 = -1
    var acceptPausedUntil: Double?
    var stopStarted: Double?
    var workers: WorkerPool!
    /// accept(2); tests replace it to simulate a process out of descriptors.
    var acceptConnection: (Int32) -> Socket.AcceptResult = Socket.acceptConnection

    private let loopDone = DispatchSemaphore(value: 0)
    public private(set) var port: Int?

    public init(configuration: HTTPServerConfiguration = .init(), handler: @escaping @Sendable (HTTPRequest) -> HTTPReply) {
        self.configuration = configuration
        self.handler = handler
    }

    /// True once `stop` has been called.
    public var isStopping: Bool { lock.withLock { stopping } }

    public var statistics: HTTPServerStatistics { lock.withLock { stats } }

    /// Connections open now (counted against `maxConnections`).
    public var openConnectionCount: Int { lock.withLock { openCount } }

    /// Requests handed to workers and not yet answered: the clients that
    /// could add to a batch now (idle connections cannot until they send).
    public var requestsInFlight: Int { lock.withLock { inFlight } }

    /// Binds host:port (0 = an ephemeral port), starts the event loop and the
    /// workers, and returns the port bound.
    /// - Throws: `DescriptorLimitError` if `maxConnections` needs more
    ///   descriptors than the process may open; `SocketError` (address in use, bad host…).
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0) throws -> Int {
        precondition(self.port == nil, "HTTPServer.start called twice")
        try DescriptorBudget.reserve(maxConnections: configuration.maxConnections)
        let (fd, bound) = try Socket.listen(host: host, port: port, backlog: 1024)
        Socket.setNonBlocking(fd)
        do {
            poller = try makeEventPoller()
            try poller.add(fd)
        } catch {
            Socket.close(fd)
            poller?.close()
            throw error
        }
        listener = fd
        reserveFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        self.port = bound
        signal(SIGPIPE, SIG_IGN)  // belt and braces: sends already use MSG_NOSIGNAL
        workers = WorkerPool(threads: configuration.workerThreads > 0 ? configuration.workerThreads : 16, name: "http-worker")
        let thread = Thread { [self] in
            runLoop()
            loopDone.signal()
        }
        thread.name = "http-loop"
        thread.stackSize = 1 << 20
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
        poller.wake()
        loopDone.wait()
        if workers.shutdown(timeout: 2) { poller.close() }  // else a late worker may still wake it
        if reserveFD >= 0 { Socket.close(reserveFD) }
    }

    // MARK: the worker's side

    /// On a worker: answers `request` on `connection`, then hands the connection back to the loop.
    func answer(_ request: HTTPRequest, on connection: Connection) {
        let fd = connection.fd
        let waited = Clock.now - Double(request.receivedAt) / 1e9
        if Socket.peerHasGone(fd) {  // it left while the request waited: nothing to run, nobody to answer
            observe(request, ResponseWriter.Outcome(status: 499, bodyBytes: 0, keepAlive: false, completed: false), connection)
            return handBack(connection, nil)
        }
        let reply: HTTPReply
        if waited > configuration.queueTimeout {
            reply = .response(.error(503, String(format: "the request waited %.1f s for a worker (the limit is %g s); retry later",
                                                 waited, configuration.queueTimeout), headers: [("Retry-After", "1")]))
        } else {
            reply = handler(request)
        }
        let keepAlive = request.wantsKeepAlive && !isStopping  // decided after the work: a stop may have begun meanwhile
        let writeTimeout = configuration.writeTimeout
        let outcome = ResponseWriter.write(reply, for: request, keepAlive: keepAlive) {
            try Socket.sendAll(fd, $0, deadline: Clock.now + writeTimeout)
        }
        observe(request, outcome, connection)
        handBack(connection, outcome.completed ? .responseSent(keepAlive: outcome.keepAlive) : nil)
    }

    func observe(_ request: HTTPRequest, _ outcome: ResponseWriter.Outcome, _ connection: Connection) {
        guard let observer = configuration.observer else { return }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - request.receivedAt) / 1e9
        observer(HTTPExchange(method: request.method, target: request.target, minorVersion: request.minorVersion,
                              status: outcome.status, bodyBytes: outcome.bodyBytes, seconds: seconds,
                              completed: outcome.completed, peer: connection.peer))
    }

    /// Gives a connection back to the loop (`event` nil: close it).
    func handBack(_ connection: Connection, _ event: ConnectionEvent?) {
        lock.withLock {
            inFlight -= 1
            returned.append((connection, event))
        }
        poller.wake()
    }
}
