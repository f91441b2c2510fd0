// Losses, optimizers, clipping and schedules against PyTorch, and the loss
// gradients against finite differences.

import BackpropCore
import LinearModels
import Backpropagation
import TestSupport
import Testing

@Suite struct LossTests {
    @Test("cross-entropy matches PyTorch, with and without label smoothing",
          arguments: [("ch2_cross_entropy", 0.0), ("ch2_cross_entropy_smoothing", 0.1)])
    func crossEntropyFixture(name: String, smoothing: Double) throws {
        let f = try fixture(name)
        for backend in Backend.allCases {
            let (loss, grad) = try SoftmaxCrossEntropy.lossAndGradient(
                logits: try f.tensor("logits", as: Double.self), labels: labels(try f.tensor("targets")),
                labelSmoothing: smoothing, backend: backend)
            #expect(abs(loss - (try f.scalar("loss"))) < 1e-12)
            #expect(maxRelativeDifference(grad, try f.tensor("dlogits")) < 1e-12)
        }
    }

    @Test("cross-entropy gradient passes the finite-difference check", arguments: [0.0, 0.2])
    func crossEntropyGradientCheck(smoothing: Double) throws {
        let z = randomTensor([5, 4], seed: 20, scale: 3), y = [0, 3, 1, 1, 2]
        let (_, grad) = try SoftmaxCrossEntropy.lossAndGradient(logits: z, labels: y, labelSmoothing: smoothing)
        let report = try GradientCheck.check({ try SoftmaxCrossEntropy.loss(logits: $0, labels: y, labelSmoothing: smoothing) },
                                             at: z, analytic: grad)
        // Entries as small as 7e-4 meet rounding noise ε·L/h ≈ 1e-10: allow 1e-6.
        #expect(report.passes(1e-6), "\(report)")
    }

    /// With logits (0, 1000) and label 0, the loss is exactly 1000 (log-sum-exp
    /// is 1000 + log(1 + e^(−1000)) = 1000 in floating point): finite, not ∞.
    @Test func crossEntropyIsStable() throws {
        let z = try Tensor<Float>(rows: [[0, 1000]])
        let (loss, grad) = try SoftmaxCrossEntropy.lossAndGradient(logits: z, labels: [0])
        #expect(loss == 1000)
        #expect(grad.scalars == [-1, 1])
    }

    @Test func crossEntropyRejectsBadLabels() {
        let z = randomTensor([2, 3], seed: 21)
        #expect(throws: TensorError.self) { try SoftmaxCrossEntropy.loss(logits: z, labels: [0, 3]) }
        #expect(throws: TensorError.self) { try SoftmaxCrossEntropy.loss(logits: z, labels: [0]) }
        #expect(throws: TensorError.self) { try SoftmaxCrossEntropy.loss(logits: z, labels: [0, 1], labelSmoothing: 2) }
    }
}

@Suite struct OptimizerTests {
    /// Runs three steps with the fixture's gradients and compares every step.
    func threeSteps(_ name: String, make: ([Parameter<Double>], Fixture) throws -> any Optimizer,
                    buffers: ((any Optimizer) -> [(String, Tensor<Double>)])? = nil) throws {
        let f = try fixture(name)
        let p = Parameter("p", try f.tensor("p0", as: Double.self))
        let optimizer = try make([p], f)
        for t in 1...3 {
            p.grad = try f.tensor("g\(t)")
            optimizer.step()
            #expect(maxRelativeDifference(p.value, try f.tensor("p\(t)")) < 1e-12, "\(name) step \(t)")
        }
        for (key, value) in buffers?(optimizer) ?? [] {
            #expect(maxRelativeDifference(value, try f.tensor(key)) < 1e-12, "\(name) \(key)")
        }
    }

    @Test("SGD, momentum and Nesterov match torch.optim.SGD over three steps", arguments: Backend.allCases)
    func sgd(backend: Backend) throws {
        let k = backend
        try threeSteps("ch2_sgd") { ps, f in
            try SGD(ps, learningRate: try f.scalar("lr"), weightDecay: try f.scalar("weight_decay"), backend: k)
        }
        try threeSteps("ch2_sgd_momentum", make: { ps, f in
            try SGD(ps, learningRate: try f.scalar("lr"), momentum: try f.scalar("momentum"), dampening: try f.scalar("dampening"),
                    weightDecay: try f.scalar("weight_decay"), backend: k)
        }, buffers: { [("momentum_buffer", ($0 as! SGD<Double>).buffers[0])] })
        try threeSteps("ch2_sgd_nesterov", make: { ps, f in
            try SGD(ps, learningRate: try f.scalar("lr"), momentum: try f.scalar("momentum"),
                    weightDecay: try f.scalar("weight_decay"), nesterov: true, backend: k)
        }, buffers: { [("momentum_buffer", ($0 as! SGD<Double>).buffers[0])] })
    }

