// The training loop on tiny problems: it learns, the two kernel sets agree
// step by step, divergence is a typed error, early stopping restores the best.

import BackpropCore
import LinearModels
import Backpropagation
import TestSupport
import Testing

@Suite struct TrainingTests {
    @Test("an MLP with two hidden units learns XOR, which no linear model can")
    func xor() throws {
        let data = try SyntheticData.xor()
        let model: Sequential<Float> = try MultilayerPerceptron.make(inputs: 2, hidden: [2], outputs: 2, activation: .tanh, seed: 3)
        let trainer = ClassifierTrainer(model: model, optimizer: try Adam(model.parameters, learningRate: 0.1))
        try trainer.fit(train: data, options: TrainingOptions(epochs: 300, batchSize: 4, seed: 3))
        #expect(try trainer.evaluate(data).accuracy == 1)
    }

    /// The twins differ only in summation order and FMA rounding, so each
    /// step's loss agrees to a few Float ulps; 20 steps of Adam on a smooth
    /// loss keep that within 1e-4 relative.
    @Test("naive and SIMD backends give the same losses step by step")
    func twinsAgree() throws {
        let data = try Chapter2.data("spirals", seed: 5).train
        var losses: [[Double]] = []
        for backend in Backend.allCases {
            let model: Sequential<Float> = try MultilayerPerceptron.make(
                inputs: 2, hidden: [33, 17], outputs: 2, activation: .gelu, seed: 5, backend: backend)
            let trainer = ClassifierTrainer(model: model, optimizer: try Adam(model.parameters, learningRate: 0.01, backend: backend))
            let x: Tensor<Float> = data.features.rows(0..<65)
            let y = Array(data.labels[0..<65])
            losses.append(try (0..<20).map { _ in try trainer.step(x, y, options: TrainingOptions(epochs: 1, batchSize: 65, seed: 0)).loss })
        }
        for (a, b) in zip(losses[0], losses[1]) { #expect(abs(a - b) <= 1e-4 * abs(a), "naive \(a) vs simd \(b)") }
        #expect(losses[1].last! < losses[1].first!)
    }

    @Test("a diverging run stops with an error naming the step and the tensor")
    func divergence() throws {
        let data = try Chapter2.data("spirals", seed: 6).train
        let model: Sequential<Float> = try MultilayerPerceptron.make(inputs: 2, hidden: [8], outputs: 2, seed: 6)
        let trainer = ClassifierTrainer(model: model, optimizer: try SGD(model.parameters, learningRate: 1e30))
        let error = #expect(throws: TrainingError.self) {
            try trainer.fit(train: data, options: TrainingOptions(epochs: 5, batchSize: 16, seed: 6))
        }
        guard case .nonFinite(let step, let tensor)? = error else { Issue.record("expected nonFinite, got \(String(describing: error))"); return }
        #expect(step >= 1)
        #expect(tensor == "loss" || tensor.hasPrefix("gradient of "))
    }

    @Test("early stopping restores the parameters of the best validation epoch")
    func earlyStopping() throws {
        let split = try Chapter2.data("spirals", seed: 7)
        let model: Sequential<Float> = try MultilayerPerceptron.make(inputs: 2, hidden: [16], outputs: 2, seed: 7)
        // A learning rate so large that validation loss soon gets worse.
        let trainer = ClassifierTrainer(model: model, optimizer: try SGD(model.parameters, learningRate: 3))
        var options = TrainingOptions(epochs: 30, batchSize: 600, seed: 7)
        options.patience = 3
        try trainer.fit(train: split.train, validation: split.validation, options: options)
        let best = trainer.history.compactMap(\.validationLoss).min()!
        #expect(trainer.history.count < 30)
        #expect(abs(try trainer.evaluate(split.validation).loss - best) < 1e-6)
    }

    @Test func badOptionsAreTypedErrors() throws {
        let data = try SyntheticData.xor()
        let model: Sequential<Float> = try MultilayerPerceptron.make(inputs: 2, hidden: [2], outputs: 2, seed: 1)
        let trainer = ClassifierTrainer(model: model, optimizer: try Adam(model.parameters))
        #expect(throws: TrainingError.self) { try trainer.fit(train: data, options: TrainingOptions(epochs: 0, batchSize: 4, seed: 1)) }
        #expect(throws: TrainingError.self) { try trainer.fit(train: data, options: TrainingOptions(epochs: 1, batchSize: 0, seed: 1)) }
        #expect(throws: TrainingError.self) {
            let _: Sequential<Float> = try MultilayerPerceptron.make(inputs: 2, hidden: [0], outputs: 2, seed: 1)
        }
    }

    @Test("the confusion matrix counts (true, predicted) pairs")
    func confusionMatrix() {
        let m = Metrics.confusionMatrix(predicted: [0, 1, 1, 2, 2], actual: [0, 1, 2, 2, 0], classes: 3)
        #expect(m == [[1, 0, 1], [0, 1, 0], [0, 1, 1]])
    }
}
