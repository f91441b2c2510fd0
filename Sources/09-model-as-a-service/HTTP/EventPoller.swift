// EventPoller: the one small interface the event loop needs from the
// kernel: "tell me which of these descriptors are ready to read", for
// thousands of descriptors at once, without a thread per descriptor.
//
//   add(fd)  remove(fd)  wait(timeout) → [ready]  wake()
//
// - Linux: epoll(7). One epoll instance holds the interest list; epoll_wait
//   returns only the ready descriptors, so its cost grows with the events,
//   not with the number of connections (poll(2) and select(2) scan them all
//   on every call). Level-triggered: a descriptor with unread bytes is
//   reported again on the next wait, so the loop may read a bounded amount
//   per event and come back later.
// - macOS: kqueue(2) with EVFILT_READ, the same contract (compiled under
//   Darwin only; the book's tests run on Linux).
// - `wake()` makes a `wait` in progress return at once (an eventfd on Linux,
//   a pipe with kqueue): how worker threads hand a connection back.
//
// Only readiness to read is watched. The loop never waits to write: the
// few bytes it writes itself (100 Continue, 408, 503) fit in an empty socket
// buffer, and responses are written by the worker that owns the connection
// (see HTTPServer).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ready descriptor: readable (bytes, a new connection, or end of stream) or hung up.
struct PollEvent {
    var fd: Int32
    var hangup: Bool
}

/// Readiness notification for many descriptors (epoll on Linux, kqueue on macOS).
protocol EventPolling: AnyObject {
    /// Starts watching `fd` for reading.
    func add(_ fd: Int32) throws
    /// Stops watching `fd` (before it is handed to a worker or closed).
    func remove(_ fd: Int32)
    /// Waits up to `milliseconds` for ready descriptors (the wake-up is never among them).
    func wait(milliseconds: Int32) -> [PollEvent]
    /// Makes a `wait` in progress (or the next one) return at once. Safe from any thread.
    func wake()
    func close()
}

#if canImport(Glibc)
/// The epoll and eventfd calls. Swift's Glibc module leaves out <sys/epoll.h>
/// and <sys/eventfd.h> (Linux-only headers), so the four functions are looked
/// up in the C library by name and called with the C calling convention, and
/// the constants are Linux's (they are part of its stable ABI).
enum LinuxEpoll {
    typealias Create = @convention(c) (Int32) -> Int32
    typealias Control = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias Wait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    typealias EventFD = @convention(c) (UInt32, Int32) -> Int32

    static func function<T>(_ name: String, as type: T.Type) -> T? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }  // RTLD_DEFAULT
        return unsafeBitCast(symbol, to: type)
    }

    static let create = function("epoll_create1", as: Create.self)
    static let control = function("epoll_ctl", as: Control.self)
    static let wait = function("epoll_wait", as: Wait.self)
    static let eventfd = function("eventfd", as: EventFD.self)

    static let epollIn: UInt32 = 0x001, epollErr: UInt32 = 0x008, epollHup: UInt32 = 0x010, epollRdHup: UInt32 = 0x2000
    static let ctlAdd: Int32 = 1, ctlDel: Int32 = 2
    static let cloexec: Int32 = 0x80000, nonblock: Int32 = 0x800  // EPOLL_CLOEXEC = EFD_CLOEXEC = O_CLOEXEC; EFD_NONBLOCK = O_NONBLOCK

    /// `struct epoll_event { uint32_t events; epoll_data_t data; }`: packed (12 bytes) on x86-64, 16 bytes elsewhere.
    #if arch(x86_64)
    static let eventSize = 12, dataOffset = 4
    #else
    static let eventSize = 16, dataOffset = 8
    #endif
}

/// epoll(7), with an eventfd(2) for `wake`.
final class EpollPoller: EventPolling, @unchecked Sendable {
    let epoll: Int32
    let wakeFD: Int32
    private let capacity: Int
    private let events: UnsafeMutableRawPointer

    init(capacity: Int = 256) throws {
        guard let create = LinuxEpoll.create, let eventfd = LinuxEpoll.eventfd, LinuxEpoll.control != nil, LinuxEpoll.wait != nil else {
            throw SocketError("finding epoll in the C library", code: ENOSYS)
        }
        epoll = create(LinuxEpoll.cloexec)
        guard epoll >= 0 else { throw SocketError("epoll_create1") }
        wakeFD = eventfd(0, LinuxEpoll.cloexec | LinuxEpoll.nonblock)
        guard wakeFD >= 0 else {
            let error = SocketError("eventfd")
            Glibc.close(epoll)
            throw error
        }
        self.capacity = capacity
        events = UnsafeMutableRawPointer.allocate(byteCount: capacity * LinuxEpoll.eventSize, alignment: 8)
        try add(wakeFD)
    }

