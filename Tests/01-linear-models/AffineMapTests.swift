// The affine map y = x·Wᵀ + b: gradient checks in Double and the PyTorch fixture.

import BackpropCore
import LinearModels
import TestSupport
import Testing

@Suite struct AffineMapTests {
    @Test("forward and backward match PyTorch's nn.Linear", arguments: [Backend.naive, .simd])
    func matchesPyTorch(backend: Backend) throws {
        let f = try fixture("linear_forward_backward")
        let x: Tensor<Double> = try f.tensor("x"), w: Tensor<Double> = try f.tensor("W")
        let b: Tensor<Double> = try f.tensor("b"), dy: Tensor<Double> = try f.tensor("dy")
        let y = try Affine.forward(x, weight: w, bias: b, backend: backend)
        #expect(maxRelativeDifference(y, try f.tensor("y")) < 1e-12)
        let g = try Affine.backward(dy, x: x, weight: w, backend: backend)
        #expect(maxRelativeDifference(g.dx, try f.tensor("dx")) < 1e-12)
        #expect(maxRelativeDifference(g.dWeight, try f.tensor("dW")) < 1e-12)
        #expect(maxRelativeDifference(g.dBias, try f.tensor("db")) < 1e-12)
    }

    @Test("Float forward agrees with the Double fixture to single precision")
    func floatMatchesFixture() throws {
        let f = try fixture("linear_forward_backward")
        let y = try Affine.forward(
            try f.tensor("x", as: Float.self), weight: try f.tensor("W", as: Float.self), bias: try f.tensor("b", as: Float.self))
        #expect(maxRelativeDifference(y.converted(to: Double.self), try f.tensor("y")) < 1e-5)
    }

    /// L = Σ y ⊙ R for a fixed random R, so ∂L/∂y = R and backward(R) must be ∂L/∂(x, W, b).
    @Test("backward passes a centered finite-difference check", arguments: [Backend.naive, .simd])
    func gradientCheck(backend: Backend) throws {
        let k = backend
        let x = randomTensor([4, 3], seed: 1), w = randomTensor([2, 3], seed: 2), b = randomTensor([2], seed: 3)
        let r = randomTensor([4, 2], seed: 4)
        func loss(_ x: Tensor<Double>, _ w: Tensor<Double>, _ b: Tensor<Double>) throws -> Double {
            try Affine.forward(x, weight: w, bias: b, backend: k).multiplying(r).sum()
        }
        let g = try Affine.backward(r, x: x, weight: w, backend: k)
        #expect(try GradientCheck.check({ try loss($0, w, b) }, at: x, analytic: g.dx).passes(1e-7))
        #expect(try GradientCheck.check({ try loss(x, $0, b) }, at: w, analytic: g.dWeight).passes(1e-7))
        #expect(try GradientCheck.check({ try loss(x, w, $0) }, at: b, analytic: g.dBias).passes(1e-7))
    }

    @Test("shape mismatches throw errors that name both shapes")
    func shapeErrors() throws {
        let x = randomTensor([4, 3], seed: 1), w = randomTensor([2, 5], seed: 2), b = randomTensor([2], seed: 3)
        let error = #expect(throws: TensorError.self) { try Affine.forward(x, weight: w, bias: b) }
        #expect(error?.description.contains("[4, 3]") == true)
        #expect(error?.description.contains("[2, 5]") == true)
        let wOK = randomTensor([2, 3], seed: 2)
        #expect(throws: TensorError.self) { try Affine.forward(x, weight: wOK, bias: randomTensor([3], seed: 5)) }
        #expect(throws: TensorError.self) { try Affine.backward(randomTensor([4, 3], seed: 6), x: x, weight: wOK) }
    }
}