    @Test("Adam and AdamW match torch.optim over three steps, moments included", arguments: Backend.allCases)
    func adam(backend: Backend) throws {
        let k = backend
        for (name, decoupled) in [("ch2_adam", false), ("ch2_adamw", true)] {
            try threeSteps(name, make: { ps, f in
                try Adam(ps, learningRate: try f.scalar("lr"), beta1: try f.scalar("beta1"), beta2: try f.scalar("beta2"),
                         epsilon: try f.scalar("eps"), weightDecay: try f.scalar("weight_decay"), decoupled: decoupled, backend: k)
            }, buffers: { o in
                let a = o as! Adam<Double>
                return [("exp_avg", a.m[0]), ("exp_avg_sq", a.v[0])]
            })
        }
    }

    @Test func invalidHyperparametersAreTypedErrors() {
        let p = [Parameter("p", Tensor<Float>([1, 2]))]
        #expect(throws: TrainingError.self) { try SGD(p, learningRate: 0) }
        #expect(throws: TrainingError.self) { try SGD(p, learningRate: 0.1, momentum: 1.5) }
        #expect(throws: TrainingError.self) { try SGD(p, learningRate: 0.1, nesterov: true) }
        #expect(throws: TrainingError.self) { try Adam(p, learningRate: .nan) }
        #expect(throws: TrainingError.self) { try Adam(p, beta2: 1) }
    }

    @Test("global-norm clipping matches clip_grad_norm_", arguments: Backend.allCases)
    func clipping(backend: Backend) throws {
        let f = try fixture("ch2_clip_grad_norm")
        let a = Parameter("a", try f.tensor("a", as: Double.self)), b = Parameter("b", try f.tensor("b", as: Double.self))
        a.grad = a.value
        b.grad = b.value
        let norm = GradientClipping.clipGlobalNorm([a, b], maxNorm: try f.scalar("max_norm"), backend: backend)
        #expect(abs(norm - (try f.scalar("total_norm"))) < 1e-12)
        #expect(maxRelativeDifference(a.grad, try f.tensor("a_clipped")) < 1e-12)
        #expect(maxRelativeDifference(b.grad, try f.tensor("b_clipped")) < 1e-12)
        // Below the threshold nothing changes.
        let before = a.grad
        GradientClipping.clipGlobalNorm([a], maxNorm: 1e6, backend: backend)
        #expect(a.grad == before)
    }

    @Test("schedules match StepLR and the cosine-with-warm-up LambdaLR")
    func schedules() throws {
        let f = try fixture("ch2_schedules")
        let step = LearningRateSchedule.step(every: Int(try f.scalar("step_size")), factor: try f.scalar("gamma"))
        for (t, want) in try f.tensor("step_lr", as: Double.self).scalars.enumerated() {
            #expect(abs(step.rate(at: t, base: try f.scalar("step_lr_base")) - want) < 1e-12, "step t = \(t)")
        }
        let cosine = LearningRateSchedule.cosine(
            warmup: Int(try f.scalar("warmup_steps")), total: Int(try f.scalar("total_steps")), minimum: try f.scalar("min_lr"))
        for (t, want) in try f.tensor("cosine_warmup", as: Double.self).scalars.enumerated() {
            #expect(abs(cosine.rate(at: t, base: try f.scalar("base_lr")) - want) < 1e-12, "cosine t = \(t)")
        }
    }
}

/// Chapter 2 trains with chapter 1's MSE and BCE too; these fixtures hold
/// them to PyTorch on matrices and hard targets.
@Suite struct ReusedLossTests {
    @Test func mseMatchesPyTorch() throws {
        let f = try fixture("ch2_mse")
        let p: Tensor<Double> = try f.tensor("prediction"), t: Tensor<Double> = try f.tensor("target")
        #expect(abs(try MeanSquaredError.forward(p, t) - (try f.scalar("loss"))) < 1e-12)
        #expect(maxRelativeDifference(try MeanSquaredError.backward(p, t), try f.tensor("dprediction")) < 1e-12)
    }

    @Test func bceMatchesPyTorch() throws {
        let f = try fixture("ch2_bce_with_logits")
        let z: Tensor<Double> = try f.tensor("logits"), y: Tensor<Double> = try f.tensor("targets")
        #expect(abs(try BinaryCrossEntropy.forward(logits: z, targets: y) - (try f.scalar("loss"))) < 1e-12)
        #expect(maxRelativeDifference(try BinaryCrossEntropy.backward(logits: z, targets: y), try f.tensor("dlogits")) < 1e-12)
    }
}
