// int8 with continuous batching (QuantizedMatrix+Batch.swift,
// QuantizedBatching.swift): the batched product gives every row exactly
// what the one-row product gives it (bit for bit, on ragged shapes and odd
// batch sizes), its naive twin likewise, the two twins agree up to the order
// of float sums; the quantized GPT's batched step gives each sequence the
// logits of its own decoding, on both twins (windows that slide together
// refilled in one pass, too); and the continuous batcher
// serving the int8 GPT gives each request the text it gets alone.

import BackpropCore
import Foundation
import RecurrentNetworks
import Testing
import Transformer
@testable import ModelAsAService

@Suite struct QuantizedBatchingTests {
    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in Float(rng.normal()) }
    }

    @Test("the batched int8 product: row r = multiply(x_r) bit for bit, the naive twin = multiplyNaive(x_r), twins agree",
          arguments: [(1, 1), (3, 33), (5, 7), (13, 37), (128, 128), (384, 128), (65, 200), (128, 512)])
    func batchedProduct(rows: Int, cols: Int) throws {
        let m = try QuantizedMatrix(Self.random(rows * cols, seed: UInt64(rows * 7 + cols)), rows: rows, columns: cols)
        let bias = Self.random(rows, seed: 960)
        for b in [1, 2, 3, 5] {
            let x = Self.random(b * cols, seed: UInt64(961 + b))
            let (fast, slow) = (m.multiply(batch: x, rows: b, bias: bias), m.multiplyNaive(batch: x, rows: b, bias: bias))
            for r in 0..<b {
                let row = Array(x[(r * cols)..<((r + 1) * cols)])
                #expect(Array(fast[(r * rows)..<((r + 1) * rows)]) == m.multiply(row, bias: bias), "\(b) rows, row \(r)")
                #expect(Array(slow[(r * rows)..<((r + 1) * rows)]) == m.multiplyNaive(row, bias: bias), "\(b) rows, row \(r)")
                for j in 0..<rows {         // two float sums of the same n terms: within 2·n·2⁻²⁴·Σ|terms| (as QuantizedMatrixTests)
                    let terms = (0..<cols).reduce(Float(0)) { $0 + abs(Float(m.values[j * cols + $1]) * row[$1]) }
                    let tolerance = 2 * Float(cols + 2) * 0x1p-24 * (m.scales[j] * terms + abs(bias[j])) + 1e-30
                    #expect(abs(fast[r * rows + j] - slow[r * rows + j]) <= tolerance)
                }
            }
        }
    }

    @Test("the int8 GPT's batched step = each sequence decoded alone, bit for bit, through window refills; both twins",
          arguments: [false, true])
    func batchedStep(naive: Bool) throws {
        let vocabulary = try CharacterVocabulary(text: "\nabcdefgh .,!")
        let model = try GPT<Float>(config: try GPTConfig(vocabulary: vocabulary, context: 8, layers: 2, heads: 2, width: 16), seed: 962)
        var quantized = try QuantizedGPT(model)
        quantized.projections.naive = naive
        var rng = SeededRandom(seed: 963)
        let prompts = [1, 3, 6, 8, 11].map { n in (0..<n).map { _ in rng.integer(below: vocabulary.count) } }
        var batched = prompts.map { _ in WindowedDecoder(model: quantized) }, alone = batched
        for i in prompts.indices {
            #expect(try batched[i].append(contentsOf: prompts[i]) == (try alone[i].append(contentsOf: prompts[i])))
        }
        for step in 0..<12 {
            let tokens = prompts.indices.map { ($0 * 5 + step * 3) % vocabulary.count }
            let rows = try WindowedDecoder.append(tokens, to: &batched)
            for i in prompts.indices { #expect(rows[i] == (try alone[i].append(tokens[i])), "step \(step), sequence \(i)") }
        }
        #expect(batched.map(\.start) == alone.map(\.start) && batched.contains { $0.start > 0 })
        // (the 3- and 11-token sequences slide together at steps 5 and 9: refills of two windows in one pass)
        // windows refilled together in one pass through the hook = each refilled alone, logits and caches
        let windows = [[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [0, 0, 7, 7, 9]]
        var caches = windows.map { _ in quantized.makeDecodingCache(cached: true) }
        let together = try quantized.prefill(batch: windows, caches: &caches)
        for (b, window) in windows.enumerated() {
            var cache = quantized.makeDecodingCache(cached: true)
            #expect(try quantized.prefill(window, cache: &cache) == together[b])
            #expect(try quantized.decodeStep(6, cache: &cache) == (try quantized.decodeStep(6, cache: &caches[b])))
        }
    }

    @Test("the continuous batcher serving the int8 GPT gives each request the text it gets alone")
    func continuousBatching() throws {
        let vocabulary = try CharacterVocabulary(text: "\nabcdefgh .,!")
        let model = try GPT<Float>(config: try GPTConfig(vocabulary: vocabulary, context: 8, layers: 2, heads: 2, width: 16), seed: 964)
        let alone = try QuantizedGPTGenerator(model: model)
        let batching = GenerationBatching.continuous.apply(to: alone, maxActive: 3)
        let generator = try #require(batching as? ContinuousQuantizedGPTGenerator)
        #expect(generator.info.quantization?.scheme == "int8")
        let jobs: [(String, Int, SamplingOptions)] = [("ab c", 30, try SamplingOptions(temperature: 1.1, topK: 6)), ("", 12, .greedy),
                                                      ("had a bad egg, cab!", 25, try SamplingOptions(temperature: 0.7)),
                                                      ("h", 20, try SamplingOptions(temperature: 1.3, topK: 3)), ("deaf", 0, .greedy)]
        let results = LockedValue<[Int: String]>([:])
        DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
            var rng = SeededRandom(seed: 970 + UInt64(i))
            let text = (try? generator.generate(prompt: jobs[i].0, maxTokens: jobs[i].1, sampling: jobs[i].2, rng: &rng) { _ in }) ?? "failed"
            results.update { $0[i] = text }
        }
        for (i, job) in jobs.enumerated() {
            var rng = SeededRandom(seed: 970 + UInt64(i))
            #expect(results.get()[i] == (try alone.generate(prompt: job.0, maxTokens: job.1, sampling: job.2, rng: &rng) { _ in }), "request \(i)")
        }
        #expect(generator.batchingStatistics.rows > 0)                  // batched steps did run
    }
}
