// ContinuousBatcher: every running generation advanced by one batched
// forward pass per step, with requests joining and leaving between steps
// (continuous batching, as in vLLM or llama.cpp's server slots).
//
// One scheduler thread owns the model's decoding state:
//
//   loop  admit    waiting requests while fewer than `maxActive` run, each
//                  prompt read by one prefill (at most `prefillTokensPerStep`
//                  prompt tokens per step, at least one request, so a burst
//                  of long prompts cannot stall the running streams for long)
//         retire   requests whose client left (cancelled)
//         sample   each sequence's next token from its logits with its own
//                  options and rng; hand it to the request's thread (woken
//                  for its first token, then once per few tokens, see
//                  `Policy.tokensPerWake`); retire those that reached max_tokens
//         step     one batched decoding step over all that remain
//                  (WindowedDecoder.append(_:to:), chapter 7)
//   until nothing runs or waits; the thread ends, and the next request starts a new one.
//
// A request's own thread (a worker of the HTTP server) waits in `generate`,
// takes the tokens as they come and calls `onToken` with them: writing to
// the socket never blocks the scheduler. It also asks `isCancelled` (every
// 50 ms when no token comes) and marks the request cancelled if the client
// left or `onToken` threw; the scheduler retires it before the next step.
//
// Same tokens as alone: a sequence is sampled exactly as `GPT.generateTokens`
// samples it (prefill the prompt, then sample, append, sample …) with its
// own rng, and the batched step gives each row the logits of its own
// `decodeStep` bit for bit (chapter 7's BatchedDecoding.swift); so a request's
// text does not depend on who else is running (tested).

import BackpropCore
import Foundation
import RecurrentNetworks
import Transformer

public final class ContinuousBatcher<Model: BatchedWindowedDecoding & Sendable>: @unchecked Sendable where Model.Scalar == Float {
    /// How many sequences run together and how much prompt is read per step.
    public struct Policy: Sendable {
        /// Sequences in one batched step at most [64].
        public var maxActive = 64
        /// Prompt tokens prefilled between two steps at most [256] (a
        /// longer prompt is still admitted, alone).
        public var prefillTokensPerStep = 256
        /// A request's thread is woken for its first token, for the end of
        /// its generation, and otherwise once this many tokens wait for it
        /// or the oldest has waited `maxWakeDelay` seconds [4, 2 ms]. Each
        /// wake-up is a futex call on the scheduler's thread and a context
        /// switch on the worker's; at 32 streams, one per token was 32 per
        /// step. The first token is never held back, and later ones by at
        /// most a few steps.
        public var tokensPerWake = 8
        public var maxWakeDelay = 0.01

        public init(maxActive: Int = 64, prefillTokensPerStep: Int = 256, tokensPerWake: Int = 8, maxWakeDelay: Double = 0.01) {
            self.maxActive = max(1, maxActive)
            self.prefillTokensPerStep = max(1, prefillTokensPerStep)
            self.tokensPerWake = max(1, tokensPerWake)
            self.maxWakeDelay = max(0, maxWakeDelay)
        }
    }

    public let model: Model
    public let policy: Policy
    private let lock = NSLock()
    private var waiting: [Request] = []
    private var running = false
    private var counters = ContinuousBatchingStatistics()

    public init(model: Model, policy: Policy = Policy()) {
        self.model = model
        self.policy = policy
    }

    public var statistics: ContinuousBatchingStatistics { lock.withLock { counters } }

