// Grader for exercise 8.4: grouped-query attention at one decoding step.
// The head map against ⌊h/(H/H_kv)⌋ for every query head of five shapes;
// the cache's bytes per position against 2·L·H_kv·d·bytes on worked sizes
// (the book's model, Llama 2 7B and 70B, Llama 3 8B); one step of attention
// over a cache against the grader's loops, a hand-worked case, and scores in
// the thousands, with the library's decoding kernel as a second opinion.

import BackpropCore
import ExerciseKit
import Foundation
import TokensAndTheModernLLM

/// (query head h, heads H, kv heads H_kv) → the key/value head h reads.
public typealias KVHeadMap = (Int, Int, Int) throws -> Int
/// (layers, heads, kv heads, head width, bytes per value) → bytes per cached position.
public typealias KVCacheBytesPerPosition = (Int, Int, Int, Int, Int) throws -> Int
/// (q [H·d], keys [n][H_kv·d], values [n][H_kv·d], H, H_kv) → a [H·d]
public typealias GroupedAttentionStep = ([Double], [[Double]], [[Double]], Int, Int) throws -> [Double]

extension Chapter08Graders {
    /// One query row over n cached rows: head h reads shared head `map(h)`.
    static func groupedStepReference(_ q: [Double], _ keys: [[Double]], _ values: [[Double]], _ heads: Int, _ kvHeads: Int,
                                     map: ((Int) -> Int)? = nil, scaled: Bool = true) -> [Double] {
        let d = q.count / heads, group = heads / kvHeads
        var out = [Double](repeating: 0, count: heads * d)
        for h in 0..<heads {
            let g = map?(h) ?? h / group
            let scores = keys.map { k in (0..<d).reduce(0) { $0 + q[h * d + $1] * k[g * d + $1] } / (scaled ? Double(d).squareRoot() : 1) }
            let top = scores.max()!
            let e = scores.map { exp($0 - top) }, total = e.reduce(0, +)
            for (j, v) in values.enumerated() { for i in 0..<d { out[h * d + i] += e[j] / total * v[g * d + i] } }
        }
        return out
    }

    struct GroupedCase { let q: [Double]; let keys: [[Double]]; let values: [[Double]]; let heads: Int; let kvHeads: Int; let note: String }

    static var groupedCases: [GroupedCase] {
        var rng = SeededRandom(seed: 8401)
        func make(_ n: Int, _ heads: Int, _ kvHeads: Int, _ d: Int, scale: Double = 1, _ note: String) -> GroupedCase {
            GroupedCase(q: (0..<(heads * d)).map { _ in rng.normal() * scale },
                        keys: randomMatrix(n, kvHeads * d, &rng, scale: scale), values: randomMatrix(n, kvHeads * d, &rng),
                        heads: heads, kvHeads: kvHeads, note: note)
        }
        return [
            // Hand-worked: one cached position, so every head's weights are [1]:
            // head h's output is the value of its shared head.
            GroupedCase(q: [1, 2, 3, 4, 5, 6, 7, 8], keys: [[0.5, -1, 2, 0]], values: [[10, 20, 30, 40]], heads: 4, kvHeads: 2,
                        note: "one cached position, H = 4, H_kv = 2, d = 2 (heads 0, 1 read values [10, 20]; heads 2, 3 read [30, 40])"),
            make(5, 4, 2, 4, "5 cached positions, H = 4, H_kv = 2, d = 4"),
            make(3, 6, 3, 2, "3 cached positions, H = 6, H_kv = 3, d = 2"),
            make(4, 4, 4, 3, "4 cached positions, H = H_kv = 4 (multi-head attention)"),
            make(6, 4, 1, 4, "6 cached positions, H = 4, H_kv = 1 (multi-query attention)"),
            make(4, 8, 2, 4, scale: 40, "4 cached positions, H = 8, H_kv = 2, scores in the thousands"),
        ]
    }

