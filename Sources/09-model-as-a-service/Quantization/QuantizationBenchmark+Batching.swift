// int8 with continuous batching, measured without HTTP (`bench quantize`):
// the batched int8 product against its naive twin and against B one-row
// products, and B sequences of the untrained baby GPT advanced by one
// batched step per token, float32 and int8 alternating (windows sliding as
// in generation, as `bench serve-stream`'s decode_step rows do for float32).

import BackpropCore
import Foundation
import Transformer

extension QuantizationBenchmark {
    static func batchingRows(quick: Bool, runs: Int) throws -> [BenchRow] {
        var rows: [BenchRow] = []
        var rng = SeededRandom(seed: 6)
        // The product: 32 rows of X against the baby GPT's qkv and contract shapes.
        for (out, n) in [(384, 128), (128, 512)] {
            let b = 32
            let m = try QuantizedMatrix((0..<(out * n)).map { _ in Float(rng.normal()) }, rows: out, columns: n)
            let x = (0..<(b * n)).map { _ in Float(rng.normal()) }
            let rowsOfX = (0..<b).map { Array(x[($0 * n)..<(($0 + 1) * n)]) }
            var sink: Float = 0
            let minSeconds = quick ? 0 : 0.2
            let naive = Benchmark.bestTime(minSeconds: minSeconds, minRuns: 3) { sink += m.multiplyNaive(batch: x, rows: b)[0] }
            let oneByOne = Benchmark.bestTime(minSeconds: minSeconds, minRuns: 3) { for r in rowsOfX { sink += m.multiply(r)[0] } }
            let batched = Benchmark.bestTime(minSeconds: minSeconds, minRuns: 3) { sink += m.multiply(batch: x, rows: b)[0] }
            precondition(sink.isFinite || sink.isNaN)
            for (variant, t) in [("naive", naive), ("simd, 32 one-row products", oneByOne), ("simd batched", batched)] {
                rows.append(BenchRow(kernel: "int8 batch product", shape: "\(b) rows x \(out)x\(n)", variant: variant,
                                     gflops: 2 * Double(b * out * n) / t / 1e9, msPerStep: t * 1000, vsNaive: naive / t))
            }
        }
        // B sequences, one batched step per token: float32 vs int8, alternating runs.
        let gpt = try babyGPT(), q = try QuantizedGPT(gpt)
        for b in [8, 32] {
            let steps = quick ? 32 : 256
            func run<M: BatchedWindowedDecoding>(_ model: M) throws {
                var decoders = (0..<b).map { _ in WindowedDecoder(model: model) }
                for i in 0..<b { _ = try decoders[i].append(contentsOf: [1 + i % 7]) }
                for s in 0..<steps { _ = try WindowedDecoder.append((0..<b).map { (s * 7 + $0 * 3) % 60 }, to: &decoders) }
            }
            let t = try interleaved(runs: runs, [{ try run(gpt) }, { try run(q) }])
            for (k, variant) in ["float32", "int8"].enumerated() {
                let best = t[k].min()!
                rows.append(BenchRow(kernel: "gpt batched step", shape: "L4 H4 C128 T64, \(b) sequences × \(steps) steps, spread \(Int((spread(t[k]) * 100).rounded()))%",
                                     variant: variant, msPerStep: best * 1000 / Double(steps), vsNaive: t[0].min()! / best,
                                     tokensPerSecond: Double(b * steps) / best))
            }
        }
        return rows
    }
}
