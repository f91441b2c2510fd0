// Grader for exercise 8.6: find the bugs in a KV-cache decoder for the
// Llama (debug and measure). The measure first: on decoders built by the
// grader (the recomputed logits with one entry moved by a known amount, the
// given code), the student's largest discrepancy must be the grader's own.
// Then the fix: the logits after every prefix must equal the recomputed
// ones (the model's batched forward pass over the prefix, the path the
// cache exists to avoid) to 10⁻⁹, on four models: grouped (H = 4, H_kv = 2;
// H = 6, H_kv = 3), multi-head (H = H_kv = 4) and multi-query (H_kv = 1).
// The given code is wrong on every model: on the grouped ones from the
// first token (its head map), on the others from the second (its
// positions). The grader's copy of it below only names a wrong answer.

import BackpropCore
import Backpropagation
import ExerciseKit
import Foundation
import TokensAndTheModernLLM

/// (model, tokens) → the logits [V] after each prefix tokens[0…i].
public typealias CachedLogits = (Llama<Double>, [Int]) throws -> [[Double]]
/// (model, tokens, a decoder) → the largest |decoded − recomputed| over every prefix and logit.
public typealias CacheDiscrepancy = (Llama<Double>, [Int], ([Int]) throws -> [[Double]]) throws -> Double

extension Chapter08Graders {
    /// The logits after each prefix, each recomputed by one forward pass over the prefix.
    static func recomputedLogits(_ model: Llama<Double>, _ tokens: [Int]) throws -> [[Double]] {
        try tokens.indices.map { i in
            let logits = try model.forward(Array(tokens[...i]), batch: 1, length: i + 1).logits.scalars
            return Array(logits.suffix(model.config.vocabularySize))
        }
    }

    static func largestDifference(_ a: [[Double]], _ b: [[Double]]) -> Double {
        guard a.count == b.count, zip(a, b).allSatisfy({ $0.count == $1.count }) else { return .infinity }
        return zip(a, b).reduce(0) { m, rows in zip(rows.0, rows.1).reduce(m) { max($0, abs($1.0 - $1.1)) } }
    }

    /// The stub's decoder, with either bug optionally fixed.
    static func givenDecoder(_ model: Llama<Double>, _ tokens: [Int], fixPositions: Bool = false, fixHeads: Bool = false) throws -> [[Double]] {
        let config = model.config
        let (c, d, heads, kvHeads) = (config.width, config.headWidth, config.heads, config.kvHeads)
        let group = heads / kvHeads, rowWidth = kvHeads * d
        func matvec(_ w: [Double], _ x: [Double]) -> [Double] {
            (0..<(w.count / x.count)).map { o in (0..<x.count).reduce(0) { $0 + w[o * x.count + $1] * x[$1] } }
        }
        var keys = [[Double]](repeating: [], count: config.layers), values = keys
        var out: [[Double]] = []
        for token in tokens {
            var x = Array(model.tokenEmbedding.weight.value.scalars[(token * c)..<((token + 1) * c)])
            for (l, block) in model.blocks.enumerated() {
                let attention = block.attention
                let position = keys[l].count / rowWidth
                let n1 = try block.attentionNorm.forward(try Tensor(shape: [1, c], scalars: x), mode: .inference).output.scalars
                var q = matvec(attention.query.weight.value.scalars, n1)
                var k = matvec(attention.key.weight.value.scalars, n1)
                let v = matvec(attention.value.weight.value.scalars, n1)
                attention.rotary.rotate(&q, width: heads * d, length: 1, offset: fixPositions ? position : 0, inverse: false)
                attention.rotary.rotate(&k, width: rowWidth, length: 1, offset: position, inverse: false)
                keys[l] += k
                values[l] += v
                let n = position + 1
                var a = [Double](repeating: 0, count: heads * d)
                for h in 0..<heads {
                    let g = fixHeads ? h / group : h % kvHeads
                    let scores = (0..<n).map { j in (0..<d).reduce(0) { $0 + q[h * d + $1] * keys[l][j * rowWidth + g * d + $1] } / Double(d).squareRoot() }
                    let top = scores.max()!
                    let e = scores.map { exp($0 - top) }, total = e.reduce(0, +)
                    for j in 0..<n { for i in 0..<d { a[h * d + i] += e[j] / total * values[l][j * rowWidth + g * d + i] } }
                }
                let u = zip(x, matvec(attention.output.weight.value.scalars, a)).map { $0 + $1 }
                let n2 = try block.mlpNorm.forward(try Tensor(shape: [1, c], scalars: u), mode: .inference).output.scalars
                let mlp = block.mlp.swiGLU!  // these models use SwiGLU, the default MLP
                let gate = matvec(mlp.gate.weight.value.scalars, n2), up = matvec(mlp.up.weight.value.scalars, n2)
                let hidden = zip(gate, up).map { $0 / (1 + exp(-$0)) * $1 }
                x = zip(u, matvec(mlp.down.weight.value.scalars, hidden)).map { $0 + $1 }
            }
            let h = try model.finalNorm.forward(try Tensor(shape: [1, c], scalars: x), mode: .inference).output.scalars
            out.append(matvec((model.head ?? model.tokenEmbedding.weight).value.scalars, h))
        }
        return out
    }

