// Socket: the few POSIX socket calls the server and its test client need,
// wrapped so that every failure is a `SocketError` naming the call and errno.
//
// Contract
// - Linux (Glibc), IPv4 and IPv6; `host` is an address literal such as
//   "127.0.0.1" or "::1" (also "[::1]"; "localhost" is accepted and means
//   127.0.0.1). Messages write an IPv6 endpoint as "[::1]:8080". Port 0 asks the kernel for a free
//   (ephemeral) port; `listen` returns the port actually bound.
// - Descriptors are opened close-on-exec. Writes use MSG_NOSIGNAL, so a peer
//   that hung up gives EPIPE, never a SIGPIPE that would kill the process.
// - Reads never block without a bound: callers wait with `waitReadable`
//   (poll(2)) and a timeout first.

import Foundation
import Glibc

/// A failed socket call: which call, and the errno it left.
public struct SocketError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let code: Int32

    public init(_ operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
    }

    public var description: String { "\(operation) failed: \(String(cString: strerror(code))) (errno \(code))" }
}

/// Thin wrappers over socket(2), bind(2), listen(2), accept(2), connect(2),
/// poll(2), recv(2) and send(2).
public enum Socket {
    /// An IPv4 or IPv6 socket address.
    enum Address {
        case v4(sockaddr_in)
        case v6(sockaddr_in6)

        var family: Int32 {
            switch self {
            case .v4: return AF_INET
            case .v6: return AF_INET6
            }
        }

