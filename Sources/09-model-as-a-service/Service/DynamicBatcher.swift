// DynamicBatcher: merges concurrent predict requests into one forward pass.
//
// A matrix–matrix product with 64 rows costs far less than 64
// matrix–vector products: the weights are read from memory once instead of
// 64 times. So requests wait in a queue for a short while; a worker takes as
// many as fit in `maxBatchRows`, stacks their rows, runs the model once,
// and hands each request its own rows of the output.
//
// Policy (the latency/throughput trade-off)
// - A worker starts a batch when the queued rows reach `maxBatchRows`, or
//   when the oldest request has waited `maxWait` seconds, whichever is first.
//   So a lone request waits at most `maxWait` extra; under load batches fill
//   up at once and nobody waits.
// - Waiting stops early when every client that could add to the batch is
//   already in it: `senders()` (the requests the server has in flight) is at most
//   the requests queued or computing. A lone client then pays no wait at all.
// - Requests are taken in arrival order while their rows fit; a request with
//   more rows than `maxBatchRows` runs alone. maxBatchRows = 1 (or
//   maxWait = 0 with one-row requests) is "no batching".
// - At most `maxQueuedRequests` wait; one more throws
//   `ServingError.overloaded` (the server answers 503) instead of letting
//   the queue, and memory, grow without bound.
// - `workers` threads take batches, so one batch can be gathered while
//   another computes (a `Classifier` may be called from several threads).
// - `shutdown()` lets the workers finish every queued request, then ends them.

import Foundation

public final class DynamicBatcher: @unchecked Sendable {
    public struct Policy: Sendable {
        public var maxBatchRows: Int
        /// Seconds the oldest request may wait for others.
        public var maxWait: Double
        public var maxQueuedRequests: Int
        public var workers: Int

        public init(maxBatchRows: Int = 64, maxWait: Double = 0.002, maxQueuedRequests: Int = 1024,
                    workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)) {
            self.maxBatchRows = max(1, maxBatchRows)
            self.maxWait = max(0, maxWait)
            self.maxQueuedRequests = max(1, maxQueuedRequests)
            self.workers = max(1, workers)
        }

        /// One request per forward pass.
        public static func unbatched(maxQueuedRequests: Int = 1024) -> Policy {
            Policy(maxBatchRows: 1, maxWait: 0, maxQueuedRequests: maxQueuedRequests)
        }
    }

    /// Batch sizes seen so far (rows per forward pass), for tests and benchmarks.
    public struct Statistics: Sendable {
        public var batches = 0
        public var rows = 0
        public var largestBatch = 0
        public var rejected = 0
    }

    /// A queued request; its worker fills `result` and signals `done`.
    final class Job: @unchecked Sendable {
        let rows: [[Double]]
        let enqueued = DispatchTime.now().uptimeNanoseconds
        var result: Result<[ClassPrediction], Error> = .failure(ServingError.stopping)
        let done = DispatchSemaphore(value: 0)
        init(rows: [[Double]]) { self.rows = rows }
    }

    public let classifier: any Classifier
    public let policy: Policy
    /// How many clients could send a request now (nil: unknown, always wait).
    let senders: (@Sendable () -> Int)?
    /// Requests taken by workers and not yet answered.
    private var running = 0
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var queuedRows = 0
    private var stopping = false
    private var stats = Statistics()
    private let finished = DispatchGroup()

    public init(classifier: any Classifier, policy: Policy = .init(), senders: (@Sendable () -> Int)? = nil) {
        self.classifier = classifier
        self.policy = policy
        self.senders = senders
        for i in 0..<policy.workers {
            finished.enter()
            let thread = Thread { [self] in
                work()
                finished.leave()
            }
            thread.name = "batch-worker-\(i)"
            thread.start()
        }
    }

    public var statistics: Statistics { condition.withLock { stats } }

    /// Requests waiting for a batch now (for /metrics).
    public var queuedRequests: Int { condition.withLock { queue.count } }

    /// Predicts `rows` as part of some batch; blocks until done.
    /// - Throws: `ServingError.overloaded` when the queue is full,
    ///   `.stopping` after shutdown, or the classifier's error.
    public func predict(_ rows: [[Double]]) throws -> [ClassPrediction] {
        let job = Job(rows: rows)
        try condition.withLock {
            if stopping { throw ServingError.stopping }
            guard queue.count < policy.maxQueuedRequests else {
                stats.rejected += 1
                throw ServingError.overloaded("the predict queue is full (\(policy.maxQueuedRequests) requests waiting); retry later")
            }
            queue.append(job)
            queuedRows += rows.count
            condition.broadcast()
        }
        job.done.wait()
        return try job.result.get()
    }

    /// Finishes every queued request, then stops the workers. Idempotent.
    public func shutdown() {
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
        finished.wait()
    }

    private func work() {
        while let batch = nextBatch() { run(batch) }
    }

    /// Waits for work and takes the next batch under the policy; nil when stopping and empty.
    private func nextBatch() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty { return nil }
            // Wait for more rows until the oldest request's deadline.
            let deadline = queue[0].enqueued + UInt64(policy.maxWait * 1e9)
            while !stopping, !queue.isEmpty, queuedRows < policy.maxBatchRows,
                  senders.map({ queue.count + running < $0() }) ?? true {
                let now = DispatchTime.now().uptimeNanoseconds
                if now >= deadline { break }
                _ = condition.wait(until: Date().addingTimeInterval(Double(deadline - now) / 1e9))
            }
            if queue.isEmpty { continue }  // another worker took them
            var take = 1
            var rows = queue[0].rows.count
            while take < queue.count, rows + queue[take].rows.count <= policy.maxBatchRows {
                rows += queue[take].rows.count
                take += 1
            }
            let batch = Array(queue[0..<take])
            queue.removeFirst(take)
            queuedRows -= rows
            running += take
            stats.batches += 1
            stats.rows += rows
            stats.largestBatch = max(stats.largestBatch, rows)
            return batch
        }
    }

    /// One forward pass over the stacked rows; each job gets its slice.
    private func run(_ batch: [Job]) {
        do {
            let inputs = batch.flatMap(\.rows)
            let outputs = try classifier.predict(inputs)
            guard outputs.count == inputs.count else {
                throw ClassifierContractError(rows: inputs.count, predictions: outputs.count)
            }
            var start = 0
            for job in batch {
                job.result = .success(Array(outputs[start..<(start + job.rows.count)]))
                start += job.rows.count
            }
        } catch {
            for job in batch { job.result = .failure(error) }
        }
        condition.withLock { running -= batch.count }
        for job in batch { job.done.signal() }
    }
}

/// A classifier that broke its contract (a bug, answered 500).
struct ClassifierContractError: Error, CustomStringConvertible {
    let rows: Int
    let predictions: Int
    var description: String { "the model returned \(predictions) predictions for \(rows) rows" }
}
