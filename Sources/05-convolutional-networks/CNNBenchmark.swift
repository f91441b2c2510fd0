// `backprop bench conv`: Conv2D forward, backward-input and backward-weight
// in GFLOP/s (2 flops per multiply-add; the two backward passes cost one
// forward each) for the digits CNN's two convolutions at batch 64, naive
// against im2col, and the time of one full training step of the digits CNN
// (forward, loss, backward, Adam) at batch 64, and of LeNet-5 on 28×28
// images at batch 64 (the shapes of `bench/pytorch_reference.py`).

import BackpropCore
import Backpropagation

public enum CNNBenchmark {
    /// The two convolutions of the digits CNN at batch 64.
    static func shapes() throws -> [ConvolutionGeometry] {
        [try ConvolutionGeometry(batch: 64, inChannels: 1, height: 8, width: 8, outChannels: 16, kernelHeight: 3, kernelWidth: 3, padding: 1),
         try ConvolutionGeometry(batch: 64, inChannels: 16, height: 8, width: 8, outChannels: 32, kernelHeight: 3, kernelWidth: 3, padding: 1)]
    }

    public static func run(peakGflops: Double, quick: Bool = false) throws -> [BenchRow] {
        var rows: [BenchRow] = []
        for g in try shapes() {
            var rng = SeededRandom(seed: 5)
            let x = (0..<g.inputShape.reduce(1, *)).map { _ in Float(rng.uniform(-1, 1)) }
            let w = (0..<g.weightShape.reduce(1, *)).map { _ in Float(rng.uniform(-1, 1)) }
            let b = [Float](repeating: 0.1, count: g.outChannels)
            let dy = (0..<g.outputShape.reduce(1, *)).map { _ in Float(rng.uniform(-1, 1)) }
            var y = [Float](repeating: 0, count: dy.count), dx = x, dw = w, db = b
            let flops = 2 * Double(g.multiplyAdds)
            let shape = "\(g.batch)x\(g.inChannels)x\(g.height)x\(g.width) → \(g.outChannels) k3 p1"
            for pass in ["forward", "backward_input", "backward_weight"] {
                var times: [Double] = []
                for conv in [NaiveConvolution.self, Im2colConvolution.self] as [any ConvolutionKernels.Type] {
                    times.append(Benchmark.bestTime(minSeconds: quick ? 0 : 0.3, minRuns: quick ? 1 : 3) {
                        switch pass {
                        case "forward":
                            conv.convolutionForward(g, input: x, weight: w, bias: b, output: &y)
                        case "backward_input":
                            conv.convolutionBackwardInput(g, outputGradient: dy, weight: w, inputGradient: &dx)
                        default:
                            conv.convolutionBackwardWeight(g, input: x, outputGradient: dy, weightGradient: &dw, biasGradient: &db)
                        }
                    })
                }
                let (gn, gs) = (flops / times[0] / 1e9, flops / times[1] / 1e9)
                rows.append(BenchRow(kernel: "conv2d_\(pass)", shape: shape, variant: "naive", gflops: gn, vsNaive: 1, vsPeak: gn / peakGflops))
                rows.append(BenchRow(kernel: "conv2d_\(pass)", shape: shape, variant: "simd", gflops: gs, vsNaive: gs / gn, vsPeak: gs / peakGflops))
            }
        }
        let stepFlops = 6 * Double(try shapes().map(\.multiplyAdds).reduce(0, +) + 64 * 512 * 10)
        var ms: [Double] = []
        for backend in Backend.allCases {
            ms.append(try msPerStep(backend: backend, minSeconds: quick ? 0 : 1))
        }
        let shape = "digits CNN batch 64 adam"
        rows.append(BenchRow(kernel: "cnn", shape: shape, variant: "naive", gflops: stepFlops / ms[0] / 1e6, msPerStep: ms[0],
                             vsNaive: 1, vsPeak: stepFlops / ms[0] / 1e6 / peakGflops))
        rows.append(BenchRow(kernel: "cnn", shape: shape, variant: "simd", gflops: stepFlops / ms[1] / 1e6, msPerStep: ms[1],
                             vsNaive: ms[0] / ms[1], vsPeak: stepFlops / ms[1] / 1e6 / peakGflops))
        // LeNet-5 on 28×28: conv1 28·28·6·25, conv2 10·10·16·150, then 400·120 + 120·84 + 84·10 per image.
        let lenetFlops = 6 * 64 * Double(28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 400 * 120 + 120 * 84 + 84 * 10)
        var lenet: [Double] = []
        for backend in Backend.allCases {
            lenet.append(try msPerLeNetStep(backend: backend, minSeconds: quick || backend == .naive ? 0 : 1))
        }
        let lenetShape = "LeNet-5 28x28 batch 64 adam"
        rows.append(BenchRow(kernel: "lenet5", shape: lenetShape, variant: "naive", gflops: lenetFlops / lenet[0] / 1e6, msPerStep: lenet[0],
                             vsNaive: 1, vsPeak: lenetFlops / lenet[0] / 1e6 / peakGflops))
        rows.append(BenchRow(kernel: "lenet5", shape: lenetShape, variant: "simd", gflops: lenetFlops / lenet[1] / 1e6, msPerStep: lenet[1],
                             vsNaive: lenet[0] / lenet[1], vsPeak: lenetFlops / lenet[1] / 1e6 / peakGflops))
        return rows
    }

    /// Milliseconds per training step of the digits CNN (no dropout, as in
    /// the PyTorch reference model) at batch 64.
    public static func msPerStep(backend: Backend, minSeconds: Double) throws -> Double {
        try msPerStep(try DigitsCNN.make(dropout: 0, seed: 1, backend: backend), inputs: 64, backend: backend, minSeconds: minSeconds)
    }

    /// Milliseconds per training step of LeNet-5 (no dropout) on 28×28 inputs at batch 64.
    public static func msPerLeNetStep(backend: Backend, minSeconds: Double) throws -> Double {
        try msPerStep(try LeNet5.make(dropout: 0, seed: 1, backend: backend), inputs: 28 * 28, backend: backend, minSeconds: minSeconds)
    }

    /// Best milliseconds per Adam step of `model` on a batch of 64 random images in [0, 1).
    static func msPerStep(_ model: Sequential<Float>, inputs: Int, backend: Backend, minSeconds: Double) throws -> Double {
        let trainer = ClassifierTrainer(model: model, optimizer: try Adam(model.parameters, learningRate: 1e-3, backend: backend))
        var rng = SeededRandom(seed: 2)
        let x = try Tensor<Float>(shape: [64, inputs], scalars: (0..<(64 * inputs)).map { _ in Float(rng.uniform(0, 1)) })
        let labels = (0..<64).map { _ in rng.integer(below: 10) }
        let options = TrainingOptions(epochs: 1, batchSize: 64, seed: 3)
        var failure: Error?
        let seconds = Benchmark.bestTime(minSeconds: minSeconds, minRuns: backend == .naive ? 1 : 5) {
            do { try trainer.step(x, labels, options: options) } catch { failure = error }
        }
        if let failure { throw failure }
        return seconds * 1000
    }
}
