// The chapter 8 graders are tested too: each accepts the reference solution
// and rejects broken answers with typical mistakes, saying why. Skipped when
// an instructor has removed exercises/solutions/08-tokens-and-the-modern-llm
// (the package then has no Solutions08 module).

#if canImport(Solutions08)
import BackpropCore
import ExerciseKit
import Foundation
@testable import Graders08
import Solutions08
import Testing
import TokensAndTheModernLLM

@Suite struct Chapter08GraderSelfTests {
    // MARK: 8.1

    @Test func mergeGraderAcceptsTheSolution() throws {
        let report = try Chapter08Graders.bytePairMerge(mostFrequent: Solutions08.mostFrequentPair,
                                                        merge: { try Solutions08.mergePair($0, left: $1, right: $2, into: $3) })
        #expect(report.passed, "\(report.failures)")
    }

    /// The grader's replay of training finds the merges the book's trainer
    /// finds on the same text, without pre-tokenization (a second opinion).
    @Test func replayAgreesWithTheLibrarysTrainer() throws {
        let replay = try Chapter08Graders.trainingReplay(Chapter08Graders.replayText, merges: 20,
                                                         mostFrequent: { Chapter08Graders.mostFrequentReference($0) },
                                                         merge: { Chapter08Graders.mergeReference($0, $1, $2, $3) })
        let (tokenizer, trained) = try BPETrainer.train(Chapter08Graders.replayText,
                                                        options: BPETrainingOptions(vocabularySize: 256 + 20, preTokenization: .none, specialTokens: []))
        #expect(replay.count == 20)
        #expect(replay.map { [$0[0], $0[1]] } == tokenizer.merges.map { [$0.left, $0.right] })
        #expect(replay.map { $0[2] } == trained.mergeCounts)
    }