        func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
            switch self {
            case .v4(var a):
                return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            case .v6(var a):
                return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
            }
        }
    }

    /// "host:port", or "[host]:port" for an IPv6 address.
    public static func display(host: String, port: Int) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    static func address(host: String, port: Int) throws -> Address {
        guard (0...65535).contains(port) else { throw SocketError("port \(port) (must be 0…65535)", code: EINVAL) }
        var literal = host == "localhost" ? "127.0.0.1" : host
        if literal.hasPrefix("[") && literal.hasSuffix("]") { literal = String(literal.dropFirst().dropLast()) }
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, literal, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(port)).bigEndian
            return .v4(v4)
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, literal, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(port)).bigEndian
            return .v6(v6)
        }
        throw SocketError("parsing host '\(host)' (an IP address such as 127.0.0.1 or ::1 is expected)", code: EINVAL)
    }

    static func streamSocket(family: Int32) throws -> Int32 {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket") }
        return fd
    }

    /// The address and port of a sockaddr_storage filled by getsockname/getpeername.
    static func endpoint(_ storage: sockaddr_storage) -> (host: String, port: Int) {
        var storage = storage
        let family = Int32(storage.ss_family)
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        if family == AF_INET6 {
            let a = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            var addr = a.sin6_addr
            inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count))
            return (String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), Int(UInt16(bigEndian: a.sin6_port)))
        }
        let a = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
        var addr = a.sin_addr
        inet_ntop(AF_INET, &addr, &text, socklen_t(text.count))
        return (String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), Int(UInt16(bigEndian: a.sin_port)))
    }

    /// A listening socket bound to host:port, and the port it got.
    public static func listen(host: String, port: Int, backlog: Int32 = 128) throws -> (fd: Int32, port: Int) {
        let addr = try address(host: host, port: port)
        let fd = try streamSocket(family: addr.family)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = addr.withSockaddr { bind(fd, $0, $1) }
        guard bound == 0 else {
            let error = SocketError("bind to \(display(host: host, port: port))")
            close(fd)
            throw error
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let error = SocketError("listen")
            close(fd)
            throw error
        }
        var actual = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, endpoint(actual).port)
    }

    /// The peer of a connected socket as "ip:port" ("[ip]:port" for IPv6); "-" if unknown.
    public static func peerName(_ fd: Int32) -> String {
        var peer = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard ok == 0 else { return "-" }
        let (host, port) = endpoint(peer)
        return display(host: host, port: port)
    }

    /// Accepts one pending connection (call after `waitReadable` on the
    /// listening socket); nil if none was pending after all.
    public static func accept(_ listener: Int32) -> Int32? {
        if case .accepted(let fd) = acceptConnection(listener) { return fd }
        return nil
    }

    /// What accept(2) gave: a connection (non-blocking, close-on-exec), or the errno.
    enum AcceptResult: Equatable {
        case accepted(Int32)
        case failed(Int32)
    }

    /// Accepts one pending connection as a non-blocking, close-on-exec descriptor.
    static func acceptConnection(_ listener: Int32) -> AcceptResult {
        while true {
            let fd = Glibc.accept(listener, nil, nil)
            if fd >= 0 {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                setNonBlocking(fd)
                return .accepted(fd)
            }
            if errno == EINTR { continue }
            return .failed(errno)
        }
    }

    /// Makes reads and writes on `fd` return EAGAIN instead of blocking.
    static func setNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Writes every byte to a non-blocking socket, waiting (poll) for room
    /// until `deadline` (uptime seconds).
    /// - Throws: `SocketError` when the peer has gone, or "send (write deadline)" with ETIMEDOUT.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8], deadline: Double) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n >= 0 {
                offset += n
                continue
            }
            if errno == EINTR { continue }
            guard errno == EAGAIN || errno == EWOULDBLOCK else { throw SocketError("send") }
            let remaining = deadline - Clock.now
            guard remaining > 0 else { throw SocketError("send (the client read nothing before the write deadline)", code: ETIMEDOUT) }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&p, 1, Int32(min(remaining, 1) * 1000) + 1)
        }
    }

    /// Sends what fits now on a non-blocking socket (the loop's short answers); true if all of it did.
    @discardableResult
    static func sendNow(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    /// True when the peer has closed or reset the connection (or shut its
    /// write side): a poll(2) that does not wait. Bytes it sent first (a
    /// pipelined request) do not hide the close.
    static func peerHasGone(_ fd: Int32) -> Bool {
        let rdhup: Int16 = 0x2000  // POLLRDHUP (Linux; Swift's Glibc module leaves it out)
        var p = pollfd(fd: fd, events: rdhup, revents: 0)
        guard poll(&p, 1, 0) > 0 else { return false }
        return p.revents & (rdhup | Int16(POLLHUP) | Int16(POLLERR)) != 0
    }

    /// A connected socket to host:port (blocking connect; loopback is instant).
    public static func connect(host: String, port: Int) throws -> Int32 {
        let addr = try address(host: host, port: port)
        let fd = try streamSocket(family: addr.family)
        let result = addr.withSockaddr { Glibc.connect(fd, $0, $1) }
        guard result == 0 else {
            let error = SocketError("connect to \(display(host: host, port: port))")
            close(fd)
            throw error
        }
        setNoDelay(fd)
        return fd
    }

    /// Sends small writes at once instead of waiting for more (Nagle's
    /// algorithm and delayed ACKs would add ~40 ms to each keep-alive request).
    public static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Makes a blocked send(2) give up after `seconds` (a client that stops reading).
    public static func setSendTimeout(_ fd: Int32, seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Waits until `fd` has bytes to read (or the peer hung up): true, or false
    /// after `seconds`.
    public static func waitReadable(_ fd: Int32, seconds: Double) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ms = Int32(max(0, min(seconds, 3600)) * 1000)
        while true {
            let n = poll(&p, 1, ms)
            if n < 0 && errno == EINTR { continue }
            return n > 0
        }
    }

    /// Reads what is available (up to `maximum` bytes) and appends it.
    /// Returns the count read: 0 means the peer closed, −1 an error.
    public static func receive(_ fd: Int32, into buffer: inout [UInt8], maximum: Int = 16384) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximum) { chunk in
            var n: Int
            repeat { n = recv(fd, chunk.baseAddress, maximum, 0) } while n < 0 && errno == EINTR
            if n > 0 { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[0..<n])) }
            return n
        }
    }

    /// Writes every byte, or throws (peer gone, send timeout).
    public static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SocketError("send")
            }
            offset += n
        }
    }

    /// Stops further reads and writes (wakes a thread blocked on the socket).
    public static func shutdownBoth(_ fd: Int32) { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    /// Stops further writes: the peer reads end-of-stream after our bytes.
    public static func shutdownWrite(_ fd: Int32) { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }

    public static func close(_ fd: Int32) { _ = Glibc.close(fd) }
}
