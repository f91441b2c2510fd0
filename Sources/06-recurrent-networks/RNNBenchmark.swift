// `backprop bench rnn`: the time of one training step (forward, loss, BPTT,
// clipping, Adam) of the char-RNN, char-LSTM and char-GRU at the reference
// size (embedding 64, hidden 256, sequence 64, batch 32, 65 characters), naive
// against SIMD. GFLOP/s counts the matrix products only (2 flops per
// multiply-add; a backward pass costs two forwards):
//   6·T·B·(E·G·H + H·G·H + H·V) per step,
// the nominal count of the layered model (as PyTorch computes it). The SIMD
// twin folds the embedding into the input projection and skips most of the
// E·G·H part (RecurrentLayer+EmbeddedInput.swift): its GFLOP/s is then an
// effective rate, the nominal work over the time taken.
// The LSTM's SIMD step is timed in turns with chapter 3's engine deriving
// the same step (its cell composed of the engine's operations, and fused),
// so that their ratio compares steps that met the same load.

import BackpropCore
import Foundation

public enum RNNBenchmark {
    public static func run(peakGflops: Double, quick: Bool = false) throws -> [BenchRow] {
        let corpus = try CharacterCorpus.shakespeare()
        var rows: [BenchRow] = []
        for cell in CellKind.allCases {
            var o = CharRNNOptions(cell: cell, seed: 1)
            if quick { o.model.hiddenSize = 64; o.context = 16; o.batch = 8 }
            let (t, b, e, h, v) = (o.context, o.batch, o.model.embeddingSize, o.model.hiddenSize, corpus.vocabulary.count)
            let g = cell.gateCount * h
            let flops = 6 * Double(t * b) * Double(e * g + h * g + h * v)
            let shape = "E\(e) H\(h) T\(t) B\(b) adam"
            // the LSTM's SIMD step is timed interleaved with the engine's two versions of it (below)
            o.backend = .naive
            var ms = [try msPerStep(o, corpus: corpus, minSeconds: 0, minRuns: 1).ms]
            o.backend = .simd
            var engine: [(ms: Double, tapeBytes: Int, distinct: Int)] = []
            if cell == .lstm {
                let timed = try interleavedSteps(o, corpus: corpus, quick: quick)
                ms.append(timed[0].ms)
                engine = Array(timed.dropFirst())
            } else {
                ms.append(try msPerStep(o, corpus: corpus, minSeconds: quick ? 0 : 2, minRuns: 5).ms)
            }
            for (i, variant) in ["naive", "simd"].enumerated() {
                let gflops = flops / ms[i] / 1e6
                rows.append(BenchRow(kernel: "char-\(cell.rawValue)", shape: shape, variant: variant, gflops: gflops,
                                     msPerStep: ms[i], vsNaive: ms[0] / ms[i], vsPeak: gflops / peakGflops))
            }
            // the same step with chapter 3's engine deriving BPTT (CharRNN+Engine.swift), its cell
            // written with the engine's elementwise operations and as its fused LSTM-cell operation;
            // vs_naive as for the other rows, and the engine's time over the hand-written SIMD step in the shape
            // (tape: the saved tensors, each buffer once, and counted once per record that saved it)
            for (fused, (time, tapeBytes, distinct)) in zip([false, true], engine) {
                let gflops = flops / time / 1e6
                rows.append(BenchRow(kernel: fused ? "char-lstm (engine, fused cell)" : "char-lstm (engine)",
                                     shape: shape + String(format: ", %.2f× the hand-written step, tape %.1f MB (%.1f MB by record)",
                                                           time / ms[1], Double(distinct) / 1e6, Double(tapeBytes) / 1e6),
                                     variant: "simd", gflops: gflops, msPerStep: time, vsNaive: ms[0] / time,
                                     vsPeak: gflops / peakGflops))
                rows[rows.count - 1].comparedWith = ("char-lstm", shape)  // PyTorch's step of the same LSTM
            }
        }
        rows += recurrentProducts(peakGflops: peakGflops, quick: quick)
        return rows
    }

