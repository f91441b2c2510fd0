// WorkerPool: a fixed number of threads, started once, that run jobs in
// the order they were submitted. The event loop hands every complete request
// to it; the threads are what model work (and writing its answer) runs on.
//
// Why a fixed pool: the number of threads is decided by the work the machine
// can do at once, not by the number of clients. A thousand idle connections
// cost the loop a descriptor and an empty buffer each, and no thread.
//
// The queue is unbounded in count but not in practice: a connection has at
// most one request in a worker's hands (the loop reads nothing more from it
// until the answer has been written), so at most `maxConnections` jobs can
// wait. How long one may wait is the server's queue timeout (HTTPServer
// answers 503 to a request that waited longer, without running it).

import Foundation

final class WorkerPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var head = 0
    private var stopping = false
    private var running = 0
    private let finished = DispatchGroup()
    let threadCount: Int

    /// Starts `threads` threads named `name-0`, `name-1`… with `stackSize` bytes of stack.
    init(threads: Int, name: String, stackSize: Int = 1 << 20) {
        threadCount = max(1, threads)
        for i in 0..<threadCount {
            finished.enter()
            let thread = Thread { [self] in
                work()
                finished.leave()
            }
            thread.name = "\(name)-\(i)"
            thread.stackSize = stackSize
            thread.start()
        }
    }

    /// Jobs waiting for a thread, and jobs running.
    var occupancy: (queued: Int, running: Int) { condition.withLock { (jobs.count - head, running) } }

    /// Queues `job` to run on one of the threads.
    func submit(_ job: @escaping () -> Void) {
        condition.withLock {
            jobs.append(job)
            condition.signal()
        }
    }

    /// Lets the queued jobs finish, then ends the threads, waiting at most
    /// `timeout` seconds: true if they all ended.
    @discardableResult
    func shutdown(timeout: Double) -> Bool {
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
        return finished.wait(timeout: .now() + timeout) == .success
    }

    private func work() {
        while true {
            condition.lock()
            while head == jobs.count && !stopping { condition.wait() }
            if head == jobs.count {
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head > 64 && head * 2 > jobs.count {  // drop the taken jobs now and then
                jobs.removeFirst(head)
                head = 0
            }
            running += 1
            condition.unlock()
            job()
            condition.withLock { running -= 1 }
        }
    }
}
