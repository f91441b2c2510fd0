// LockedValue: a value shared between threads, read and changed under a lock
// (the service's counters and queues, the benchmark's record of where the
// cores were).

import Foundation

public final class LockedValue<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T

    public init(_ value: T) { self.value = value }

    public func get() -> T { lock.withLock { value } }

    public func set(_ newValue: T) { lock.withLock { value = newValue } }

    /// Changes the value in place, atomically.
    public func update<R>(_ body: (inout T) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
