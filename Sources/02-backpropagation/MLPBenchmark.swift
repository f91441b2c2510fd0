// `backprop bench mlp`: the time of one training step of a 64-256-256-10 MLP
// (ReLU) at batch 64 with Adam — forward, cross-entropy, backward, update —
// on each kernel set. Flops per step are counted as 6 · (multiply-adds of
// the three matrix products per example) · batch: 2 for the forward product
// and 4 for the two backward ones; elementwise work is not counted, so the
// fraction of peak understates the machine's load a little.

import BackpropCore

public enum MLPBenchmark {
    public static let widths = [64, 256, 256, 10]
    /// The rows' shape: "64-256-256-10 batch 64 adam".
    public static let shape = widths.map(String.init).joined(separator: "-") + " batch 64 adam"

    /// Milliseconds per training step, best of repeated runs.
    public static func msPerStep(backend: Backend, batch: Int = 64, minSeconds: Double = 1) throws -> Double {
        let model: Sequential<Float> = try MultilayerPerceptron.make(
            inputs: widths[0], hidden: Array(widths[1..<(widths.count - 1)]), outputs: widths.last!, seed: 1, backend: backend)
        let trainer = ClassifierTrainer(model: model, optimizer: try Adam(model.parameters, learningRate: 1e-3, backend: backend))
        var rng = SeededRandom(seed: 2)
        let x = try Tensor<Float>(shape: [batch, widths[0]], scalars: (0..<(batch * widths[0])).map { _ in Float(rng.normal()) })
        let labels = (0..<batch).map { _ in rng.integer(below: widths.last!) }
        let options = TrainingOptions(epochs: 1, batchSize: batch, seed: 3)
        var failure: Error?
        let seconds = Benchmark.bestTime(minSeconds: minSeconds, minRuns: 5) {
            do { try trainer.step(x, labels, options: options) } catch { failure = error }
        }
        if let failure { throw failure }
        return seconds * 1000
    }

    /// The benchmark rows: naive and SIMD.
    public static func run(peakGflops: Double, quick: Bool = false) throws -> [BenchRow] {
        var macs = 0
        for i in 1..<widths.count { macs += widths[i - 1] * widths[i] }
        let flops = 6 * Double(macs) * 64
        let naive = try msPerStep(backend: .naive, minSeconds: quick ? 0 : 1)
        let simd = try msPerStep(backend: .simd, minSeconds: quick ? 0 : 2)
        let shape = Self.shape
        return [
            BenchRow(kernel: "mlp", shape: shape, variant: "naive", gflops: flops / naive / 1e6, msPerStep: naive, vsNaive: 1,
                     vsPeak: flops / naive / 1e6 / peakGflops),
            BenchRow(kernel: "mlp", shape: shape, variant: "simd", gflops: flops / simd / 1e6, msPerStep: simd, vsNaive: naive / simd,
                     vsPeak: flops / simd / 1e6 / peakGflops),
        ]
    }
}
