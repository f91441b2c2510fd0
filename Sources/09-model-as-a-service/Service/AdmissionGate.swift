// AdmissionGate: at most `maxActive` holders at once and at most
// `maxWaiting` waiting for a turn; beyond that, `enter` refuses at once
// (ServingError.overloaded → 503) instead of queueing without bound.
// Used for text generation, whose requests are long and cannot be batched
// by this server.
//
// A streamed answer must be admitted before its response head is written:
// once "200 OK" has left, an overload can only be reported inside the body,
// where no client or load balancer sees it as a status. So `enter` returns a
// `Ticket` the caller holds across the stream and releases when it ends.
//
// Waiting is bounded twice: by a deadline (the server's queue timeout: a
// request that waited too long is a 503, the client retries elsewhere) and
// by the client itself (a waiter whose client has gone leaves the queue).

import Foundation

public final class AdmissionGate: @unchecked Sendable {
    public let maxActive: Int
    public let maxWaiting: Int
    private let condition = NSCondition()
    private var active = 0
    private var waiting = 0

    public init(maxActive: Int, maxWaiting: Int) {
        self.maxActive = max(1, maxActive)
        self.maxWaiting = max(0, maxWaiting)
    }

    /// Holders now, and callers waiting for a turn (for /metrics).
    public var occupancy: (active: Int, waiting: Int) { condition.withLock { (active, waiting) } }

    /// A slot held until `release()` (which may be called more than once; only the first counts).
    public final class Ticket: @unchecked Sendable {
        private weak var gate: AdmissionGate?
        private let lock = NSLock()
        private var released = false

        init(gate: AdmissionGate) { self.gate = gate }

        public func release() {
            let first: Bool = lock.withLock {
                defer { released = true }
                return !released
            }
            if first { gate?.leave() }
        }

        deinit { release() }
    }

    /// Waits for a slot (if a waiting place is free) and returns it.
    /// - Parameters:
    ///   - deadline: uptime seconds (`Clock.now`) after which waiting is given up (503).
    ///   - isCancelled: checked while waiting: true when the client has gone.
    /// - Throws: `ServingError.overloaded` if every slot and waiting place is
    ///   taken or the deadline passes; `ServingError.cancelled` if the client left.
    public func enter(deadline: Double = .infinity, isCancelled: () -> Bool = { false }) throws -> Ticket {
        condition.lock()
        if active >= maxActive {
            guard waiting < maxWaiting else {
                condition.unlock()
                throw ServingError.overloaded("all \(maxActive) generation slots are busy and \(maxWaiting) requests are waiting; retry later")
            }
            waiting += 1
            defer { waiting -= 1 }
            while active >= maxActive {
                // Wake at least every 20 ms to see whether the client left or the deadline passed.
                _ = condition.wait(until: Date(timeIntervalSinceNow: max(0, min(0.02, deadline - Clock.now))))
                if active < maxActive { break }
                if isCancelled() {
                    condition.unlock()
                    throw ServingError.cancelled
                }
                if Clock.now >= deadline {
                    condition.unlock()
                    throw ServingError.overloaded("no generation slot became free within the queue timeout; retry later")
                }
            }
        }
        active += 1
        condition.unlock()
        return Ticket(gate: self)
    }

    private func leave() {
        condition.lock()
        active -= 1
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` once admitted (see `enter`).
    public func run<T>(deadline: Double = .infinity, isCancelled: () -> Bool = { false }, _ body: () throws -> T) throws -> T {
        let ticket = try enter(deadline: deadline, isCancelled: isCancelled)
        defer { ticket.release() }
        return try body()
    }
}
