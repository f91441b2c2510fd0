// Chapter 9's graders, continued (Chapter09Graders.swift has the others):
// exercises 9.3, the dynamic-batching policy, and 9.4, the KV cache's memory.

import BackpropCore
import ExerciseKit
import Foundation

extension Chapter09Graders {
    // MARK: - 9.3 Dynamic batching

    /// The policy simulated request by request: a batch is open from its
    /// first arrival until it is full or its deadline passes. Variants for
    /// hints: `slidingDeadline` restarts the wait at every arrival,
    /// `waitWhenFull` dispatches full batches at the deadline anyway,
    /// `exclusive` refuses arrivals exactly at the deadline, `sizeSlack`
    /// lets batches grow by one more request.
    static func batchingReference(
        _ arrivals: [Double], _ maxSize: Int, _ maxWait: Double, slidingDeadline: Bool = false,
        waitWhenFull: Bool = false, exclusive: Bool = false, sizeSlack: Int = 0
    ) -> [(dispatchTime: Double, requests: [Int])] {
        var result: [(dispatchTime: Double, requests: [Int])] = []
        var open: (deadline: Double, members: [Int])?
        let limit = maxSize + sizeSlack
        func close(at time: Double) {
            if let batch = open { result.append((time, batch.members)) }
            open = nil
        }
        for (i, t) in arrivals.enumerated() {
            if let batch = open {
                let inTime = exclusive ? t < batch.deadline : t <= batch.deadline
                if !inTime { close(at: batch.deadline) }
            }
            if open == nil {
                open = (t + maxWait, [i])
            } else {
                open!.members.append(i)
                if slidingDeadline { open!.deadline = t + maxWait }
            }
            if open!.members.count == limit { close(at: waitWhenFull ? open!.deadline : t) }
        }
        if let batch = open { close(at: batch.deadline) }
        return result
    }

    struct BatchingCase {
        var arrivals: [Double]
        var maxSize: Int
        var maxWait: Double
        var expected: [(dispatchTime: Double, requests: [Int])]?
        var why: String
    }

    static var batchingCases: [BatchingCase] {
        var cases = [
            BatchingCase(arrivals: [0, 4, 30, 31, 33, 50], maxSize: 3, maxWait: 5,
                         expected: [(5, [0, 1]), (33, [2, 3, 4]), (55, [5])], why: "the worked example"),
            BatchingCase(arrivals: [0, 1, 2, 3], maxSize: 4, maxWait: 10, expected: [(3, [0, 1, 2, 3])],
                         why: "a batch that fills up is dispatched at once, when its last request arrives"),
            BatchingCase(arrivals: [5], maxSize: 4, maxWait: 10, expected: [(15, [0])],
                         why: "a lone request waits the whole maxWait"),
            BatchingCase(arrivals: [0, 0, 0, 0, 0], maxSize: 2, maxWait: 10,
                         expected: [(0, [0, 1]), (0, [2, 3]), (10, [4])],
                         why: "simultaneous requests are split by maxBatchSize"),
            BatchingCase(arrivals: [0, 10, 11], maxSize: 8, maxWait: 10, expected: [(10, [0, 1]), (21, [2])],
                         why: "a request arriving exactly at the deadline still joins (arrival ≤ t₀ + maxWait)"),
            BatchingCase(arrivals: [0, 3, 6, 9, 12, 15], maxSize: 10, maxWait: 5,
                         expected: [(5, [0, 1]), (11, [2, 3]), (17, [4, 5])],
                         why: "the deadline is fixed by the batch's FIRST request; later arrivals do not extend it"),
            BatchingCase(arrivals: [0, 2, 2, 7], maxSize: 1, maxWait: 10,
                         expected: [(0, [0]), (2, [1]), (2, [2]), (7, [3])],
                         why: "maxBatchSize 1: every request is dispatched when it arrives"),
            BatchingCase(arrivals: [1, 1, 1, 2], maxSize: 2, maxWait: 0, expected: [(1, [0, 1]), (1, [2]), (2, [3])],
                         why: "maxWait 0: only requests arriving at the same instant share a batch"),
            BatchingCase(arrivals: [], maxSize: 4, maxWait: 10, expected: [], why: "no requests, no batches"),
        ]
        var rng = SeededRandom(seed: 7303)
        for (n, size, wait, gap) in [(40, 4, 10.0, 6), (60, 8, 25.0, 5), (30, 3, 2.0, 3)] {
            var t = 0.0
            let arrivals = (0..<n).map { _ -> Double in t += Double(rng.integer(below: gap + 1)); return t }
            cases.append(BatchingCase(arrivals: arrivals, maxSize: size, maxWait: wait, expected: nil,
                                      why: "\(n) random arrivals (integer milliseconds), maxBatchSize \(size), "
                                        + "maxWait \(wait)"))
        }
        return cases
    }

