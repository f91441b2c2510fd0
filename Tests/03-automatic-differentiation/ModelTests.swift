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

    /// Chapter 2's digits MLP (64-256-256-10, ReLU, dropout 0.1, Adam 1e-3,
    /// cosine schedule, batch 64, seed 42) trained for two epochs (34 steps)
    /// by chapter 2's trainer and by the engine. The engine calls the same
    /// kernels in the same order (matmuls in the same layouts, the bias added
    /// by `addRowVector`, the bias gradient by `columnSum`, the same dropout
    /// draws, cross-entropy rounded as chapter 2's), so every step's
    /// floating-point operations are the same and the losses agree to the
    /// bit; the stated tolerance, 1e-6 relative, leaves room for a kernel
    /// whose summation order differs between the two callers (e.g. a
    /// threaded reduction split differently), which would change the last
    /// Float bits of a step's loss.
    @Test("the digits MLP with the engine trains as chapter 2's hand-written MLP", arguments: [Backend.naive, .simd])
    func digitsMatchesHandWritten(backend: Backend) throws {
        let o = MLPRunOptions.defaults(for: "digits", seed: 42)!
        let data = try Chapter2.data("digits", seed: 42)
        var options = TrainingOptions(epochs: 2, batchSize: o.batch, seed: 42)
        options.schedule = .cosine(warmup: 0, total: 2, minimum: o.learningRate / 20)

        let model: Sequential<Float> = try MultilayerPerceptron.make(
            inputs: 64, hidden: o.widths, outputs: 10, activation: o.activation, dropout: o.dropout, seed: 42, backend: backend)
        let trainer = ClassifierTrainer(model: model, optimizer: try Adam(model.parameters, learningRate: o.learningRate, backend: backend))
        try trainer.fit(train: data.train, options: options)

        let engine = try AutodiffMLP<Float>(inputs: 64, hidden: o.widths, outputs: 10, activation: o.activation,
                                            dropout: o.dropout, seed: 42, backend: backend)
        let losses = try engine.fit(train: data.train, options: options,
                                    optimizer: try Adam(engine.parameters, learningRate: o.learningRate, backend: backend))
        #expect(losses.count == trainer.steps)

        // Each epoch's mean batch loss, weighted by batch size as the trainer does.
        let perEpoch = (data.train.count + o.batch - 1) / o.batch
        for epoch in 0..<2 {
            var sum = 0.0
            for s in 0..<perEpoch {
                let size = min(o.batch, data.train.count - s * o.batch)
                sum += losses[epoch * perEpoch + s] * Double(size)
            }
            let mean = sum / Double(data.train.count), reference = trainer.history[epoch].trainLoss
            #expect(abs(mean - reference) <= 1e-6 * reference, "epoch \(epoch): engine \(mean), hand-written \(reference)")
        }
        for (name, p) in model.namedParameters {
            let q = try #require(engine.namedParameters.first { $0.name == name }?.parameter, "\(name)")
            #expect(maxRelativeDifference(q.value, p.value) <= 1e-6, "\(name)")
        }
        let reference = try trainer.evaluate(data.test), ours = try engine.evaluate(data.test)
        #expect(abs(ours.loss - reference.loss) <= 1e-6 * reference.loss)
        #expect(ours.accuracy == reference.accuracy)
    }
}
