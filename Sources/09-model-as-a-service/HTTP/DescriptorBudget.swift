// DescriptorBudget: every open connection is a file descriptor, and a
// process may hold at most RLIMIT_NOFILE of them (`ulimit -n`). A server
// that accepts more connections than it has descriptors for finds out at
// accept(2), which then fails with EMFILE on every call while the client
// waits in the kernel's queue: the old accept loop spun on it at 99% of a
// core. So the limit is checked once, at start:
//
//   needed = maxConnections        (clients being served)
//          + refusalSlots          (over-limit clients being answered 503)
//          + headroom              (listener, epoll, eventfd, the reserve
//                                   descriptor, stdio, model files, the log)
//
// If the soft limit is too low but the hard limit allows it, the soft limit
// is raised (any process may do that); above the hard limit, `start` throws
// `DescriptorLimitError`, naming both numbers and the largest
// --max-connections that fits.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--max-connections` asks for more descriptors than the process may open.
public struct DescriptorLimitError: Error, CustomStringConvertible, Equatable, Sendable {
    public var maxConnections: Int
    public var needed: Int
    public var limit: Int

    public var description: String {
        "--max-connections \(maxConnections) needs \(needed) file descriptors (each connection is one, plus "
            + "\(needed - maxConnections) for refusals, the listener and model files), but this process may open at most \(limit) "
            + "(ulimit -n); raise the limit or ask for at most \(DescriptorBudget.largestFitting(limit)) connections"
    }
}

enum DescriptorBudget {
    /// Descriptors beyond the connections: listener, poller, wake-up, reserve, stdio, files, log.
    static let headroom = 32

    /// Over-limit connections answered 503 at once (each holds a descriptor while it lingers).
    static func refusalSlots(maxConnections: Int) -> Int { min(64, max(16, maxConnections / 4)) }

    static func needed(maxConnections: Int) -> Int {
        maxConnections + refusalSlots(maxConnections: maxConnections) + headroom
    }

    /// The largest `maxConnections` whose needs fit in `limit` descriptors (0 if none does).
    static func largestFitting(_ limit: Int) -> Int {
        var m = max(0, limit - headroom - 16)
        while m > 0 && needed(maxConnections: m) > limit { m -= 1 }
        return m
    }

    /// Checks `maxConnections` against soft and hard limits: the soft limit to set (nil: leave it), or the error.
    static func check(maxConnections: Int, soft: Int, hard: Int) throws -> Int? {
        let needed = needed(maxConnections: maxConnections)
        if needed <= soft { return nil }
        if needed <= hard { return needed }
        throw DescriptorLimitError(maxConnections: maxConnections, needed: needed, limit: hard)
    }

    /// The process's RLIMIT_NOFILE (soft, hard); "unlimited" reads as Int.max.
    static func limits() -> (soft: Int, hard: Int) {
        var limit = rlimit()
        guard getrlimit(resourceNoFile, &limit) == 0 else { return (1024, 1024) }
        func value(_ v: rlim_t) -> Int { v > rlim_t(Int.max) ? Int.max : Int(v) }  // RLIM_INFINITY is all ones
        return (value(limit.rlim_cur), value(limit.rlim_max))
    }

    /// Checks the process's limits, raising the soft one if needed.
    /// - Throws: `DescriptorLimitError` when even the hard limit is too low.
    static func reserve(maxConnections: Int) throws {
        let (soft, hard) = limits()
        guard let raised = try check(maxConnections: maxConnections, soft: soft, hard: hard) else { return }
        var limit = rlimit()
        _ = getrlimit(resourceNoFile, &limit)
        limit.rlim_cur = rlim_t(raised)
        guard setrlimit(resourceNoFile, &limit) == 0 else {
            throw DescriptorLimitError(maxConnections: maxConnections, needed: needed(maxConnections: maxConnections), limit: soft)
        }
    }

    #if canImport(Glibc)
    static let resourceNoFile = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    static let resourceNoFile = RLIMIT_NOFILE
    #endif
}