    static func show(_ batches: [(dispatchTime: Double, requests: [Int])]) -> String {
        "[" + batches.prefix(8).map { "(\(String(format: "%g", $0.dispatchTime)), \($0.requests))" }
            .joined(separator: ", ") + (batches.count > 8 ? ", … (\(batches.count) batches)" : "") + "]"
    }

    static func same(_ a: [(dispatchTime: Double, requests: [Int])], _ b: [(dispatchTime: Double, requests: [Int])])
        -> Bool
    {
        a.count == b.count && zip(a, b).allSatisfy { $0.dispatchTime == $1.dispatchTime && $0.requests == $1.requests }
    }

    /// Exercise 9.3: invariants every policy of this kind satisfies, then the
    /// exact batches, with hints for a sliding deadline, waiting when full,
    /// an exclusive deadline and an off-by-one batch size.
    public static func dynamicBatches(_ candidate: DynamicBatches) throws -> GradeReport {
        var report = GradeReport()
        for c in batchingCases {
            let want = c.expected ?? batchingReference(c.arrivals, c.maxSize, c.maxWait)
            let setting = "\(c.why): arrivals \(Grade.show(c.arrivals)), maxBatchSize \(c.maxSize), "
                + "maxWait \(String(format: "%g", c.maxWait))"
            let got = try candidate(c.arrivals, c.maxSize, c.maxWait)
            // Invariants.
            let order = got.flatMap(\.requests)
            report.check(order == Array(c.arrivals.indices), "\(setting): every request must be in exactly one "
                + "batch, in arrival order (0, 1, …, \(c.arrivals.count - 1)), got the sequence \(order.prefix(20))")
            let oversize = got.filter { $0.requests.count > c.maxSize }
            report.check(oversize.isEmpty, "\(setting): no batch may hold more than maxBatchSize = \(c.maxSize) "
                + "requests, got \(show(oversize))")
            if order == Array(c.arrivals.indices) {
                let early = got.filter { b in b.requests.contains { c.arrivals[$0] > b.dispatchTime } }
                report.check(early.isEmpty, "\(setting): a batch cannot be dispatched before its requests arrive, "
                    + "got \(show(early))")
                let late = got.filter { $0.dispatchTime > c.arrivals[$0.requests[0]] + c.maxWait }
                report.check(late.isEmpty, "\(setting): no request may wait longer than maxWait, so a batch goes "
                    + "out by its first request's arrival + maxWait; got \(show(late))")
            }
            var hint = ""
            if !same(got, want) {
                let known: [([(dispatchTime: Double, requests: [Int])], String)] = [
                    (batchingReference(c.arrivals, c.maxSize, c.maxWait, slidingDeadline: true),
                     " — your deadline moves with every arrival; it is fixed at the first request's arrival + "
                        + "maxWait, or a steady trickle would keep the first request waiting for ever"),
                    (batchingReference(c.arrivals, c.maxSize, c.maxWait, waitWhenFull: true),
                     " — a full batch waits for the deadline; dispatch it the moment it is full, waiting gains nothing"),
                    (batchingReference(c.arrivals, c.maxSize, c.maxWait, exclusive: true),
                     " — a request arriving exactly at the deadline joins the batch (≤, not <)"),
                    (batchingReference(c.arrivals, c.maxSize, c.maxWait, sizeSlack: 1),
                     " — your batches hold maxBatchSize + 1 requests; stop at maxBatchSize"),
                ]
                hint = known.first { same(got, $0.0) }?.1 ?? ""
            }
            report.check(same(got, want), "\(setting): expected \(show(want)), got \(show(got))" + hint)
        }
        return report
    }

    // MARK: - 9.4 KV-cache size

    struct CacheCase {
        var layers, heads, kvHeads, headDimension, tokens, batch, bytesPerValue: Int
        var bytes: Int
        var name: String
    }

