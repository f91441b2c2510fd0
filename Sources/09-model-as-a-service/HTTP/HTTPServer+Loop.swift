// The event loop of HTTPServer (see HTTPServer.swift for the design):
//
//   loop:
//     ready ← poller.wait(≤ 50 ms)
//     listener ready   → accept (admit, make room, or answer 503)
//     connection ready → read what is there; parse; a complete request goes
//                        to a worker, an incomplete one advances its timer
//     returned by workers → watch again (keep-alive) or linger and close
//     every 50 ms      → tick every timer: 408s, idle closes, lingers ended
//
// Deadlines are checked by a sweep over all connections every 50 ms: simple,
// and at ten thousand connections a fraction of a millisecond per sweep.
// Making room at the limit scans the connections too, but only at the limit. The
// loop does no model work and never blocks: its only writes are short
// answers (100 Continue, 408, 503, parser errors) to sockets whose buffers
// are empty.

import Foundation

extension HTTPServer {
    static let sweepInterval = 0.05

    func runLoop() {
        var lastSweep = Clock.now
        while true {
            if isStopping && !beginOrContinueStop() { break }
            for event in poller.wait(milliseconds: 50) {
                if event.fd == listener {
                    acceptPending()
                } else if let connection = connections[event.fd] {
                    readable(connection)
                }
            }
            takeReturned()
            let now = Clock.now
            if now - lastSweep >= Self.sweepInterval {
                lastSweep = now
                sweep(now)
            }
        }
        for connection in Array(connections.values) { close(connection) }
        if listener >= 0 { Socket.close(listener) }
        listener = -1
    }

    // MARK: accepting

    func acceptPending() {
        for _ in 0..<64 {
            switch acceptConnection(listener) {
            case .accepted(let fd):
                admit(fd)
            case .failed(let code) where code == EMFILE || code == ENFILE:
                if !refuseWithReserve() { return pauseAccepting() }
            case .failed(let code) where code == ECONNABORTED || code == EPROTO:
                continue  // that client gave up while queued
            case .failed:
                return  // EAGAIN: nobody else waiting
            }
        }
    }

    /// Out of descriptors: frees the reserve one to accept a client and answer
    /// it 503; false if that was not possible.
    func refuseWithReserve() -> Bool {
        lock.withLock { stats.descriptorExhaustions += 1 }
        guard reserveFD >= 0 else { return false }
        Socket.close(reserveFD)
        reserveFD = -1
        defer { reserveFD = open("/dev/null", O_RDONLY | O_CLOEXEC) }
        guard case .accepted(let fd) = acceptConnection(listener) else { return false }
        lock.withLock { stats.connectionsRejected += 1 }
        answerAndClose(fd, HTTPResponse.error(503, "the server has no file descriptor left for this connection; retry later",
                                              headers: [("Retry-After", "1")]))
        return true
    }

    /// Stops watching the listener for 100 ms (the sweep resumes it).
    func pauseAccepting() {
        guard acceptPausedUntil == nil else { return }
        poller.remove(listener)
        acceptPausedUntil = Clock.now + 0.1
    }

    func resumeAcceptingIfDue(_ now: Double) {
        guard let until = acceptPausedUntil, now >= until, listener >= 0 else { return }
        acceptPausedUntil = nil
        try? poller.add(listener)
    }

    var countedConnections: Int { lock.withLock { openCount } }

    func admit(_ fd: Int32) {
        let now = Clock.now
        if countedConnections >= configuration.maxConnections, !makeRoom(now) {
            lock.withLock { stats.connectionsRejected += 1 }
            let limit = configuration.maxConnections
            return refuse(fd, .error(503, "the server is at its limit of \(limit) open connections; retry later",
                                     headers: [("Retry-After", "1")]), now: now)
        }
        Socket.setNoDelay(fd)
        let connection = Connection(fd: fd, peer: Socket.peerName(fd), now: now, timeouts: configuration.timeouts)
        do { try poller.add(fd) } catch { return Socket.close(fd) }
        connections[fd] = connection
        lock.withLock {
            openCount += 1
            stats.connectionsAccepted += 1
        }
    }