    /// The per-step product h·W_hhᵀ of the char-LSTM ([32, 256]·[256, 1024]):
    /// the core GEMM (which packs W_hh on every call) against the pre-packed
    /// one of RecurrentGEMM.swift, on both cores and on one (a half batch).
    static func recurrentProducts(peakGflops: Double, quick: Bool) -> [BenchRow] {
        let (k, n) = quick ? (64, 256) : (256, 1024)
        var rng = SeededRandom(seed: 3)
        let a = (0..<(32 * k)).map { _ in Float(rng.uniform(-1, 1)) }
        let w = (0..<(n * k)).map { _ in Float(rng.uniform(-1, 1)) }
        var c = [Float](repeating: 0, count: 32 * n)
        var rows: [BenchRow] = []
        let packed = w.withUnsafeBufferPointer { PackedWeight($0.baseAddress!, k: k, n: n, transposed: true) }
        for (m, threads) in [(32, nil), (16, 1)] as [(Int, Int?)] {
            let flops = 2 * Double(m * n * k)
            let core = Benchmark.bestTime(minSeconds: quick ? 0 : 0.3) {
                a.withUnsafeBufferPointer { pa in w.withUnsafeBufferPointer { pw in c.withUnsafeMutableBufferPointer { pc in
                    SIMDKernels.matmul(.nt, m: m, n: n, k: k, pa.baseAddress!, pw.baseAddress!, pc.baseAddress!, accumulate: false)
                }}}
            }
            let pre = Benchmark.bestTime(minSeconds: quick ? 0 : 0.3) {
                a.withUnsafeBufferPointer { pa in c.withUnsafeMutableBufferPointer { pc in
                    packed.multiply(pa.baseAddress!, m: m, pc.baseAddress!, accumulate: false, threads: threads)
                }}
            }
            let shape = "[\(m)×\(k)]·[\(k)×\(n)]" + (threads == 1 ? " 1 thread" : "")
            rows.append(BenchRow(kernel: "rnn_step_matmul", shape: shape, variant: "simd (core)", gflops: flops / core / 1e9,
                                 vsNaive: nil, vsPeak: flops / core / 1e9 / peakGflops))
            rows.append(BenchRow(kernel: "rnn_step_matmul", shape: shape, variant: "simd (packed W)", gflops: flops / pre / 1e9,
                                 vsNaive: nil, vsPeak: flops / pre / 1e9 / peakGflops))
        }
        rows += weightGradientProduct(peakGflops: peakGflops, quick: quick)
        return rows
    }

    /// BPTT's weight-gradient product of the char-LSTM, dW_hh = Daᵀ·H over all
    /// T·B = 2048 rows ([1024, 2048]·[2048, 256]), Da packed in blocks
    /// (RecurrentGEMM+Gradient.swift), on both cores and on one.
    static func weightGradientProduct(peakGflops: Double, quick: Bool) -> [BenchRow] {
        let (k, m, n) = quick ? (256, 256, 64) : (2048, 1024, 256)
        var rng = SeededRandom(seed: 4)
        let da = (0..<(k * m)).map { _ in Float(rng.uniform(-1, 1)) }
        let v = (0..<(k * n)).map { _ in Float(rng.uniform(-1, 1)) }
        var c = [Float](repeating: 0, count: m * n)
        let packed = v.withUnsafeBufferPointer { PackedWeight($0.baseAddress!, k: k, n: n, transposed: false) }
        let flops = 2 * Double(m * n * k)
        // the backward per-step product dh = Da·W_hh on one core's half batch ([16, 1024]·[1024, 256])
        let w = (0..<(m * n)).map { _ in Float(rng.uniform(-1, 1)) }
        let packedW = w.withUnsafeBufferPointer { PackedWeight($0.baseAddress!, k: m, n: n, transposed: false) }
        let half = quick ? 8 : 16
        let step = Benchmark.bestTime(minSeconds: quick ? 0 : 0.3) {
            da.withUnsafeBufferPointer { pa in c.withUnsafeMutableBufferPointer { pc in
                packedW.multiply(pa.baseAddress!, m: half, pc.baseAddress!, accumulate: false, threads: 1)
            }}
        }
        let stepFlops = 2 * Double(half * m * n)
        let stepRow = BenchRow(kernel: "rnn_step_matmul", shape: "[\(half)×\(m)]·[\(m)×\(n)] 1 thread", variant: "simd (packed W)",
                               gflops: stepFlops / step / 1e9, vsNaive: nil, vsPeak: stepFlops / step / 1e9 / peakGflops)
        return [stepRow] + [nil, 1].map { (threads: Int?) in
            let seconds = Benchmark.bestTime(minSeconds: quick ? 0 : 0.3) {
                da.withUnsafeBufferPointer { pa in c.withUnsafeMutableBufferPointer { pc in
                    packed.multiplyTransposed(pa.baseAddress!, lda: m, m: m, pc.baseAddress!, accumulate: false, threads: threads)
                }}
            }
            return BenchRow(kernel: "rnn_weight_gradient", shape: "[\(m)×\(k)]·[\(k)×\(n)]" + (threads == 1 ? " 1 thread" : ""),
                            variant: "simd (packed V)", gflops: flops / seconds / 1e9, vsNaive: nil,
                            vsPeak: flops / seconds / 1e9 / peakGflops)
        }
    }

