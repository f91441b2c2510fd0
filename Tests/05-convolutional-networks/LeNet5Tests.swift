// LeNet-5 (LeNet5.swift): its shapes layer by layer and its parameter count
// against the definition, a finite-difference check of the whole network in
// Double, two training steps on both backends, and its checkpoint.

import BackpropCore
import Datasets
import Foundation
import Storage
import ConvolutionalNetworks
import Backpropagation
import TestSupport
import Testing

/// The MNIST split scaled to [0, 1], read once for the suite.
let mnistData = Result { try Chapter5.mnist() }

@Suite struct LeNet5Tests {
    @Test("each layer's output shape follows the output-size formula, from [N, 784] to [N, 10]")
    func shapes() throws {
        let model: Sequential<Float> = try LeNet5.make(seed: 1)
        // n_out = (n + 2p − k) / s + 1: 28 + 4 − 5 + 1 = 28; pool 28 → 14;
        // 14 − 5 + 1 = 10; pool 10 → 5; 16·5·5 = 400.
        let expected: [[Int]] = [[3, 1, 28, 28], [3, 6, 28, 28], [3, 6, 28, 28], [3, 6, 14, 14], [3, 16, 10, 10], [3, 16, 10, 10],
                                 [3, 16, 5, 5], [3, 400], [3, 120], [3, 120], [3, 84], [3, 84], [3, 10]]
        #expect(model.layers.count == expected.count)
        var x: Tensor<Float> = randomTensor([3, 784], seed: 2).converted()
        for (layer, shape) in zip(model.layers, expected) {
            x = try layer.forward(x, mode: .inference).output
            #expect(x.shape == shape, "\(layer)")
        }
    }

    @Test("the parameters are those of the definition: 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706")
    func parameterCount() throws {
        let model: Sequential<Float> = try LeNet5.make(seed: 1)
        let shapes = model.namedParameters.map { "\($0.name) \($0.parameter.value.shape)" }
        #expect(shapes == ["1.weight [6, 1, 5, 5]", "1.bias [6]", "4.weight [16, 6, 5, 5]", "4.bias [16]",
                           "8.weight [120, 400]", "8.bias [120]", "10.weight [84, 120]", "10.bias [84]",
                           "12.weight [10, 84]", "12.bias [10]"])
        #expect(model.parameterCount == 6 * 1 * 25 + 6 + 16 * 6 * 25 + 16 + 400 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10)
        #expect(model.parameterCount == 61_706 && LeNet5.parameterCount == 61_706)
        let withDropout: Sequential<Float> = try LeNet5.make(dropout: 0.5, seed: 1)
        #expect(withDropout.parameterCount == 61_706 && withDropout.layers.count == 14)
    }

    /// L = Σ logits ⊙ R for a fixed random R. For each parameter tensor θ
    /// (and the input) a random direction V: the centered difference
    /// (L(θ + hV) − L(θ − hV)) / 2h must equal ⟨∂L/∂θ, V⟩, which tests every
    /// coordinate of the gradient at once, for two forward passes per tensor.
    @Test("the whole network's backward pass matches finite differences (Double, one random direction per tensor)")
    func gradientCheck() throws {
        let model: Sequential<Double> = try LeNet5.make(seed: 3)
        // Non-zero biases, so that no ReLU input sits exactly at its kink.
        var rng = SeededRandom(seed: 4)
        for p in model.parameters where p.name.hasSuffix("bias") {
            p.value = try Tensor(shape: p.value.shape, scalars: p.value.scalars.map { _ in rng.uniform(-0.05, 0.05) })
        }
        let x = randomTensor([1, 784], seed: 5)
        let r = randomTensor([1, 10], seed: 6)
        for p in model.parameters { p.zeroGrad() }
        let (y, cache) = try model.forward(x, mode: .training)
        let dx = try model.backward(r, cache: cache)
        #expect(y.shape == [1, 10])
        func loss(_ input: Tensor<Double>) throws -> Double { try model.forward(input, mode: .training).output.multiplying(r).sum() }
        let h = 1e-5
        func check(_ analytic: Tensor<Double>, _ seed: UInt64, _ what: String, _ lossAlong: (Tensor<Double>) throws -> Double) throws {
            let v = randomTensor(analytic.shape, seed: seed)
            let numeric = (try lossAlong(v.scaled(by: h)) - lossAlong(v.scaled(by: -h))) / (2 * h)
            let exact = zip(analytic.scalars, v.scalars).reduce(0) { $0 + $1.0 * $1.1 }
            let error = abs(exact - numeric) / max(1e-3, abs(exact) + abs(numeric))
            #expect(error < 1e-6, "\(what): ⟨gradient, V⟩ = \(exact), finite difference \(numeric)")
        }
        for (k, (name, p)) in model.namedParameters.enumerated() {
            let saved = p.value
            try check(p.grad, 10 + UInt64(k), name) { step in
                p.value = try saved.adding(step)
                defer { p.value = saved }
                return try loss(x)
            }
        }
        try check(dx, 99, "input") { step in try loss(try x.adding(step)) }
    }

    @Test("two Adam steps on eight MNIST images agree on both backends, and the loss falls")
    func backendsAgree() throws {
        let train = try mnistData.get().train
        let x = train.features.rows(0..<8), labels = Array(train.labels[0..<8])
        var losses: [[Double]] = [], weights: [Tensor<Float>] = []
        for backend in Backend.allCases {
            let model: Sequential<Float> = try LeNet5.make(seed: 7, backend: backend)
            let trainer = ClassifierTrainer(model: model, optimizer: try Adam(model.parameters, learningRate: 2e-3, backend: backend))
            let options = TrainingOptions(epochs: 1, batchSize: 8, seed: 0)
            losses.append(try (0..<2).map { _ in try trainer.step(x, labels, options: options).loss })
            weights.append(model.parameters[0].value)
        }
        for (a, b) in zip(losses[0], losses[1]) { #expect(abs(a - b) <= 1e-4 * abs(a), "naive \(a) vs simd \(b)") }
        #expect(maxRelativeDifference(weights[0], weights[1]) < 1e-5)
        #expect(losses[1][1] < losses[1][0])
    }

    @Test("a LeNet-5 checkpoint rebuilds the same classifier; a wrong size is a typed error")
    func checkpoint() throws {
        let data = try mnistData.get()
        let model: Sequential<Float> = try LeNet5.make(dropout: 0.25, seed: 8)
        let c = LeNet5Classifier(model: model, dropout: 0.25, classNames: data.train.classNames, preprocessing: data.preprocessing)
            .checkpoint(metadata: [("test_accuracy", .number(0.5))])
        #expect(c.kind == "lenet5")
        let back = try LeNet5Classifier(checkpoint: try Checkpoint.decode(try c.encoded(), path: "lenet.ckpt"))
        #expect(back.dropout == 0.25 && back.classNames == data.train.classNames)
        let x = data.test.features.rows(0..<4)
        #expect(try model(x) == back.model(x))
        var bad = c
        bad.config = bad.config.map { $0.0 == "inputs" ? ("inputs", .integer(64)) : $0 }
        let error = #expect(throws: CheckpointError.self) { try LeNet5Classifier(checkpoint: bad) }
        #expect(error?.description.contains("784") == true)
        var wrongKind = c
        wrongKind.kind = "cnn"
        #expect(throws: CheckpointError.self) { try LeNet5Classifier(checkpoint: wrongKind) }
    }
}
