// `backprop bench word2vec`: training speed of SGNS on tinyshakespeare with
// the C tool's settings (dimension 100, window 5, 5 negatives, sample 1e-3,
// min-count 5), naive against SIMD twin, on 1 and 2 threads.
//
// Reported: words per second (tokens × epochs / wall time, the C tool's
// definition) and GFLOP/s counted per example as (K+1)·(2D for the dot
// product + 4D for the fused step's two multiply-adds) + 2D for the final
// axpy, i.e. 6D(K+1) + 2D ≈ 3,800 flops at D = 100, K = 5.

import BackpropCore
import Datasets
import Foundation

public enum Word2VecBenchmark {
    /// One row per (twin, threads). `quick`: a tenth of the corpus.
    public static func run(peakGflops: Double, quick: Bool = false) throws -> [BenchRow] {
        var text = try BundledData.shakespeare()
        if quick { text = String(text.prefix(text.count / 10)) }
        var rows: [BenchRow] = []
        var naiveRate: [Int: Double] = [:]
        let tokens = Tokenizer.words(in: text)
        for backend in Backend.allCases {
            for threads in [1, 2] {
                var o = Word2VecOptions(model: .sgns, seed: 1)
                o.backend = backend
                o.threads = threads
                o.epochs = quick ? 1 : 3
                let trainer = try Word2VecTrainer(tokens: tokens, options: o)
                var best: Word2VecResult?
                for _ in 0..<(quick ? 1 : 2) {
                    let r = try trainer.train()
                    if best == nil || r.seconds < best!.seconds { best = r }
                }
                let r = best!
                let flopsPerExample = Double(6 * o.dimension * (o.negative + 1) + 2 * o.dimension)
                let gflops = Double(r.examples) * flopsPerExample / r.seconds / 1e9
                if backend == .naive { naiveRate[threads] = r.wordsPerSecond }
                rows.append(BenchRow(
                    kernel: "word2vec", shape: "sgns d\(o.dimension) w\(o.window) k\(o.negative) \(threads) thread\(threads == 1 ? "" : "s")",
                    variant: backend.rawValue, gflops: gflops,
                    vsNaive: naiveRate[threads].map { r.wordsPerSecond / $0 }, vsPeak: gflops / peakGflops,
                    wordsPerSecond: r.wordsPerSecond))
            }
        }
        return rows
    }
}
