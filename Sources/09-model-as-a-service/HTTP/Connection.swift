// Connection: what the server keeps for one open client: its descriptor, the
// bytes read but not yet parsed, and its ConnectionTimer. This is the whole
// cost of an idle connection: a descriptor, this object and an empty buffer
// (the buffer's memory is given back whenever it empties), no thread.
//
// Ownership: at any moment either the event loop or one worker owns a
// connection. The loop owns it while it reads a request, while it is idle,
// and while it lingers; it hands it to a worker with the complete request
// (and stops watching the descriptor), and the worker hands it back after
// the response. Only the owner touches it, so it needs no lock; only the
// loop closes the descriptor.

import Foundation

final class Connection: @unchecked Sendable {
    let fd: Int32
    let peer: String
    var buffer: [UInt8] = []
    var timer: ConnectionTimer
    /// When the current phase began (the loop's eviction order: longest idle, slowest head).
    var phaseStarted: Double
    var sentContinue = false
    /// Counted against `maxConnections` (false for a refused or evicted one that is only lingering).
    var counted = true

    init(fd: Int32, peer: String, now: Double, timeouts: ConnectionTimeouts) {
        self.fd = fd
        self.peer = peer
        timer = .accepted(at: now, timeouts)
        phaseStarted = now
    }

    /// Applies `event` to the timer (noting when a new phase begins) and returns the action.
    @discardableResult
    func step(_ event: ConnectionEvent, now: Double, _ timeouts: ConnectionTimeouts) -> ConnectionAction {
        let (next, action) = ConnectionTimer.step(timer, event, now: now, timeouts)
        if next.phase != timer.phase { phaseStarted = now }
        timer = next
        return action
    }

    /// Reads what is available without blocking, at most `maximum` bytes:
    /// false when the peer closed the connection or it failed.
    func readAvailable(maximum: Int = 1 << 16) -> Bool {
        var total = 0
        while total < maximum {
            let n = Socket.receive(fd, into: &buffer)
            if n > 0 {
                total += n
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return true }
            return false  // 0: end of stream; other errors: reset
        }
        return true
    }

    /// Drops the buffer's bytes and their memory.
    func clearBuffer() { buffer = [] }

    /// Removes the first `count` bytes (a parsed request), giving memory back when nothing is left.
    func consume(_ count: Int) {
        if count >= buffer.count { buffer = [] } else { buffer.removeFirst(count) }
    }
}
