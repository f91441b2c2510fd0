// Models written with the engine against the hand-written ones: the XOR
// network's gradients from the scalar and tensor engines, XOR trained by
// the tensor engine, and chapter 2's digits MLP trained side by side with
// chapter 2's hand-written backward passes on both backends.

import AutomaticDifferentiation
import Backpropagation
import BackpropCore
import Datasets
import LinearModels
import TestSupport
import Testing

@Suite struct ModelTests {
    @Test("the scalar and tensor engines give the same gradients on the XOR network (Double, 1e-12)")
    func scalarAndTensorAgree() throws {
        let (inputs, labels) = try Chapter3.xorData()
        let scalar = try ScalarMLP(inputs: 2, hidden: [4], outputs: 2, activation: .tanh, seed: 42)
        let loss = scalar.loss(inputs, labels)
        loss.backward()

        let tensor = try AutodiffMLP<Double>(inputs: 2, hidden: [4], outputs: 2, activation: .tanh, seed: 42, backend: .naive)
        let tape = Tape<Double>(backend: .naive)
        let x = tape.constant(try Tensor(rows: inputs))
        let tensorLoss = try tensor.logits(x, training: true).crossEntropy(targets: labels)
        try tensorLoss.backward()

        #expect(abs(loss.data - tensorLoss.item) < 1e-12)
        // ScalarMLP lists each neuron's weights then its bias; AutodiffMLP keeps W [out, in] and b [out].
        for (layer, (w, b)) in zip(scalar.layers, tensor.layers) {
            for (j, neuron) in layer.neurons.enumerated() {
                for (i, wi) in neuron.weights.enumerated() {
                    #expect(abs(wi.data - w.value[j, i]) == 0, "the same initial weights")
                    #expect(abs(wi.grad - w.grad[j, i]) <= 1e-12 * max(1, abs(wi.grad)), "∂W[\(j), \(i)]")
                }
                #expect(abs(neuron.bias.grad - b.grad[j]) <= 1e-12 * max(1, abs(neuron.bias.grad)), "∂b[\(j)]")
            }
        }
    }

    @Test("the tensor engine trains XOR with chapter 2's settings", arguments: [Backend.naive, .simd])
    func xorTensor(backend: Backend) throws {
        let r = try Chapter3.trainXORTensor(seed: 42, backend: backend)
        #expect(r.accuracy == 1)
        #expect(r.loss < 0.05, "loss \(r.loss)")
    }

    /// Whether the tests were built with optimisation (the full-size run
    /// takes ~80 s in a debug build, ~1 s in release).
    static var optimized: Bool {
        #if DEBUG
        return false
        #else
        return true
        #endif
    }

    /// Chapter 2's digits run (ReLU, dropout 0.1, Adam 1e-3 with the cosine
    /// schedule over 40 epochs, batch 64, seed 42, the batches in the
    /// trainer's order) for 50 steps, with chapter 2's hand-written layers
    /// and trainer step and with the engine. The engine calls the same
    /// kernels in the same order (the matmuls in the same layouts, the bias
    /// added by `addRowVector`, its gradient by `columnSum`, the same dropout
    /// draws, cross-entropy rounded as chapter 2's), so each step performs
    /// the same floating-point operations and the losses agree to the bit
    /// (measured). The stated tolerance, 1e-6 relative, is what a kernel
    /// with a different summation order on one side (a threaded reduction
    /// split differently) would leave after 50 Adam steps: a few Float ulps.
    /// The full widths (64-256-256-10) run in an optimised build
    /// (`swift test -c release --filter ModelTests`); the debug build runs
    /// the same code with hidden widths 16, 16.
    func digitsSideBySide(widths: [Int], backend: Backend, steps: Int = 50) throws {
        let o = MLPRunOptions.defaults(for: "digits", seed: 42)!
        let data = try Chapter2.data("digits", seed: 42)
        var options = TrainingOptions(epochs: o.epochs, batchSize: o.batch, seed: 42)
        options.schedule = .cosine(warmup: 0, total: o.epochs, minimum: o.learningRate / 20)

        let engine = try AutodiffMLP<Float>(inputs: 64, hidden: widths, outputs: 10, activation: o.activation,
                                            dropout: o.dropout, seed: 42, backend: backend)
        let losses = try engine.fit(train: data.train, options: options,
                                    optimizer: try Adam(engine.parameters, learningRate: o.learningRate, backend: backend),
                                    maxSteps: steps)
        #expect(losses.count == steps)

        // Chapter 2's trainer, fed the batches its `fit` would draw.
        let model: Sequential<Float> = try MultilayerPerceptron.make(
            inputs: 64, hidden: widths, outputs: 10, activation: o.activation, dropout: o.dropout, seed: 42, backend: backend)
        let adam = try Adam(model.parameters, learningRate: o.learningRate, backend: backend)
        let trainer = ClassifierTrainer(model: model, optimizer: adam)
        let x: Tensor<Float> = data.train.features.converted()
        var rng = SeededRandom(seed: 42)
        var reference: [Double] = []
        for epoch in 0..<o.epochs {
            if reference.count == steps { break }
            adam.learningRate = options.schedule.rate(at: epoch, base: o.learningRate)
            let order = rng.permutation(data.train.count)
            for start in stride(from: 0, to: order.count, by: o.batch) where reference.count < steps {
                let rows = order[start..<min(start + o.batch, order.count)]
                reference.append(try trainer.step(x.rows(rows), rows.map { data.train.labels[$0] }, options: options).loss)
            }
        }
        for (i, (a, b)) in zip(losses, reference).enumerated() {
            #expect(abs(a - b) <= 1e-6 * b, "step \(i): engine \(a), hand-written \(b)")
        }
        for (name, p) in model.namedParameters {
            let q = try #require(engine.namedParameters.first { $0.name == name }?.parameter, "\(name)")
            #expect(maxRelativeDifference(q.value, p.value) <= 1e-6, "\(name)")
        }
        #expect(reference.suffix(5).reduce(0, +) < reference.prefix(5).reduce(0, +), "the loss falls")
    }

    @Test("the digits MLP with the engine trains as chapter 2's hand-written MLP (hidden 16, 16)", arguments: [Backend.naive, .simd])
    func digitsSmall(backend: Backend) throws {
        try digitsSideBySide(widths: [16, 16], backend: backend)
    }

    @Test("the digits MLP with the engine trains as chapter 2's hand-written MLP (64-256-256-10)",
          .enabled(if: optimized, "about 80 s in a debug build: run with swift test -c release"),
          arguments: [Backend.naive, .simd])
    func digitsFull(backend: Backend) throws {
        try digitsSideBySide(widths: [256, 256], backend: backend)
    }
}