    /// At the limit: closes the connection idle the longest, else the one
    /// sending its head the longest (beyond `evictionGrace`). False if none may go.
    func makeRoom(_ now: Double) -> Bool {
        var idle: Connection?, slow: Connection?
        for c in connections.values where c.counted {
            switch c.timer.phase {
            case .idle where c.buffer.isEmpty:
                if idle == nil || c.phaseStarted < idle!.phaseStarted { idle = c }
            case .head where now - c.phaseStarted >= configuration.evictionGrace:
                if slow == nil || c.phaseStarted < slow!.phaseStarted { slow = c }
            default: break
            }
        }
        lock.withLock { if idle != nil || slow != nil { stats.connectionsEvicted += 1 } }
        if let idle {
            close(idle)
            return true
        }
        if let slow {
            let seconds = String(format: "%.1f", now - slow.phaseStarted)
            let response = HTTPResponse.error(408, "the request head was still incomplete after \(seconds) s while the server was full")
            if lingeringRefusals < DescriptorBudget.refusalSlots(maxConnections: configuration.maxConnections) {
                uncount(slow)
                lingeringRefusals += 1
                answerError(slow, response, now: now)
            } else {
                answerError(slow, response, now: now)
                close(slow)
            }
            return true
        }
        return false
    }

    /// Answers an over-limit client and lets it linger in a refusal slot (or closes it at once if none is free).
    func refuse(_ fd: Int32, _ response: HTTPResponse, now: Double) {
        guard lingeringRefusals < DescriptorBudget.refusalSlots(maxConnections: configuration.maxConnections),
              (try? poller.add(fd)) != nil else { return answerAndClose(fd, response) }
        let connection = Connection(fd: fd, peer: "-", now: now, timeouts: configuration.timeouts)
        connection.counted = false
        lingeringRefusals += 1
        connections[fd] = connection
        _ = connection.readAvailable()  // the request it sent, so that closing later does not reset the connection
        connection.clearBuffer()
        answerError(connection, response, now: now, observe: false)
    }

    /// Reads what the client sent, answers, shuts the write side and closes.
    func answerAndClose(_ fd: Int32, _ response: HTTPResponse) {
        var sink: [UInt8] = []
        while Socket.receive(fd, into: &sink) > 0 && sink.count < 1 << 16 {}
        Socket.sendNow(fd, response.serialized(keepAlive: false))
        Socket.shutdownWrite(fd)
        Socket.close(fd)
    }

    // MARK: reading

    func readable(_ connection: Connection) {
        guard connection.readAvailable() else { return close(connection) }
        if connection.timer.phase == .lingering {
            connection.clearBuffer()
            return
        }
        process(connection, now: Clock.now)
    }

