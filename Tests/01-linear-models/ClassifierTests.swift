// The perceptron, logistic regression and XOR.

import BackpropCore
import Datasets
import LinearModels
import TestSupport
import Testing

@Suite struct PerceptronTests {
    @Test("the perceptron converges on separable blobs within Novikoff's bound")
    func convergesOnBlobs() throws {
        let data = try SyntheticData.blobs(count: 100, separation: 2.5, spread: 0.5, seed: 5)
        var p = Perceptron(features: 2)
        let report = try p.fit(data, epochs: 100, seed: 1)
        #expect(report.converged)
        #expect(try p.accuracy(on: data) == 1)
        // Novikoff: mistakes ≤ (R/γ)² for any separator with margin γ. The
        // perceptron's bias acts on a constant input 1, so use x̃ = (x, 1);
        // the direction w* = (1, 1, 0)/√2 separates these blobs (class = sign
        // of x₁ + x₂), with margin γ = min yᵢ w*·x̃ᵢ.
        let d = 2
        var r2 = 0.0, gamma = Double.infinity
        for i in 0..<data.count {
            let x0 = Double(data.features.scalars[i * d]), x1 = Double(data.features.scalars[i * d + 1])
            let y = data.labels[i] == 1 ? 1.0 : -1.0
            r2 = max(r2, x0 * x0 + x1 * x1 + 1)
            gamma = min(gamma, y * (x0 + x1) / 2.0.squareRoot())
        }
        try #require(gamma > 0, "w* must separate the generated data for the bound to apply")
        #expect(Double(report.mistakesPerEpoch.reduce(0, +)) <= r2 / (gamma * gamma))
    }

    @Test("one update moves w by η·y·x exactly")
    func updateRule() throws {
        // A single example of class 1 at (2, −1): the zero model scores 0 ≤ 0, so it updates once.
        let data = try Dataset(name: "one", features: Tensor(shape: [1, 2], scalars: [2, -1]), labels: [1], classNames: ["a", "b"])
        var p = Perceptron(features: 2)
        let report = try p.fit(data, epochs: 5, learningRate: 0.5, seed: 0)
        #expect(p.weights == [1, -0.5] && p.bias == 0.5)
        #expect(report.mistakesPerEpoch == [1, 0])
    }

    @Test("the perceptron never converges on XOR")
    func neverConvergesOnXOR() throws {
        var p = Perceptron(features: 2)
        let report = try p.fit(try SyntheticData.xor(), epochs: 200, seed: 2)
        #expect(!report.converged)
        #expect(report.mistakesPerEpoch.allSatisfy { $0 > 0 })
        #expect(try p.accuracy(on: try SyntheticData.xor()) <= 0.75)
    }

    @Test("three classes need one-versus-rest, not a silent wrong answer")
    func rejectsThreeClasses() throws {
        var p = Perceptron(features: 4)
        #expect(throws: TrainingError.self) { try p.fit(try BundledData.iris(), epochs: 3, seed: 0) }
    }
}

@Suite struct XORTests {
    /// The argument in `XORArgument`, checked by brute force over a grid of
    /// lines: none classifies all four corners, and 3 of 4 is reachable.
    @Test("no line gets all four XOR corners right; three is the best")
    func noLineSolvesXOR() {
        var best = 0
        let grid = stride(from: -3.0, through: 3.0, by: 0.25)
        for w1 in grid { for w2 in grid { for b in grid {
            best = max(best, XORArgument.correctCorners(w1: w1, w2: w2, b: b))
        } } }
        #expect(best == 3)
    }

    @Test("logistic regression on XOR stays at chance: probabilities near 1/2")
    func logisticOnXOR() throws {
        let data = try SyntheticData.xor()
        var model = try LogisticRegression<Float>(features: 2)
        let y = Tensor(data.labels.map { Float($0) })
        let history = try model.fit(data.features, y, epochs: 2000, learningRate: 0.5)
        // The symmetric optimum is w = 0, b = 0 with loss ln 2: nothing to learn.
        #expect(abs(Double(history.last!) - 0.6931471805599453) < 1e-3)
        #expect(try model.accuracy(on: data) <= 0.75)
    }
}

@Suite struct LogisticRegressionTests {
    @Test("one SGD step matches PyTorch (logits, loss, gradients, new parameters)")
    func matchesPyTorchStep() throws {
        let f = try fixture("logistic_regression_step")
        let x: Tensor<Double> = try f.tensor("x"), y: Tensor<Double> = try f.tensor("targets")
        var model = try LogisticRegression<Double>(features: 2)
        model.weight = try f.tensor("W")
        model.bias = try f.tensor("b")
        #expect(maxRelativeDifference(try model.logits(x), try f.tensor("logits")) < 1e-12)
        let g = try model.lossAndGradients(x, y)
        #expect(abs(g.loss - (try f.scalar("loss"))) < 1e-12)
        #expect(maxRelativeDifference(g.dWeight, try f.tensor("dW")) < 1e-12)
        #expect(maxRelativeDifference(g.dBias, try f.tensor("db")) < 1e-12)
        try model.fit(x, y, epochs: 1, learningRate: try f.scalar("lr"))
        #expect(maxRelativeDifference(model.weight, try f.tensor("W_after")) < 1e-12)
        #expect(maxRelativeDifference(model.bias, try f.tensor("b_after")) < 1e-12)
    }

    @Test("the model's gradient passes a finite-difference check")
    func gradientCheck() throws {
        let x = randomTensor([7, 3], seed: 30)
        let y = Tensor<Double>([1, 0, 1, 1, 0, 0, 1])
        var model = try LogisticRegression<Double>(features: 3)
        model.weight = randomTensor([1, 3], seed: 31)
        model.bias = randomTensor([1], seed: 32)
        let g = try model.lossAndGradients(x, y)
        let rw = try GradientCheck.check({ var m = model; m.weight = $0; return try m.lossAndGradients(x, y).loss },
                                         at: model.weight, analytic: g.dWeight)
        let rb = try GradientCheck.check({ var m = model; m.bias = $0; return try m.lossAndGradients(x, y).loss },
                                         at: model.bias, analytic: g.dBias)
        #expect(rw.passes(1e-7), "\(rw)")
        #expect(rb.passes(1e-7), "\(rb)")
    }

    @Test("naive and SIMD backends give the same loss curve on iris")
    func twinsAgree() throws {
        let (train, _) = try Chapter1Dataset.irisVirginica.load(seed: 1)
        let y = Tensor(train.labels.map { Float($0) })
        var a = try LogisticRegression<Float>(features: 4, backend: .naive)
        var b = try LogisticRegression<Float>(features: 4, backend: .simd)
        let ha = try a.fit(train.features, y, epochs: 50, learningRate: 0.5)
        let hb = try b.fit(train.features, y, epochs: 50, learningRate: 0.5)
        // Tolerance: the twins sum in different orders, so each step differs by
        // a few ulps of the loss; 1e-5 relative over 50 steps is ample.
        for (la, lb) in zip(ha, hb) { #expect(abs(la - lb) <= 1e-5 * max(1, abs(la))) }
    }

    @Test("iris: one-versus-rest logistic regression reaches ≥ 90% test accuracy")
    func irisAccuracy() throws {
        let run = try Chapter1.logistic(dataset: .iris, epochs: 200, learningRate: 0.5, seed: 42)
        #expect(run.metric("test_accuracy")! >= 0.9)
    }
}
