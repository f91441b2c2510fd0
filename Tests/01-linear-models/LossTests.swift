// MSE and binary cross-entropy: values and gradients against PyTorch, and
// gradient checks in Double.

import BackpropCore
import LinearModels
import TestSupport
import Testing

@Suite struct LossTests {
    @Test("MSE matches PyTorch's MSELoss (mean) and its gradient")
    func mseFixture() throws {
        let f = try fixture("mse_loss")
        let p: Tensor<Double> = try f.tensor("prediction"), t: Tensor<Double> = try f.tensor("target")
        #expect(abs(try MeanSquaredError.forward(p, t) - (try f.scalar("loss"))) < 1e-12)
        #expect(maxRelativeDifference(try MeanSquaredError.backward(p, t), try f.tensor("dprediction")) < 1e-12)
    }

    @Test("BCE with logits matches PyTorch for hard and soft targets", arguments: ["bce_with_logits", "bce_with_logits_soft"])
    func bceFixture(name: String) throws {
        let f = try fixture(name)
        let z: Tensor<Double> = try f.tensor("logits"), y: Tensor<Double> = try f.tensor("targets")
        #expect(abs(try BinaryCrossEntropy.forward(logits: z, targets: y) - (try f.scalar("loss"))) < 1e-12)
        #expect(maxRelativeDifference(try BinaryCrossEntropy.backward(logits: z, targets: y), try f.tensor("dlogits")) < 1e-12)
    }

    @Test("MSE gradient passes a finite-difference check")
    func mseGradientCheck() throws {
        let p = randomTensor([5, 2], seed: 10), t = randomTensor([5, 2], seed: 11)
        let report = try GradientCheck.check({ try MeanSquaredError.forward($0, t) }, at: p,
                                             analytic: try MeanSquaredError.backward(p, t))
        #expect(report.passes(1e-7), "\(report)")
    }

    /// Logits within ±4: for larger |z| the gradient (σ(z) − y)/N falls toward
    /// the finite difference's rounding error ε·L/h ≈ 1e-10, and the check
    /// would measure that noise. Large logits are tested exactly below.
    @Test("BCE gradient passes a finite-difference check")
    func bceGradientCheck() throws {
        let z = randomTensor([8], seed: 12).scaled(by: 4)
        let y = Tensor<Double>([1, 0, 0, 1, 0.3, 0.9, 1, 0])
        let report = try GradientCheck.check({ try BinaryCrossEntropy.forward(logits: $0, targets: y) }, at: z,
                                             analytic: try BinaryCrossEntropy.backward(logits: z, targets: y))
        #expect(report.passes(1e-6), "\(report)")
    }

    /// For |z| large the exact loss is max(z,0) − z·y (the log term underflows
    /// to 0), which a naive −y·log σ(z) gets wrong (log 0 = −∞).
    @Test("BCE stays finite and exact for huge logits in Float")
    func bceStable() throws {
        let z = Tensor<Float>([1000, -1000, 1000, -1000])
        let y = Tensor<Float>([1, 0, 0, 1])
        let loss = try BinaryCrossEntropy.forward(logits: z, targets: y)
        #expect(loss == (0 + 0 + 1000 + 1000) / 4)
        let g = try BinaryCrossEntropy.backward(logits: z, targets: y)
        #expect(g.scalars == [0, 0, 0.25, -0.25])
    }

    @Test("losses reject mismatched shapes")
    func shapeErrors() {
        let a = Tensor<Float>([1, 2, 3]), b = Tensor<Float>([1, 2])
        #expect(throws: TensorError.self) { try MeanSquaredError.forward(a, b) }
        #expect(throws: TensorError.self) { try BinaryCrossEntropy.forward(logits: a, targets: b) }
    }
}