    /// Parses what the connection's buffer holds: a request goes to a worker,
    /// an error is answered, an incomplete request advances the timer.
    func process(_ connection: Connection, now: Double) {
        guard !connection.buffer.isEmpty else {
            if isStopping { close(connection) }
            return
        }
        let buffer = connection.buffer
        do {
            guard let (request, used) = try configuration.parser(buffer, configuration.limits) else {
                let headComplete = HTTPParser.endOfHead(buffer, limit: configuration.limits.maxHeaderBytes + 4) != nil
                connection.step(.bytes(headComplete: headComplete), now: now, configuration.timeouts)
                if headComplete && !connection.sentContinue && HTTPParser.expectsContinue(buffer) {
                    connection.sentContinue = true
                    Socket.sendNow(connection.fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                }
                return
            }
            guard used >= 1 && used <= buffer.count else {
                throw HTTPError(500, "internal error: the request parser used \(used) bytes of a buffer of \(buffer.count)")
            }
            connection.consume(used)
            connection.sentContinue = false
            dispatch(request, on: connection, now: now)
        } catch {
            let response = (error as? HTTPError).map { HTTPResponse.error($0.status, $0.message) }
                ?? HTTPResponse.error(500, "internal error: the request parser threw \(error)")
            answerError(connection, response, now: now)
        }
    }

    /// Hands a complete request to a worker.
    func dispatch(_ parsed: HTTPRequest, on connection: Connection, now: Double) {
        connection.step(.requestComplete, now: now, configuration.timeouts)
        poller.remove(connection.fd)
        var request = parsed
        request.receivedAt = DispatchTime.now().uptimeNanoseconds
        let fd = connection.fd
        request.isCancelled = { Socket.peerHasGone(fd) }
        lock.withLock {
            stats.requests += 1
            inFlight += 1
        }
        workers.submit { [self] in answer(request, on: connection) }
    }

    /// Sends a final answer from the loop (408, parser errors, 503) and lets the connection linger.
    func answerError(_ connection: Connection, _ response: HTTPResponse, now: Double, observe: Bool = true) {
        Socket.sendNow(connection.fd, response.serialized(keepAlive: false))
        Socket.shutdownWrite(connection.fd)
        connection.clearBuffer()
        connection.step(.errorSent, now: now, configuration.timeouts)
        if observe, let observer = configuration.observer {
            observer(HTTPExchange(method: "-", target: "-", minorVersion: 1, status: response.status, bodyBytes: response.body.count,
                                  seconds: 0, completed: true, peer: connection.peer))
        }
    }

    // MARK: connections coming back from workers

    func takeReturned() {
        let batch: [(Connection, ConnectionEvent?)] = lock.withLock {
            defer { returned.removeAll(keepingCapacity: true) }
            return returned
        }
        let now = Clock.now
        for (connection, event) in batch {
            guard let event else {
                close(connection)
                continue
            }
            connection.step(event, now: now, configuration.timeouts)
            if connection.timer.phase == .lingering { Socket.shutdownWrite(connection.fd) }
            guard (try? poller.add(connection.fd)) != nil else {
                close(connection)
                continue
            }
            if connection.timer.phase == .idle { process(connection, now: now) }  // a pipelined request may be waiting
        }
    }

    // MARK: deadlines, stopping, closing

    func sweep(_ now: Double) {
        resumeAcceptingIfDue(now)
        for connection in Array(connections.values) where connection.timer.phase != .working {
            let phase = connection.timer.phase
            switch connection.step(.tick, now: now, configuration.timeouts) {
            case .none: break
            case .close: close(connection)
            case .answer408:
                let part = phase == .head ? "head" : "body"
                let seconds = phase == .head ? configuration.timeouts.head : configuration.timeouts.body
                Socket.sendNow(connection.fd, HTTPResponse.error(408, "the request \(part) did not arrive within \(seconds) s")
                    .serialized(keepAlive: false))
                Socket.shutdownWrite(connection.fd)
                connection.clearBuffer()
                configuration.observer?(HTTPExchange(method: "-", target: "-", minorVersion: 1, status: 408, bodyBytes: 0,
                                                     seconds: seconds, completed: true, peer: connection.peer))
            }
        }
    }

    /// While stopping: closes the listener and idle connections; after
    /// `drainTimeout` cuts the rest. False once nothing is left to wait for.
    func beginOrContinueStop() -> Bool {
        let now = Clock.now
        if stopStarted == nil {
            stopStarted = now
            if listener >= 0 {
                if acceptPausedUntil == nil { poller.remove(listener) }
                Socket.close(listener)
                listener = -1
            }
        }
        for connection in Array(connections.values) where connection.timer.phase == .idle && connection.buffer.isEmpty {
            close(connection)
        }
        if now - stopStarted! > configuration.drainTimeout {
            for connection in connections.values { Socket.shutdownBoth(connection.fd) }  // workers' writes now fail
            let working = connections.values.contains { $0.timer.phase == .working }
            if !working || now - stopStarted! > configuration.drainTimeout + 2 { return false }
        }
        return !connections.isEmpty
    }

    func uncount(_ connection: Connection) {
        guard connection.counted else { return }
        connection.counted = false
        lock.withLock { openCount -= 1 }
    }

    func close(_ connection: Connection) {
        if connection.counted { uncount(connection) } else { lingeringRefusals -= 1 }
        if connection.timer.phase != .working { poller.remove(connection.fd) }
        connections[connection.fd] = nil
        Socket.close(connection.fd)
    }
}