    /// `maxTokens` tokens sampled after `prompt` (not empty), as
    /// `generateTokens` would give them alone for this `rng`, with the
    /// others running meanwhile; `onToken` is called on the calling thread
    /// with each. Stops with `ServingError.cancelled` once `isCancelled()`
    /// is true, and with whatever `onToken` throws. `onPause` is called
    /// after each group of tokens taken at one wake-up (the caller's cue to
    /// send them), before waiting for the next.
    public func generate(prompt: [Int], maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         isCancelled: () -> Bool = { false }, onToken: (Int) throws -> Void = { _ in },
                         onPause: () throws -> Void = {}) throws -> [Int] {
        guard !prompt.isEmpty else { throw TextError.emptyText("the prompt (as tokens)") }
        guard maxTokens >= 0 else { throw TrainingError.invalidOption(name: "max_tokens", value: "\(maxTokens)", reason: "must be ≥ 0") }
        if isCancelled() { throw ServingError.cancelled }
        let request = Request(prompt: prompt, maxTokens: maxTokens, sampling: sampling, rng: rng,
                              tokensPerWake: policy.tokensPerWake, maxWakeDelay: UInt64(policy.maxWakeDelay * 1e9))
        let start = lock.withLock { () -> Bool in
            waiting.append(request)
            counters.waiting = waiting.count
            defer { running = true }
            return !running
        }
        if start {
            let thread = Thread { [self] in schedule() }
            thread.name = "backprop.continuous-batcher"
            thread.start()
        }
        var out: [Int] = []
        out.reserveCapacity(maxTokens)
        while true {
            let (tokens, finished) = request.take(waitingAtMost: 0.05)
            for t in tokens {
                do { try onToken(t) } catch { request.cancel(); throw error }
                out.append(t)
            }
            if !tokens.isEmpty {
                do { try onPause() } catch { request.cancel(); throw error }
            }
            if let finished {
                switch finished {
                case .success(let final): rng = final; return out
                case .failure(let error): throw error
                }
            }
            if isCancelled() { request.cancel(); throw ServingError.cancelled }
        }
    }

    // MARK: the scheduler thread

    /// A running sequence: its request, its logits for the next token and its rng.
    private struct Sequence {
        let request: Request
        var logits: [Float]
        var rng: SeededRandom
        var produced = 0
    }

    private func schedule() {
        var sequences: [Sequence] = []
        var decoders: [WindowedDecoder<Model>] = []   // decoders[i] is sequences[i]'s
        while true {
            // Admit between steps.
            let admitted: [Request] = lock.withLock {
                if waiting.isEmpty && sequences.isEmpty { running = false; return [] }
                var taken: [Request] = [], budget = policy.prefillTokensPerStep
                while sequences.count + taken.count < policy.maxActive, let next = waiting.first {
                    let cost = min(next.prompt.count, model.contextLength)
                    if !taken.isEmpty && cost > budget { break }
                    taken.append(waiting.removeFirst())
                    budget -= cost
                }
                counters.waiting = waiting.count
                return taken
            }
            if admitted.isEmpty && sequences.isEmpty { return }   // nothing left: the thread ends
            for request in admitted {
                if request.isCancelled { request.finish(.failure(ServingError.cancelled)); continue }
                var decoder = WindowedDecoder(model: model)
                do {
                    let logits = try decoder.append(contentsOf: request.prompt)
                    sequences.append(Sequence(request: request, logits: logits, rng: request.initialRNG))
                    decoders.append(decoder)
                } catch {
                    request.finish(.failure(error))
                }
            }
            // Sample each sequence's next token; retire the finished and the cancelled.
            var next: [Int] = [], retired = 0
            for i in sequences.indices.reversed() {
                var s = sequences[i]
                if s.request.isCancelled {
                    s.request.finish(.failure(ServingError.cancelled))
                } else if s.produced < s.request.maxTokens {
                    let token = TokenSampler.sample(s.logits, options: s.request.sampling, rng: &s.rng)
                    s.produced += 1
                    s.request.deliver(token)
                    sequences[i] = s
                    if s.produced < s.request.maxTokens { next.append(token); continue }
                    s.request.finish(.success(s.rng))
                } else {
                    s.request.finish(.success(s.rng))   // max_tokens 0
                }
                sequences.remove(at: i)
                decoders.remove(at: i)
                retired += 1
            }
            next.reverse()
            // One batched step over every sequence still running.
            if !sequences.isEmpty {
                do {
                    let logits = try WindowedDecoder.append(next, to: &decoders)
                    for i in sequences.indices { sequences[i].logits = logits[i] }
                } catch {
                    for s in sequences { s.request.finish(.failure(error)) }
                    sequences.removeAll()
                    decoders.removeAll()
                }
            }
            lock.withLock {
                counters.lastBatch = next.count
                counters.admitted += admitted.count
                counters.retired += retired
                if !next.isEmpty { counters.steps += 1; counters.rows += next.count }
                counters.active = sequences.count
            }
        }
    }
}