    deinit { events.deallocate() }

    func add(_ fd: Int32) throws {
        var event = [UInt8](repeating: 0, count: LinuxEpoll.eventSize)
        let result = event.withUnsafeMutableBytes { raw -> Int32 in
            raw.storeBytes(of: LinuxEpoll.epollIn | LinuxEpoll.epollRdHup, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: fd, toByteOffset: LinuxEpoll.dataOffset, as: Int32.self)
            return LinuxEpoll.control!(epoll, LinuxEpoll.ctlAdd, fd, raw.baseAddress)
        }
        guard result == 0 else { throw SocketError("epoll_ctl(ADD)") }
    }

    func remove(_ fd: Int32) {
        var event = [UInt8](repeating: 0, count: LinuxEpoll.eventSize)
        _ = event.withUnsafeMutableBytes { LinuxEpoll.control!(epoll, LinuxEpoll.ctlDel, fd, $0.baseAddress) }
    }

    func wait(milliseconds: Int32) -> [PollEvent] {
        let n = LinuxEpoll.wait!(epoll, events, Int32(capacity), milliseconds)
        guard n > 0 else { return [] }
        var ready: [PollEvent] = []
        ready.reserveCapacity(Int(n))
        for i in 0..<Int(n) {
            let base = i * LinuxEpoll.eventSize
            let flags = events.loadUnaligned(fromByteOffset: base, as: UInt32.self)
            let fd = events.loadUnaligned(fromByteOffset: base + LinuxEpoll.dataOffset, as: Int32.self)
            if fd == wakeFD {
                var count: UInt64 = 0
                _ = read(wakeFD, &count, 8)
                continue
            }
            ready.append(PollEvent(fd: fd, hangup: flags & (LinuxEpoll.epollHup | LinuxEpoll.epollErr) != 0))
        }
        return ready
    }

    func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    func close() {
        Glibc.close(wakeFD)
        Glibc.close(epoll)
    }
}

func makeEventPoller() throws -> any EventPolling { try EpollPoller() }

#elseif canImport(Darwin)
/// kqueue(2) with EVFILT_READ, and a pipe for `wake`.
final class KqueuePoller: EventPolling, @unchecked Sendable {
    let queue: Int32
    let wakeRead: Int32
    let wakeWrite: Int32
    private var events: [kevent]

    init(capacity: Int = 256) throws {
        queue = kqueue()
        guard queue >= 0 else { throw SocketError("kqueue") }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SocketError("pipe") }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        events = [kevent](repeating: kevent(), count: capacity)
        try add(wakeRead)
    }

    private func change(_ fd: Int32, _ flags: Int32) -> Int32 {
        var change = kevent(ident: UInt(fd), filter: Int16(EVFILT_READ), flags: UInt16(flags), fflags: 0, data: 0, udata: nil)
        return kevent(queue, &change, 1, nil, 0, nil)
    }

    func add(_ fd: Int32) throws {
        guard change(fd, EV_ADD | EV_ENABLE) == 0 else { throw SocketError("kevent(EV_ADD)") }
    }

    func remove(_ fd: Int32) { _ = change(fd, EV_DELETE) }

    func wait(milliseconds: Int32) -> [PollEvent] {
        var timeout = timespec(tv_sec: Int(milliseconds / 1000), tv_nsec: Int(milliseconds % 1000) * 1_000_000)
        let n = events.withUnsafeMutableBufferPointer { kevent(queue, nil, 0, $0.baseAddress, Int32($0.count), &timeout) }
        guard n > 0 else { return [] }
        var ready: [PollEvent] = []
        for i in 0..<Int(n) {
            let fd = Int32(events[i].ident)
            if fd == wakeRead {
                var sink = [UInt8](repeating: 0, count: 64)
                _ = read(wakeRead, &sink, 64)
                continue
            }
            ready.append(PollEvent(fd: fd, hangup: Int32(events[i].flags) & EV_EOF != 0 && events[i].data == 0))
        }
        return ready
    }

    func wake() {
        var one: UInt8 = 1
        _ = write(wakeWrite, &one, 1)
    }

    func close() {
        Darwin.close(wakeRead)
        Darwin.close(wakeWrite)
        Darwin.close(queue)
    }
}

func makeEventPoller() throws -> any EventPolling { try KqueuePoller() }
#endif