    /// Worked by hand (powers of two make the products easy to check).
    static let cacheCases: [CacheCase] = [
        // 2·4·4·32·64·1·4 = 2¹·2²·2²·2⁵·2⁶·2² = 2¹⁸ = 262,144 (256 KiB).
        CacheCase(layers: 4, heads: 4, kvHeads: 4, headDimension: 32, tokens: 64, batch: 1, bytesPerValue: 4,
                  bytes: 262_144, name: "the book's baby GPT (4 layers, 4 heads × 32, 64 tokens, Float32)"),
        // The same model serving 8 sequences of 256 tokens: 2¹⁸·4·8 = 2²³ = 8 MiB.
        CacheCase(layers: 4, heads: 4, kvHeads: 4, headDimension: 32, tokens: 256, batch: 8, bytesPerValue: 4,
                  bytes: 8_388_608, name: "the baby GPT with 8 sequences of 256 tokens"),
        // 2·12·12·64·1024·2 = 288·131,072 = 37,748,736 (36 MiB).
        CacheCase(layers: 12, heads: 12, kvHeads: 12, headDimension: 64, tokens: 1024, batch: 1, bytesPerValue: 2,
                  bytes: 37_748_736, name: "GPT-2 small (12 layers, 12 heads × 64, 1,024 tokens, Float16)"),
        // 2·32·32·128·4096·1·2 = 2³¹ = 2 GiB: past Int32.
        CacheCase(layers: 32, heads: 32, kvHeads: 32, headDimension: 128, tokens: 4096, batch: 1, bytesPerValue: 2,
                  bytes: 2_147_483_648, name: "a 7B model like Llama 2 7B (32 layers, 32 heads × 128, 4,096 tokens, Float16)"),
        // Grouped-query attention: 64 query heads share 8 KV heads.
        // 2·80·8·128·4096·16·2 = 80·2²⁸ = 21,474,836,480 (20 GiB; with 64 KV heads it would be 160 GiB).
        CacheCase(layers: 80, heads: 64, kvHeads: 8, headDimension: 128, tokens: 4096, batch: 16, bytesPerValue: 2,
                  bytes: 21_474_836_480,
                  name: "a 70B model with grouped-query attention like Llama 2 70B (80 layers, 64 query heads sharing "
                    + "8 KV heads of 128, 4,096 tokens, batch 16, Float16)"),
        CacheCase(layers: 6, heads: 6, kvHeads: 2, headDimension: 64, tokens: 100, batch: 3, bytesPerValue: 1,
                  bytes: 460_800, name: "6 layers, 6 query heads sharing 2 KV heads of 64, 100 tokens, batch 3, 8-bit"),
        CacheCase(layers: 4, heads: 4, kvHeads: 4, headDimension: 32, tokens: 0, batch: 1, bytesPerValue: 4,
                  bytes: 0, name: "an empty cache (0 tokens)"),
    ]

    /// Exercise 9.4: the hand-worked sizes, with hints for a missing 2, query
    /// heads in place of KV heads, a missing batch or bytes per value, bits.
    public static func kvCacheBytes(_ candidate: KVCacheBytes) throws -> GradeReport {
        var report = GradeReport()
        for c in cacheCases {
            let got = try candidate(c.layers, c.heads, c.kvHeads, c.headDimension, c.tokens, c.batch, c.bytesPerValue)
            var hint = ""
            if got != c.bytes, c.bytes > 0 {
                let values = c.bytes / c.bytesPerValue
                if got * 2 == c.bytes {
                    hint = " — the factor 2 is missing: the cache holds a key AND a value vector"
                } else if c.heads != c.kvHeads, got == c.bytes / c.kvHeads * c.heads {
                    hint = " — you counted query heads; only the \(c.kvHeads) key/value heads are cached, and the "
                        + "\(c.heads) query heads share them"
                } else if c.batch > 1, got * c.batch == c.bytes {
                    hint = " — the batch is missing: each sequence has its own cache"
                } else if c.bytesPerValue > 1, got == values {
                    hint = " — you counted values, not bytes: multiply by bytesPerValue"
                } else if got == c.bytes * 8 {
                    hint = " — that is bits; return bytes"
                }
            }
            let perToken = c.tokens > 0 ? " (\(c.bytes / (c.tokens * c.batch)) bytes per token per sequence)" : ""
            report.check(got == c.bytes, "\(c.name): expected 2·\(c.layers)·\(c.kvHeads)·\(c.headDimension)·"
                + "\(c.tokens)·\(c.batch)·\(c.bytesPerValue) = \(c.bytes) bytes\(perToken), got \(got)" + hint)
        }
        return report
    }
}