    /// Exercise 8.4: the head map, the cache's size, one step of grouped attention.
    public static func groupedQueryAttention(kvHead: KVHeadMap, cacheBytes: KVCacheBytesPerPosition,
                                             attend: GroupedAttentionStep) throws -> GradeReport {
        var report = GradeReport()
        // The map: H/H_kv consecutive query heads share one key/value head.
        for (heads, kvHeads) in [(8, 2), (4, 4), (4, 1), (6, 3), (32, 8)] {
            let got = try (0..<heads).map { try kvHead($0, heads, kvHeads) }
            let expected = (0..<heads).map { $0 / (heads / kvHeads) }
            var hint = ""
            if got == (0..<heads).map({ $0 % kvHeads }) {
                hint = " — h mod H_kv deals the query heads out in turn; the groups are consecutive: heads 0 … H/H_kv − 1 share key/value head 0"
            } else if got == (0..<heads).map({ $0 / kvHeads }) {
                hint = " — ⌊h/H_kv⌋ divides by the number of shared heads; divide by the group size H/H_kv"
            }
            report.check(got == expected, "H = \(heads), H_kv = \(kvHeads): expected the key/value heads \(show(expected)) for query heads 0…\(heads - 1), got \(show(got))" + hint)
        }
        // Bytes per cached position.
        let sizes: [(Int, Int, Int, Int, Int, Int, String)] = [
            (4, 4, 2, 32, 4, 2_048, "the book's model (L = 4, H = 4, H_kv = 2, d = 32, Float)"),
            (32, 32, 32, 128, 2, 524_288, "Llama 2 7B (L = 32, H = H_kv = 32, d = 128, 2-byte values)"),
            (80, 64, 8, 128, 2, 327_680, "Llama 2 70B (L = 80, H = 64, H_kv = 8, d = 128, 2-byte values)"),
            (32, 32, 8, 128, 2, 131_072, "Llama 3 8B (L = 32, H = 32, H_kv = 8, d = 128, 2-byte values)"),
            (1, 1, 1, 1, 1, 2, "one layer, one head of width 1, one-byte values"),
        ]
        for (l, h, kv, d, bytes, expected, note) in sizes {
            let got = try cacheBytes(l, h, kv, d, bytes)
            var hint = ""
            if got == expected / 2 { hint = " — a key and a value are cached per head: the factor 2 is missing" }
            else if got == expected / kv * h, h != kv { hint = " — you counted the query heads; only the H_kv shared heads are cached" }
            else if got == expected / bytes, bytes != 1 { hint = " — that is the number of values; multiply by the bytes per value" }
            report.check(got == expected, "\(note): expected \(expected) bytes per position, got \(got)" + hint)
        }
        // One step of attention over the cache.
        for c in groupedCases {
            let got = try attend(c.q, c.keys, c.values, c.heads, c.kvHeads)
            let expected = groupedStepReference(c.q, c.keys, c.values, c.heads, c.kvHeads)
            var hint = ""
            if got.count == expected.count, !Grade.close(got, expected, 1e-9) {
                if got.contains(where: { !$0.isFinite }) {
                    hint = " — the scores overflow exp(): subtract each head's largest score before exponentiating"
                } else if c.heads != c.kvHeads, c.kvHeads > 1,
                          Grade.close(got, groupedStepReference(c.q, c.keys, c.values, c.heads, c.kvHeads, map: { $0 % c.kvHeads }), 1e-9) {
                    hint = " — query head h read key/value head h mod H_kv; it reads ⌊h/(H/H_kv)⌋"
                } else if Grade.close(got, groupedStepReference(c.q, c.keys, c.values, c.heads, c.kvHeads, scaled: false), 1e-9) {
                    hint = " — the scores are divided by √d, the head's width"
                } else if c.keys.count > 1,
                          Grade.close(got, groupedStepReference(c.q, Array(c.keys.suffix(1)), Array(c.values.suffix(1)), c.heads, c.kvHeads), 1e-9) {
                    hint = " — you attended to the newest position only; the query attends to every cached position"
                }
            }
            report.check(got.count == expected.count && Grade.close(got, expected, 1e-9),
                         "attention, \(c.note): expected \(Grade.show(expected)), got \(Grade.show(got))" + hint)
        }
        guard report.passed else { return report }
        // Second opinion: the decoder's kernel.
        for c in groupedCases.dropFirst() {
            let library = LlamaDecodeKernels.attend(c.q, keys: c.keys.flatMap { $0 }, values: c.values.flatMap { $0 }, count: c.keys.count,
                                                    heads: c.heads, kvHeads: c.kvHeads, headWidth: c.q.count / c.heads, backend: .naive)
            let got = try attend(c.q, c.keys, c.values, c.heads, c.kvHeads)
            report.check(Grade.close(got, library, 1e-9), "attention, \(c.note), against the book's decoding kernel: expected \(Grade.show(library)), got \(Grade.show(got))")
        }
        return report
    }
}
