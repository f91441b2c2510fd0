// LockedValue: a value shared between threads, read and changed under a lock.

import Foundation

final class LockedValue<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T

    init(_ value: T) { self.value = value }

    func get() -> T { lock.withLock { value } }

    func set(_ newValue: T) { lock.withLock { value = newValue } }

    /// Changes the value in place, atomically.
    func update<R>(_ body: (inout T) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
