// Linear regression: normal equations and gradient descent must agree.

import BackpropCore
import LinearModels
import TestSupport
import Testing

@Suite struct LinearRegressionTests {
    @Test("Gaussian elimination solves a system with a known answer")
    func solveKnownSystem() throws {
        // x = (1, −2, 3): each right-hand side is the row times x, worked by hand.
        // The first pivot is 0, so this also needs the row swap.
        let m: [[Double]] = [[0, 2, 1], [1, 1, 1], [2, -1, 4]]
        let r: [Double] = [-1, 2, 16]
        let x = try NormalEquations.solve(m, r)
        for (got, want) in zip(x, [1.0, -2, 3]) { #expect(abs(got - want) < 1e-12) }
    }

    @Test("a singular system is reported, not divided by zero")
    func singular() {
        #expect(throws: TensorError.self) { try NormalEquations.solve([[1, 2], [2, 4]], [1, 2]) }
    }

    @Test("the normal equations match PyTorch's least squares")
    func matchesLstsq() throws {
        let f = try fixture("linear_regression_normal_equations")
        let fit = try NormalEquations.fit(try f.tensor("X", as: Double.self), try f.tensor("y", as: Double.self))
        let w: Tensor<Double> = try f.tensor("w")
        for j in 0..<2 { #expect(abs(fit.weights[j] - w.scalars[j]) < 1e-9) }
        #expect(abs(fit.bias - (try f.scalar("b"))) < 1e-9)
    }

    @Test("noise-free data is fitted exactly")
    func exactLine() throws {
        let data = try SyntheticData.noisyLine(count: 50, slope: 3, intercept: 0.5, noise: 0, seed: 1)
        let fit = try NormalEquations.fit(data.x, data.y)
        #expect(abs(fit.weights[0] - 3) < 1e-5 && abs(fit.bias - 0.5) < 1e-5)
    }

    @Test("gradient descent converges to the normal-equations solution", arguments: [Backend.naive, .simd])
    func gradientDescentAgrees(backend: Backend) throws {
        let data = try SyntheticData.noisyLine(count: 100, seed: 3)
        let exact = try NormalEquations.fit(data.x, data.y)
        var model = try LinearRegression<Float>(features: 1, backend: backend)
        let history = try model.fit(data.x, data.y, epochs: 300, learningRate: 0.1)
        #expect(history.last! < history.first!)
        #expect(abs(Double(model.weight.scalars[0]) - exact.weights[0]) < 1e-3)
        #expect(abs(Double(model.bias.scalars[0]) - exact.bias) < 1e-3)
    }

    @Test("the MSE gradient of the whole model passes a finite-difference check")
    func modelGradientCheck() throws {
        let x = randomTensor([6, 3], seed: 20), y = randomTensor([6], seed: 21)
        var model = try LinearRegression<Double>(features: 3)
        model.weight = randomTensor([1, 3], seed: 22)
        let g = try model.lossAndGradients(x, y)
        let report = try GradientCheck.check({ w in
            var m = model
            m.weight = w
            return try m.lossAndGradients(x, y).loss
        }, at: model.weight, analytic: g.dWeight)
        #expect(report.passes(1e-7), "\(report)")
    }

    @Test("a learning rate far too large stops with a typed error, not NaN weights")
    func divergence() throws {
        let data = try SyntheticData.noisyLine(count: 20, seed: 4)
        var model = try LinearRegression<Float>(features: 1)
        let error = #expect(throws: TrainingError.self) { try model.fit(data.x, data.y, epochs: 500, learningRate: 50) }
        if case .nonFinite(let step, _)? = error { #expect(step > 0) } else { Issue.record("expected .nonFinite, got \(String(describing: error))") }
        #expect(throws: TrainingError.self) { try model.fit(data.x, data.y, epochs: 0, learningRate: 0.1) }
        #expect(throws: TrainingError.self) { try model.fit(data.x, data.y, epochs: 5, learningRate: -1) }
    }
}
