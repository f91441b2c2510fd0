// `backprop bench autodiff`: the cost of letting the tape write the backward
// pass. One training step of chapter 2's benchmark MLP (64-256-256-10, ReLU,
// batch 64, Adam; MLPBenchmark.swift) — forward, cross-entropy, backward,
// update — timed with the hand-written layers of chapter 2 and with the
// engine, on the same shapes, inputs and initialisation, on each backend.
// Rows: kernel "autodiff-mlp", variant "<backend> hand-written" and
// "<backend> engine"; `vs_naive` is the speed-up over the naive
// hand-written step (so engine/hand-written is the ratio of two rows'
// ms_per_step). The shape names the bytes of tensors the tape keeps for
// backward in one step (`Tape.bytesHeld`). With `bench --compare`, the SIMD
// engine row is held to PyTorch's step of the same MLP (kernel "mlp").

import Backpropagation
import BackpropCore

public enum AutodiffBenchmark {
    public static let widths = MLPBenchmark.widths

    /// Milliseconds per step of the hand-written and the engine MLP, and the tape's bytes.
    public static func msPerStep(backend: Backend, batch: Int = 64, minSeconds: Double = 1)
        throws -> (handWritten: Double, engine: Double, tapeBytes: Int) {
        var rng = SeededRandom(seed: 2)
        let x = try Tensor<Float>(shape: [batch, widths[0]], scalars: (0..<(batch * widths[0])).map { _ in Float(rng.normal()) })
        let labels = (0..<batch).map { _ in rng.integer(below: widths.last!) }
        let hidden = Array(widths[1..<(widths.count - 1)])

        let handWritten = try MLPBenchmark.msPerStep(backend: backend, batch: batch, minSeconds: minSeconds)

        let model = try AutodiffMLP<Float>(inputs: widths[0], hidden: hidden, outputs: widths.last!, seed: 1, backend: backend)
        let adam = try Adam(model.parameters, learningRate: 1e-3, backend: backend)
        var failure: Error?
        let seconds = Benchmark.bestTime(minSeconds: minSeconds, minRuns: 5) {
            do { try model.step(x, labels, optimizer: adam) } catch { failure = error }
        }
        if let failure { throw failure }
        return (handWritten, seconds * 1000, model.lastTapeBytes)
    }

    /// The benchmark rows: hand-written and engine, naive and SIMD.
    public static func run(peakGflops: Double, quick: Bool = false) throws -> [BenchRow] {
        var macs = 0
        for i in 1..<widths.count { macs += widths[i - 1] * widths[i] }
        let flops = 6 * Double(macs) * 64
        let naive = try msPerStep(backend: .naive, minSeconds: quick ? 0 : 1)
        let simd = try msPerStep(backend: .simd, minSeconds: quick ? 0 : 2)
        let shape = widths.map(String.init).joined(separator: "-") + " batch 64 adam, tape "
            + String(format: "%.2f MB", Double(simd.tapeBytes) / 1e6)
        func row(_ variant: String, _ ms: Double) -> BenchRow {
            BenchRow(kernel: "autodiff-mlp", shape: shape, variant: variant, gflops: flops / ms / 1e6, msPerStep: ms,
                     vsNaive: naive.handWritten / ms, vsPeak: flops / ms / 1e6 / peakGflops)
        }
        var engine = row("simd engine", simd.engine)
        engine.comparedWith = ("mlp", MLPBenchmark.shape)  // PyTorch's autograd on the same step
        return [row("naive hand-written", naive.handWritten), row("naive engine", naive.engine),
                row("simd hand-written", simd.handWritten), engine]
    }
}