    struct CacheModel { let model: Llama<Double>; let tokens: [Int]; let note: String }

    /// Four small models (Double, naive kernels, weights large enough that
    /// attention is far from uniform) and a prompt filling each context.
    static func cacheModels() throws -> [CacheModel] {
        let shapes: [(Int, Int, Int, UInt64, String)] = [
            (16, 4, 2, 8601, "H = 4 query heads sharing H_kv = 2 key/value heads"),
            (24, 6, 3, 8602, "H = 6, H_kv = 3"),
            (16, 4, 4, 8603, "multi-head attention (H = H_kv = 4)"),
            (16, 4, 1, 8604, "multi-query attention (H = 4, H_kv = 1)"),
        ]
        return try shapes.map { width, heads, kvHeads, seed, note in
            let config = try LlamaConfig(vocabularySize: 13, context: 8, layers: 2, width: width, heads: heads, kvHeads: kvHeads, hidden: 12)
            let model = try Llama<Double>(config: config, seed: seed, std: 0.5, backend: .naive)
            var rng = SeededRandom(seed: seed + 100)
            return CacheModel(model: model, tokens: (0..<8).map { _ in rng.integer(below: 13) },
                              note: "a 2-layer Llama with \(note), 8 tokens")
        }
    }

    /// Exercise 8.6: the measure on decoders of known discrepancy, then the fix.
    public static func findTheCacheBug(measure: CacheDiscrepancy, fixed: CachedLogits) throws -> GradeReport {
        var report = GradeReport()
        let models = try cacheModels()
        // 1. The measure.
        let m = models[0]
        let recomputed = try recomputedLogits(m.model, m.tokens)
        var probes: [(String, ([Int]) throws -> [[Double]], Double)] = []
        probes.append(("the recomputed logits themselves", { try recomputedLogits(m.model, $0) }, 0))
        for (prefix, entry, delta) in [(5, 7, 0.3), (0, 0, -0.04), (7, 12, 2.5)] {
            probes.append(("the recomputed logits with entry \(entry) after prefix \(prefix) moved by \(delta)", { tokens in
                var logits = try recomputedLogits(m.model, tokens)
                logits[prefix][entry] += delta
                return logits
            }, abs(delta)))
        }
        probes.append(("the given decoder", { try givenDecoder(m.model, $0) }, largestDifference(try givenDecoder(m.model, m.tokens), recomputed)))
        for (name, decoder, expected) in probes {
            let got = try measure(m.model, m.tokens, decoder)
            var hint = ""
            if !(abs(got - expected) <= 1e-9 * max(1, expected)) {
                if expected > 0, abs(got - expected / Double(m.tokens.count * m.model.config.vocabularySize)) < 1e-9 {
                    hint = " — that is a mean; the measure is the largest difference"
                } else if name.contains("prefix 0"), got < expected {
                    hint = " — the logits after the first token (prefix 0) count too"
                } else if name.contains("prefix 7"), got < expected {
                    hint = " — the logits after the last token count too"
                } else if expected > 0, got < 0 {
                    hint = " — take absolute differences"
                }
            }
            report.check(abs(got - expected) <= 1e-9 * max(1, expected),
                         "the measure of \(name) on \(m.note): expected a largest |decoded − recomputed| of \(expected), got \(got)" + hint)
        }
        guard report.passed else { return report }
        // 2. The fix.
        for c in models {
            let expected = try recomputedLogits(c.model, c.tokens)
            let got = try fixed(c.model, c.tokens)
            let worst = largestDifference(got, expected)
            var hint = ""
            if !(worst <= 1e-9) {
                let given = try givenDecoder(c.model, c.tokens)
                if largestDifference(got, given) < 1e-12 {
                    hint = " — these are the given code's logits: it still has both bugs"
                } else if largestDifference(got, try givenDecoder(c.model, c.tokens, fixPositions: true)) < 1e-12 {
                    hint = " — right for multi-head and multi-query models but not here: which key/value head does query head h read?"
                } else if largestDifference(got, try givenDecoder(c.model, c.tokens, fixHeads: true)) < 1e-12 {
                    hint = " — right after the first token only: at which position is each new query rotated?"
                } else if got.count == expected.count, let first = got.indices.first(where: { largestDifference([got[$0]], [expected[$0]]) > 1e-9 }) {
                    hint = " — the first prefix that disagrees is tokens[0…\(first)]"
                }
            }
            report.check(worst <= 1e-9, "\(c.note): the largest |cached − recomputed| over every prefix must be ≤ 10⁻⁹, got \(worst)" + hint)
        }
        return report
    }
}