    @Test("the merge grader rejects broken merges and counts and says why", arguments: [
        ("merges from the right", 0, "merged from the right"),
        ("continues one token after a merge", 1, "continue after the pair's second token"),
        ("never merges the last two tokens", 2, "the pair at the very end"),
        ("merges the first occurrence only", 3, "only the first occurrence"),
        ("counts non-overlapping occurrences", 4, "non-overlapping occurrences"),
        ("breaks ties by the first pair seen", 5, "the first pair seen"),
        ("breaks ties by the larger ids", 6, "not the larger"),
    ])
    func mergeGraderRejects(name: String, variant: Int, hint: String) throws {
        let merge: MergePair = { tokens, a, b, z in
            switch variant {
            case 0:
                return Chapter08Graders.mergeReference(tokens.reversed(), b, a, z).reversed()
            case 1:
                var out: [Int] = [], i = 0
                while i < tokens.count {
                    if i + 1 < tokens.count, tokens[i] == a, tokens[i + 1] == b { out.append(z); i += 1 }
                    else { out.append(tokens[i]); i += 1 }
                }
                return out
            case 2:
                guard tokens.count >= 2 else { return tokens }
                return Chapter08Graders.mergeReference(Array(tokens.dropLast()), a, b, z) + [tokens.last!]
            case 3:
                guard let i = tokens.indices.dropLast().first(where: { tokens[$0] == a && tokens[$0 + 1] == b }) else { return tokens }
                return Array(tokens[..<i]) + [z] + tokens[(i + 2)...]
            default:
                return Chapter08Graders.mergeReference(tokens, a, b, z)
            }
        }
        let mostFrequent: MostFrequentPair = { tokens in
            switch variant {
            case 4:
                guard tokens.count >= 2 else { return nil }
                let pairs = Set((0..<(tokens.count - 1)).map { [tokens[$0], tokens[$0 + 1]] })
                let counted = pairs.map { p in (p[0], p[1], (Chapter08Graders.mergeReference(tokens, p[0], p[1], -1).filter { $0 == -1 }).count) }
                return counted.min { $0.2 != $1.2 ? $0.2 > $1.2 : ($0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1) }.map { ($0.0, $0.1, $0.2) }
            case 5:
                guard tokens.count >= 2 else { return nil }
                var order: [[Int]] = [], counts: [[Int]: Int] = [:]
                for i in 0..<(tokens.count - 1) {
                    let p = [tokens[i], tokens[i + 1]]
                    if counts[p] == nil { order.append(p) }
                    counts[p, default: 0] += 1
                }
                let top = counts.values.max()!
                let p = order.first { counts[$0] == top }!
                return (p[0], p[1], top)
            case 6:
                let counts = Chapter08Graders.pairCounts(tokens)
                return counts.min { x, y in x.value != y.value ? x.value > y.value : (x.key[0] != y.key[0] ? x.key[0] > y.key[0] : x.key[1] > y.key[1]) }
                    .map { ($0.key[0], $0.key[1], $0.value) }
            default:
                return Chapter08Graders.mostFrequentReference(tokens)
            }
        }
        let report = try Chapter08Graders.bytePairMerge(mostFrequent: mostFrequent, merge: merge)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    // MARK: 8.2

    @Test func ropeGraderAcceptsTheSolution() throws {
        let report = try Chapter08Graders.rotaryEmbedding(
            forward: { try Solutions08.ropeForward($0, positions: $1, headWidth: $2, base: $3) },
            backward: { try Solutions08.ropeBackward($0, positions: $1, headWidth: $2, base: $3) })
        #expect(report.passed, "\(report.failures)")
    }

    /// The grader's formula reproduces the hand-worked rotations.
    @Test func ropeReferenceAgreesWithHandCases() {
        let d2 = Chapter08Graders.ropeReference([[1, 0], [1, 0], [0.5, 2]], [0, 1, 3], 2, 10_000)
        let row2: [Double] = [0.5 * cos(3.0) - 2 * sin(3.0), 2 * cos(3.0) + 0.5 * sin(3.0)]
        let expected2: [[Double]] = [[1, 0], [cos(1.0), sin(1.0)], row2]
        #expect(Grade.close(d2, expected2, 1e-15), "\(d2)")
        let d4 = Chapter08Graders.ropeReference([[1, 2, 3, 4], [1, 2, 3, 4]], [0, 2], 4, 100)
        let (c2, s2, c02, s02) = (cos(2.0), sin(2.0), cos(0.2), sin(0.2))
        let row4: [Double] = [c2 - 3 * s2, 2 * c02 - 4 * s02, 3 * c2 + s2, 4 * c02 + 2 * s02]
        let expected4: [[Double]] = [[1, 2, 3, 4], row4]
        #expect(Grade.close(d4, expected4, 1e-15), "\(d4)")
    }

    @Test("the RoPE grader rejects broken rotations and says why", arguments: [
        ("neighbours paired (2i, 2i + 1)", 0, "rotates halves"),
        ("exponent i/d", 1, "the exponent is 2i/d"),
        ("the whole row as one head", 2, "as one head"),
        ("backward rotates forward again", 3, "the rotation by −pθ"),
        ("positions from 1", 4, "not positions[t] + 1"),
        ("rotates the other way (and backward to match)", 5, "the other way"),
    ])
    func ropeGraderRejects(name: String, variant: Int, hint: String) throws {
        func rotate(_ x: [[Double]], _ p: [Int], _ d: Int, _ base: Double, _ sign: Double) -> [[Double]] {
            switch variant {
            case 0: return Chapter08Graders.ropeReference(x, p, d, base, sign: sign, interleaved: true)
            case 1: return Chapter08Graders.ropeReference(x, p, d, base, sign: sign, exponentOverD: true)
            case 2: return Chapter08Graders.ropeReference(x, p, d, base, sign: sign, oneHead: true)
            case 4: return Chapter08Graders.ropeReference(x, p.map { $0 + 1 }, d, base, sign: sign)
            case 5: return Chapter08Graders.ropeReference(x, p, d, base, sign: -sign)
            default: return Chapter08Graders.ropeReference(x, p, d, base, sign: sign)
            }
        }
        let report = try Chapter08Graders.rotaryEmbedding(forward: { rotate($0, $1, $2, $3, 1) },
                                                          backward: { rotate($0, $1, $2, $3, variant == 3 ? 1 : -1) })
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    // MARK: 8.3

    @Test func rmsNormGraderAcceptsTheSolution() throws {
        let report = try Chapter08Graders.rmsNormBackward { try Solutions08.rmsNormBackward(x: $0, gain: $1, dy: $2, epsilon: $3) }
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the RMSNorm grader rejects broken backward passes and says why", arguments: [
        ("r treated as a constant", Chapter08Graders.RMSNormMistake.constantR, "as a constant"),
        ("LayerNorm's − mean term", .layerNormMean, "LayerNorm's gradient"),
        ("a sum instead of the mean", .sumInsteadOfMean, "not the sum"),
        ("ε outside the root", .epsilonOutside, "ε goes inside the square root"),
        ("dg a mean over rows", .gainMean, "it is not a mean"),
        ("x instead of x̂ in the correction", .xInsteadOfXHat, "not by x"),
    ])
    func rmsNormGraderRejects(name: String, mistake: Chapter08Graders.RMSNormMistake, hint: String) throws {
        let report = try Chapter08Graders.rmsNormBackward { Chapter08Graders.rmsNormVariant($0, $1, $2, $3, mistake) }
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    // MARK: 8.4

    static func solutionKVHead(_ h: Int, _ heads: Int, _ kv: Int) throws -> Int { try Solutions08.kvHead(forQueryHead: h, heads: heads, kvHeads: kv) }
    static func solutionBytes(_ l: Int, _ h: Int, _ kv: Int, _ d: Int, _ b: Int) throws -> Int {
        try Solutions08.kvCacheBytesPerPosition(layers: l, heads: h, kvHeads: kv, headWidth: d, bytesPerValue: b)
    }
    static func solutionAttend(_ q: [Double], _ k: [[Double]], _ v: [[Double]], _ h: Int, _ kv: Int) throws -> [Double] {
        try Solutions08.groupedAttentionStep(query: q, keys: k, values: v, heads: h, kvHeads: kv)
    }

    @Test func groupedGraderAcceptsTheSolution() throws {
        let report = try Chapter08Graders.groupedQueryAttention(kvHead: Self.solutionKVHead, cacheBytes: Self.solutionBytes, attend: Self.solutionAttend)
        #expect(report.passed, "\(report.failures)")
    }

    /// The grader's loops reproduce the hand-worked case.
    @Test func groupedReferenceAgreesWithHandCase() {
        let c = Chapter08Graders.groupedCases[0]
        #expect(Chapter08Graders.groupedStepReference(c.q, c.keys, c.values, c.heads, c.kvHeads) == [10, 20, 10, 20, 30, 40, 30, 40])
    }

    @Test("the grouped-attention grader rejects broken answers and says why", arguments: [
        ("h mod H_kv as the map", 0, "deals the query heads out in turn"),
        ("h / H_kv as the map", 1, "divides by the number of shared heads"),
        ("no factor 2 in the cache", 2, "the factor 2 is missing"),
        ("query heads cached", 3, "you counted the query heads"),
        ("attention reading head h mod H_kv", 4, "it reads ⌊h/(H/H_kv)⌋"),
        ("scores not scaled", 5, "divided by √d"),
        ("no maximum subtracted", 6, "overflow"),
        ("the newest position only", 7, "newest position only"),
    ])
    func groupedGraderRejects(name: String, variant: Int, hint: String) throws {
        let map: KVHeadMap = { h, heads, kv in variant == 0 ? h % kv : variant == 1 ? h / kv : try Self.solutionKVHead(h, heads, kv) }
        let bytes: KVCacheBytesPerPosition = { l, h, kv, d, b in
            variant == 2 ? l * kv * d * b : variant == 3 ? 2 * l * h * d * b : try Self.solutionBytes(l, h, kv, d, b)
        }
        let attend: GroupedAttentionStep = { q, k, v, h, kv in
            switch variant {
            case 4: return Chapter08Graders.groupedStepReference(q, k, v, h, kv, map: { $0 % kv })
            case 5: return Chapter08Graders.groupedStepReference(q, k, v, h, kv, scaled: false)
            case 6:
                let d = q.count / h, group = h / kv
                var out = [Double](repeating: 0, count: q.count)
                for head in 0..<h {
                    let g = head / group
                    let e = k.map { row in exp((0..<d).reduce(0) { $0 + q[head * d + $1] * row[g * d + $1] } / Double(d).squareRoot()) }
                    let total = e.reduce(0, +)
                    for (j, row) in v.enumerated() { for i in 0..<d { out[head * d + i] += e[j] / total * row[g * d + i] } }
                }
                return out
            case 7: return Chapter08Graders.groupedStepReference(q, Array(k.suffix(1)), Array(v.suffix(1)), h, kv)
            default: return try Self.solutionAttend(q, k, v, h, kv)
            }
        }
        let report = try Chapter08Graders.groupedQueryAttention(kvHead: map, cacheBytes: bytes, attend: attend)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    // MARK: 8.6

    @Test func cacheBugGraderAcceptsTheSolution() throws {
        let report = try Chapter08Graders.findTheCacheBug(measure: { try Solutions08.cacheDiscrepancy($0, tokens: $1, decoder: $2) },
                                                          fixed: { try Solutions08.cachedLogits($0, tokens: $1) })
        #expect(report.passed, "\(report.failures)")
    }

    /// The given code is wrong on every model (grouped ones from the first
    /// token, the others from the second), each fix alone is right only
    /// where the other bug cannot show, and the book's decoder agrees with
    /// the recomputed logits (so the comparison can be met).
    @Test func theGivenCodeIsWrongAndEachBugShows() throws {
        for c in try Chapter08Graders.cacheModels() {
            let recomputed = try Chapter08Graders.recomputedLogits(c.model, c.tokens)
            let given = try Chapter08Graders.givenDecoder(c.model, c.tokens)
            #expect(Chapter08Graders.largestDifference(given, recomputed) > 1e-3, "\(c.note)")
            let grouped = c.model.config.kvHeads > 1 && c.model.config.kvHeads < c.model.config.heads
            #expect(Chapter08Graders.largestDifference([given[0]], [recomputed[0]]) > 1e-3 || !grouped, "\(c.note)")
            let positionsFixed = try Chapter08Graders.givenDecoder(c.model, c.tokens, fixPositions: true)
            #expect((Chapter08Graders.largestDifference(positionsFixed, recomputed) < 1e-10) == !grouped, "\(c.note)")
            let headsFixed = try Chapter08Graders.givenDecoder(c.model, c.tokens, fixHeads: true)
            #expect(Chapter08Graders.largestDifference(headsFixed, recomputed) > 1e-3, "\(c.note)")
            #expect(Chapter08Graders.largestDifference([headsFixed[0]], [recomputed[0]]) < 1e-10, "\(c.note)")
            let library = try c.model.logitsAfterEachToken(c.tokens, useKVCache: true)
            #expect(Chapter08Graders.largestDifference(library, recomputed) < 1e-10, "\(c.note)")
        }
    }

    @Test("the cache-bug grader rejects wrong measures and fixes and says why", arguments: [
        ("the given code as the fix", 0, "these are the given code's logits"),
        ("only the positions fixed", 1, "which key/value head does query head h read"),
        ("only the heads fixed", 2, "at which position is each new query rotated"),
        ("a mean as the measure", 3, "that is a mean"),
        ("a measure that skips the first prefix", 4, "prefix 0"),
        ("a measure that skips the last prefix", 5, "after the last token"),
        ("keys rotated at position 0 too", 6, "the first prefix that disagrees"),
    ])
    func cacheBugGraderRejects(name: String, variant: Int, hint: String) throws {
        let measure: CacheDiscrepancy = { model, tokens, decoder in
            let decoded = try decoder(tokens), recomputed = try Chapter08Graders.recomputedLogits(model, tokens)
            let diffs = zip(decoded, recomputed).map { zip($0, $1).map { abs($0 - $1) } }
            switch variant {
            case 3: return diffs.flatMap { $0 }.reduce(0, +) / Double(diffs.flatMap { $0 }.count)
            case 4: return diffs.dropFirst().flatMap { $0 }.max() ?? 0
            case 5: return diffs.dropLast().flatMap { $0 }.max() ?? 0
            default: return diffs.flatMap { $0 }.max() ?? 0
            }
        }
        let fixed: CachedLogits = { model, tokens in
            switch variant {
            case 0: return try Chapter08Graders.givenDecoder(model, tokens)
            case 1: return try Chapter08Graders.givenDecoder(model, tokens, fixPositions: true)
            case 2: return try Chapter08Graders.givenDecoder(model, tokens, fixHeads: true)
            case 6: return try Self.decoderWithoutPositions(model, tokens)
            default: return try Solutions08.cachedLogits(model, tokens: tokens)
            }
        }
        let report = try Chapter08Graders.findTheCacheBug(measure: measure, fixed: fixed)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    /// A decoder with the heads right but every query and key rotated at
    /// position 0 (that is, not rotated at all): no position information.
    static func decoderWithoutPositions(_ model: Llama<Double>, _ tokens: [Int]) throws -> [[Double]] {
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
                let n1 = try block.attentionNorm.forward(try Tensor(shape: [1, c], scalars: x), mode: .inference).output.scalars
                let q = matvec(attention.query.weight.value.scalars, n1)
                keys[l] += matvec(attention.key.weight.value.scalars, n1)
                values[l] += matvec(attention.value.weight.value.scalars, n1)
                let n = keys[l].count / rowWidth
                var a = [Double](repeating: 0, count: heads * d)
                for h in 0..<heads {
                    let g = h / group
                    let scores = (0..<n).map { j in (0..<d).reduce(0) { $0 + q[h * d + $1] * keys[l][j * rowWidth + g * d + $1] } / Double(d).squareRoot() }
                    let top = scores.max()!
                    let e = scores.map { exp($0 - top) }, total = e.reduce(0, +)
                    for j in 0..<n { for i in 0..<d { a[h * d + i] += e[j] / total * values[l][j * rowWidth + g * d + i] } }
                }
                let u = zip(x, matvec(attention.output.weight.value.scalars, a)).map { $0 + $1 }
                let n2 = try block.mlpNorm.forward(try Tensor(shape: [1, c], scalars: u), mode: .inference).output.scalars
                let mlp = block.mlp.swiGLU!  // these models use SwiGLU, the default MLP
                let hidden = zip(matvec(mlp.gate.weight.value.scalars, n2), matvec(mlp.up.weight.value.scalars, n2)).map { $0 / (1 + exp(-$0)) * $1 }
                x = zip(u, matvec(mlp.down.weight.value.scalars, hidden)).map { $0 + $1 }
            }
            let h = try model.finalNorm.forward(try Tensor(shape: [1, c], scalars: x), mode: .inference).output.scalars
            out.append(matvec((model.head ?? model.tokenEmbedding.weight).value.scalars, h))
        }
        return out
    }
}
#endif
