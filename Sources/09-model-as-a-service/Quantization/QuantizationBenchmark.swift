// Measuring int8 against float32: `backprop bench quantize` (the kernel's
// twins on the baby GPT's shapes, generation speed of an untrained baby GPT,
// char-LSTM and Llama (QuantizationBenchmark+Llama.swift), and batched steps
// (QuantizationBenchmark+Batching.swift)) and `backprop quantize --model PATH` (the trade-off for
// a trained checkpoint: weight bytes, tokens per second, held-out loss).
//
// Timings on a shared machine are noisy: float32 and int8 runs alternate
// (each run of one is followed by a run of the other), and we report the
// best run of each with the spread of its runs, (worst − best) / best.

import BackpropCore
import Foundation
import Datasets
import Storage
import RecurrentNetworks
import Transformer

public enum QuantizationBenchmark {
    /// Wall-clock seconds of each of `runs` calls of every body, the bodies
    /// alternating (after one warm-up call each).
    static func interleaved(runs: Int, _ bodies: [() throws -> Void]) throws -> [[Double]] {
        for body in bodies { try body() }
        var times = [[Double]](repeating: [], count: bodies.count)
        for _ in 0..<runs {
            for (k, body) in bodies.enumerated() {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try body()
                times[k].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
        }
        return times
    }

    static func spread(_ t: [Double]) -> Double { (t.max()! - t.min()!) / t.min()! }

    /// The untrained baby GPT (L4 H4 C128 T64, 65 characters, seed 1, as `bench gpt`).
    static func babyGPT() throws -> GPT<Float> {
        let vocabulary = try CharacterVocabulary(characters: (0..<65).map { Character(UnicodeScalar(40 + $0)!) })
        return try GPT<Float>(config: try GPTConfig(vocabulary: vocabulary), seed: 1)
    }

    /// `backprop bench quantize`: the int8 product's twins on the baby
    /// GPT's four shapes, then greedy generation float32 vs int8.
    public static func run(quick: Bool) throws -> [BenchRow] {
        var rows: [BenchRow] = []
        var rng = SeededRandom(seed: 5)
        for (out, n) in [(384, 128), (128, 128), (512, 128), (128, 512)] {
            let m = try QuantizedMatrix((0..<(out * n)).map { _ in Float(rng.normal()) }, rows: out, columns: n)
            let x = (0..<n).map { _ in Float(rng.normal()) }
            let flops = 2 * Double(out * n)
            var sink: Float = 0
            let naive = Benchmark.bestTime(minSeconds: quick ? 0 : 0.2, minRuns: 3) { sink += m.multiplyNaive(x)[0] }
            let simd = Benchmark.bestTime(minSeconds: quick ? 0 : 0.2, minRuns: 3) { sink += m.multiply(x)[0] }
            precondition(sink.isFinite || sink.isNaN)
            for (variant, t) in [("naive", naive), ("simd", simd)] {
                rows.append(BenchRow(kernel: "int8 matvec", shape: "\(out)x\(n) (\(m.byteCount) B, float32 \(m.floatByteCount) B)",
                                     variant: variant, gflops: flops / t / 1e9, msPerStep: t * 1000, vsNaive: naive / t))
            }
        }
        let count = quick ? 64 : 512, runs = quick ? 1 : 5
        let gpt = try babyGPT(), q = try QuantizedGPT(gpt)
        // One decoding step's products through the hook, float32 (chapter 7's RowProjection) vs int8, alternating.
        let hooks: [(String, any DecodeProjections<Float>)] = [("float32", GPT<Float>.LayerProjections(model: gpt)), ("int8", q.projections)]
        for p in GPTProjection.allCases {
            let layer = gpt.layer(p, block: 0)
            let x = try Tensor<Float>(shape: [1, layer.inputs], scalars: (0..<layer.inputs).map { _ in Float(rng.normal()) })
            let calls = quick ? 200 : 4000
            let t = try interleaved(runs: runs, hooks.map { hook in { for _ in 0..<calls { _ = try hook.1.project(x, block: 0, p) } } })
            for (k, hook) in hooks.enumerated() {
                let best = t[k].min()! / Double(calls)
                rows.append(BenchRow(kernel: "decode projection", shape: "\(layer.outputs)x\(layer.inputs) \(p), spread \(Int((spread(t[k]) * 100).rounded()))%",
                                     variant: hook.0, gflops: 2 * Double(layer.outputs * layer.inputs) / best / 1e9, msPerStep: best * 1000,
                                     vsNaive: t[0].min()! / t[k].min()!))
            }
        }
        // A window refill (64 tokens in one batched pass), float32 vs int8, alternating.
        let window = (0..<64).map { $0 % 65 }
        var (fc, qc) = (gpt.makeDecodingCache(cached: true), q.makeDecodingCache(cached: true))
        let refills = quick ? 2 : 20
        let pt = try interleaved(runs: runs, [{ for _ in 0..<refills { _ = try gpt.prefill(window, cache: &fc) } },
                                              { for _ in 0..<refills { _ = try q.prefill(window, cache: &qc) } }])
        for (k, variant) in ["float32", "int8"].enumerated() {
            let best = pt[k].min()! / Double(refills)
            rows.append(BenchRow(kernel: "gpt prefill", shape: "L4 H4 C128, 64-token window, spread \(Int((spread(pt[k]) * 100).rounded()))%",
                                 variant: variant, msPerStep: best * 1000, vsNaive: pt[0].min()! / pt[k].min()!))
        }
        let g = try generationRows(kind: "gpt", shape: "L4 H4 C128 T64, \(count) tokens greedy", count: count, runs: runs,
                                   float: { var r = SeededRandom(seed: 3); _ = try gpt.generateTokens(prompt: [0], count: count, sampling: .greedy, rng: &r) },
                                   int8: { var r = SeededRandom(seed: 3); _ = try q.generateTokens(prompt: [0], count: count, sampling: .greedy, rng: &r) })
        var lrng = SeededRandom(seed: 4)
        let lstm = try CharRNN(CharRNNConfig(cell: .lstm, embeddingSize: 64, hiddenSize: 256), vocabulary: gpt.config.vocabulary, rng: &lrng)
        let ql = try QuantizedCharLSTM(lstm)
        let l = try generationRows(kind: "char-lstm", shape: "E64 H256, \(count) tokens greedy", count: count, runs: runs,
                                   float: { var r = SeededRandom(seed: 3); _ = try lstm.generate(prompt: "(", maxTokens: count, sampling: .greedy, rng: &r) },
                                   int8: { var r = SeededRandom(seed: 3); _ = try ql.generate(prompt: "(", maxTokens: count, sampling: .greedy, rng: &r) })
        return rows + g + l + (try llamaRows(quick: quick, count: count, runs: runs)) + (try batchingRows(quick: quick, runs: runs))
    }

    /// Two "<kind> generate" rows, float32 and int8, from interleaved runs.
    static func generationRows(kind: String, shape: String, count: Int, runs: Int,
                               float: @escaping () throws -> Void, int8: @escaping () throws -> Void) throws -> [BenchRow] {
        let t = try interleaved(runs: runs, [float, int8])
        let best = t.map { $0.min()! }
        return [
            BenchRow(kernel: "\(kind) generate", shape: shape + String(format: ", spread %.0f%%", spread(t[0]) * 100), variant: "float32",
                     msPerStep: best[0] * 1000 / Double(count), vsNaive: 1, tokensPerSecond: Double(count) / best[0]),
            BenchRow(kernel: "\(kind) generate", shape: shape + String(format: ", spread %.0f%%", spread(t[1]) * 100), variant: "int8",
                     msPerStep: best[1] * 1000 / Double(count), vsNaive: best[0] / best[1], tokensPerSecond: Double(count) / best[1]),
        ]
    }

    /// One line of the trade-off table for a trained model.
    public struct TradeOff: Sendable {
        public var kind: String, format: String
        public var weightBytes: Int
        public var tokensPerSecond: Double, spread: Double
        /// Mean nats per token of the held-out text ("char" for the character models, "token" for the llama's BPE).
        public var heldOutNats: Double
        public var unit = "char"
        /// Characters per predicted token (1 for the character models).
        public var charactersPerToken = 1.0
        public var bitsPerCharacter: Double { heldOutNats / charactersPerToken / Foundation.log(2.0) }

        public var json: JSONValue {
            func r(_ x: Double, _ d: Double) -> JSONValue { .number((x * d).rounded() / d) }
            return .object([("kernel", .string("\(kind) quantize")), ("variant", .string(format)), ("weight_bytes", .integer(weightBytes)),
                            ("tokens_per_second", r(tokensPerSecond, 1)), ("spread", r(spread, 1000)),
                            ("held_out_nats_per_\(unit)", r(heldOutNats, 10000)), ("held_out_bits_per_char", r(bitsPerCharacter, 10000))])
        }
    }

    /// float32 and int8 for the GPT or char-LSTM in `checkpoint`: weight
    /// bytes, greedy generation of `count` tokens (interleaved runs), and
    /// nats per character on `heldOut` (token ids of the model's vocabulary).
    public static func tradeOff(_ checkpoint: Checkpoint, heldOut: [Int], count: Int = 512, runs: Int = 5) throws -> [TradeOff] {
        switch checkpoint.kind {
        case GPT<Float>.checkpointKind:
            let gpt = try GPT<Float>(checkpoint: checkpoint), q = try QuantizedGPT(gpt)
            let t = try interleaved(runs: runs, [
                { var r = SeededRandom(seed: 3); _ = try gpt.generateTokens(prompt: [0], count: count, sampling: .greedy, rng: &r) },
                { var r = SeededRandom(seed: 3); _ = try q.generateTokens(prompt: [0], count: count, sampling: .greedy, rng: &r) }])
            return [TradeOff(kind: "gpt", format: "float32", weightBytes: q.floatWeightBytes, tokensPerSecond: Double(count) / t[0].min()!,
                             spread: spread(t[0]), heldOutNats: try HeldOutLoss.nats(gpt, heldOut)),
                    TradeOff(kind: "gpt", format: "int8", weightBytes: q.weightBytes, tokensPerSecond: Double(count) / t[1].min()!,
                             spread: spread(t[1]), heldOutNats: try HeldOutLoss.nats(q, heldOut))]
        case CharRNN.checkpointKind:
            let lstm = try CharRNN(checkpoint: checkpoint), q = try QuantizedCharLSTM(lstm)
            let t = try interleaved(runs: runs, [
                { var r = SeededRandom(seed: 3); _ = try lstm.generate(prompt: "\n", maxTokens: count, sampling: .greedy, rng: &r) },
                { var r = SeededRandom(seed: 3); _ = try q.generate(prompt: "\n", maxTokens: count, sampling: .greedy, rng: &r) }])
            return [TradeOff(kind: "char-lstm", format: "float32", weightBytes: q.floatWeightBytes, tokensPerSecond: Double(count) / t[0].min()!,
                             spread: spread(t[0]), heldOutNats: try HeldOutLoss.nats(lstm, heldOut)),
                    TradeOff(kind: "char-lstm", format: "int8", weightBytes: q.weightBytes, tokensPerSecond: Double(count) / t[1].min()!,
                             spread: spread(t[1]), heldOutNats: try HeldOutLoss.nats(q, heldOut))]
        default:
            throw QuantizationError.unsupported("the trade-off is measured for 'gpt' and 'char-rnn' checkpoints, not '\(checkpoint.kind)'")
        }
    }
}