/// One generation request, shared by its own thread and the scheduler.
private final class Request: @unchecked Sendable {
    let prompt: [Int]
    let maxTokens: Int
    let sampling: SamplingOptions
    let initialRNG: SeededRandom
    let tokensPerWake: Int
    let maxWakeDelay: UInt64
    private let condition = NSCondition()
    private var tokens: [Int] = []
    private var result: Result<SeededRandom, Error>?
    private var cancelled = false
    private var delivered = 0
    /// When the oldest token in `tokens` was delivered (uptime ns).
    private var pendingSince: UInt64 = 0

    init(prompt: [Int], maxTokens: Int, sampling: SamplingOptions, rng: SeededRandom, tokensPerWake: Int, maxWakeDelay: UInt64) {
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampling = sampling
        initialRNG = rng
        self.tokensPerWake = tokensPerWake
        self.maxWakeDelay = maxWakeDelay
    }

    /// Scheduler: one more token for the client; wakes the client's thread
    /// for the first token, or once `tokensPerWake` wait or the oldest
    /// waited `maxWakeDelay` (`finish` always wakes it).
    func deliver(_ token: Int) {
        let now = DispatchTime.now().uptimeNanoseconds
        condition.lock()
        if tokens.isEmpty { pendingSince = now }
        tokens.append(token)
        delivered += 1
        if delivered == 1 || tokens.count >= tokensPerWake || now - pendingSince >= maxWakeDelay { condition.signal() }
        condition.unlock()
    }

    /// Scheduler: the generation is over (the final rng, or why it stopped).
    func finish(_ outcome: Result<SeededRandom, Error>) {
        condition.lock()
        result = outcome
        condition.signal()
        condition.unlock()
    }

    /// The client's thread: the client left (or its callback failed).
    func cancel() { condition.withLock { cancelled = true } }

    var isCancelled: Bool { condition.withLock { cancelled } }

    /// The client's thread: the tokens produced since the last call, and
    /// the outcome once the generation is over (after its last token);
    /// waits up to `seconds` for either.
    func take(waitingAtMost seconds: Double) -> ([Int], Result<SeededRandom, Error>?) {
        condition.lock()
        defer { condition.unlock() }
        if tokens.isEmpty && result == nil { _ = condition.wait(until: Date().addingTimeInterval(seconds)) }
        let out = tokens
        tokens.removeAll(keepingCapacity: true)
        return (out, result)
    }
}

/// A continuous batcher's counters since it was made, and its queues now.
public struct ContinuousBatchingStatistics: Sendable, Equatable {
    /// Batched steps run, and the rows they held (mean batch = rows / steps).
    public var steps = 0
    public var rows = 0
    /// Rows of the latest step.
    public var lastBatch = 0
    public var admitted = 0
    public var retired = 0
    /// Sequences running and requests waiting for a place.
    public var active = 0
    public var waiting = 0

    /// Prometheus text lines (for GET /metrics).
    public var prometheus: String {
        [("backprop_batching_active_sequences", "gauge", "Sequences in the continuous batcher's steps now.", active),
         ("backprop_batching_waiting_requests", "gauge", "Generation requests waiting for a place in the batch.", waiting),
         ("backprop_batching_batch_size", "gauge", "Sequences in the latest batched decoding step.", lastBatch),
         ("backprop_batching_steps_total", "counter", "Batched decoding steps run.", steps),
         ("backprop_batching_rows_total", "counter", "Sequence-steps run (rows / steps = mean batch size).", rows),
         ("backprop_batching_admitted_total", "counter", "Requests admitted to the batch.", admitted)]
            .map { "# HELP \($0.0) \($0.2)\n# TYPE \($0.0) \($0.1)\n\($0.0) \($0.3)\n" }.joined()
    }
}