    /// Best milliseconds per step of the LSTM's hand-written SIMD step, the
    /// engine's, and the engine's with the fused cell (and the engine's
    /// tape bytes), timed in turns: four rounds of at least half a second
    /// each, the best of all rounds kept. On a shared machine the load
    /// drifts over seconds; timed one after the other, the three steps met
    /// different loads and their ratio moved by a factor of two between runs.
    static func interleavedSteps(_ o: CharRNNOptions, corpus: CharacterCorpus, quick: Bool)
        throws -> [(ms: Double, tapeBytes: Int, distinct: Int)] {
        let trainers = try (0..<3).map { _ in
            var rng = SeededRandom(seed: o.seed)
            return try CharRNNTrainer(model: try CharRNN(o.model, vocabulary: corpus.vocabulary, rng: &rng, backend: o.backend),
                                      train: corpus.train, options: o)
        }
        let steps: [(CharRNNTrainer) throws -> Void] = [{ try $0.step() }, { try $0.stepWithEngine() },
                                                        { try $0.stepWithEngine(fusedCell: true) }]
        var best = [Double](repeating: .infinity, count: 3)
        for _ in 0..<(quick ? 1 : 4) {
            for i in 0..<3 {
                let trainer = trainers[i], step = steps[i]
                best[i] = min(best[i], try Benchmark.bestTime(minSeconds: quick ? 0 : 0.5, minRuns: quick ? 1 : 3) { try step(trainer) })
            }
        }
        return (0..<3).map { (best[$0] * 1000, trainers[$0].lastTapeBytes, trainers[$0].lastTapeDistinctBytes) }
    }

    /// Best milliseconds per training step, with the hand-written BPTT or
    /// (`engine`) chapter 3's engine deriving it (`fusedCell`: with its fused
    /// LSTM cell); and the engine's tape bytes.
    public static func msPerStep(_ o: CharRNNOptions, corpus: CharacterCorpus, minSeconds: Double, minRuns: Int,
                                 engine: Bool = false, fusedCell: Bool = false) throws -> (ms: Double, tapeBytes: Int) {
        var rng = SeededRandom(seed: o.seed)
        let model = try CharRNN(o.model, vocabulary: corpus.vocabulary, rng: &rng, backend: o.backend)
        let trainer = try CharRNNTrainer(model: model, train: corpus.train, options: o)
        var failure: Error?
        let seconds = Benchmark.bestTime(minSeconds: minSeconds, minRuns: minRuns) {
            do { if engine { try trainer.stepWithEngine(fusedCell: fusedCell) } else { try trainer.step() } } catch { failure = error }
        }
        if let failure { throw failure }
        return (seconds * 1000, trainer.lastTapeBytes)
    }
}
