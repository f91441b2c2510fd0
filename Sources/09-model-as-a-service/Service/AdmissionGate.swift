// AdmissionGate: at most `maxActive` holders at once and at most
// `maxWaiting` waiting for a turn; beyond that, `enter` refuses at once
// (ServingError.overloaded → 503) instead of queueing without bound.
// Used for text generation, whose requests are long and cannot be batched
// by this server.

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

    /// Runs `body` once admitted.
    /// - Throws: `ServingError.overloaded` if every slot and waiting place is taken.
    public func run<T>(_ body: () throws -> T) throws -> T {
        condition.lock()
        if active >= maxActive {
            guard waiting < maxWaiting else {
                condition.unlock()
                throw ServingError.overloaded("all \(maxActive) generation slots are busy and \(maxWaiting) requests are waiting; retry later")
            }
            waiting += 1
            while active >= maxActive { condition.wait() }
            waiting -= 1
        }
        active += 1
        condition.unlock()
        defer {
            condition.lock()
            active -= 1
            condition.signal()
            condition.unlock()
        }
        return try body()
    }
}
