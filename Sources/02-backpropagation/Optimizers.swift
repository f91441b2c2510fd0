// Optimizers: SGD (with momentum and Nesterov), Adam and AdamW, following
// PyTorch's update equations exactly so one step matches torch.optim (see
// the fixtures). The per-element updates are kernels (`sgdStep`,
// `adamStep` in OptimizerKernels.swift) with naive and SIMD twins; this file keeps
// the state (momentum buffers, moments, step count) and the learning rate.
// Why Adam divides by √v̂ and corrects its bias: chapters/02-backpropagation.md,
// "Optimizers".

import BackpropCore

/// Something that updates parameters from their gradients.
public protocol Optimizer: AnyObject {
    /// The learning rate of the next step (schedules set it).
    var learningRate: Double { get set }
    /// Applies one update to every parameter from its `grad`.
    func step()
    /// Sets every parameter's gradient to zero.
    func zeroGrad()
}

/// Stochastic gradient descent, optionally with (Nesterov) momentum and L2
/// weight decay — torch.optim.SGD.
public final class SGD<Scalar: TensorScalar>: Optimizer {
    public let parameters: [Parameter<Scalar>]
    public var learningRate: Double
    public let momentum: Double, dampening: Double, weightDecay: Double
    public let nesterov: Bool
    public var backend: Backend
    /// The momentum buffers, one per parameter.
    public private(set) var buffers: [Tensor<Scalar>]
    public private(set) var steps = 0

    /// - Throws: `TrainingError.invalidOption` for a non-positive learning
    ///   rate, momentum outside [0, 1), or Nesterov without momentum.
    public init(
        _ parameters: [Parameter<Scalar>], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
        weightDecay: Double = 0, nesterov: Bool = false, backend: Backend = .simd
    ) throws {
        try OptimizerChecks.learningRate(learningRate)
        guard momentum >= 0, momentum < 1 else {
            throw TrainingError.invalidOption(name: "momentum", value: "\(momentum)", reason: "must be in [0, 1)")
        }
        guard !nesterov || (momentum > 0 && dampening == 0) else {
            throw TrainingError.invalidOption(name: "nesterov", value: "true", reason: "needs momentum > 0 and no dampening")
        }
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.backend = backend
        self.buffers = parameters.map { Tensor(uncheckedZerosLike: $0.value) }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step() {
        let s = SGDStep<Scalar>(
            learningRate: Scalar(learningRate), momentum: Scalar(momentum), dampening: Scalar(dampening),
            weightDecay: Scalar(weightDecay), nesterov: nesterov, firstStep: steps == 0)
        let k = backend.optimizer
        for (i, p) in parameters.enumerated() {
            p.grad.withUnsafeBufferPointer { g in
                p.value.withUnsafeMutableBufferPointer { v in
                    buffers[i].withUnsafeMutableBufferPointer { b in
                        guard let vb = v.baseAddress else { return }
                        k.sgdStep(count: v.count, s, parameter: vb, gradient: g.baseAddress!, buffer: b.baseAddress!)
                    }
                }
            }
        }
        steps += 1
    }

    public func zeroGrad() { parameters.forEach { $0.zeroGrad() } }
}

/// Adam (Kingma & Ba, 2015) with L2 weight decay — torch.optim.Adam — or,
/// with `decoupled`, AdamW (Loshchilov & Hutter, 2019) — torch.optim.AdamW.
public final class Adam<Scalar: TensorScalar>: Optimizer {
    public let parameters: [Parameter<Scalar>]
    public var learningRate: Double
    public let beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double
    public let decoupled: Bool
    public var backend: Backend
    /// First and second moment estimates m, v, one per parameter.
    public private(set) var m: [Tensor<Scalar>]
    public private(set) var v: [Tensor<Scalar>]
    public private(set) var steps = 0

    public init(
        _ parameters: [Parameter<Scalar>], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
        epsilon: Double = 1e-8, weightDecay: Double = 0, decoupled: Bool = false,
        backend: Backend = .simd
    ) throws {
        try OptimizerChecks.learningRate(learningRate)
        for (name, beta) in [("beta1", beta1), ("beta2", beta2)] where !(beta >= 0 && beta < 1) {
            throw TrainingError.invalidOption(name: name, value: "\(beta)", reason: "must be in [0, 1)")
        }
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
        self.backend = backend
        self.m = parameters.map { Tensor(uncheckedZerosLike: $0.value) }
        self.v = parameters.map { Tensor(uncheckedZerosLike: $0.value) }
    }

    /// AdamW: Adam with decoupled weight decay (PyTorch's default λ = 0.01).
    public static func adamW(
        _ parameters: [Parameter<Scalar>], learningRate: Double = 1e-3, weightDecay: Double = 0.01,
        backend: Backend = .simd
    ) throws -> Adam {
        try Adam(parameters, learningRate: learningRate, weightDecay: weightDecay, decoupled: true, backend: backend)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step() {
        steps += 1
        let s = AdamStep<Scalar>(
            learningRate: Scalar(learningRate), beta1: Scalar(beta1), beta2: Scalar(beta2), epsilon: Scalar(epsilon),
            weightDecay: Scalar(weightDecay), decoupled: decoupled, step: steps)
        let k = backend.optimizer
        for (i, p) in parameters.enumerated() {
            p.grad.withUnsafeBufferPointer { g in
                p.value.withUnsafeMutableBufferPointer { pv in
                    m[i].withUnsafeMutableBufferPointer { pm in
                        v[i].withUnsafeMutableBufferPointer { pvv in
                            guard let base = pv.baseAddress else { return }
                            k.adamStep(count: pv.count, s, parameter: base, gradient: g.baseAddress!,
                                       m: pm.baseAddress!, v: pvv.baseAddress!)
                        }
                    }
                }
            }
        }
    }

    public func zeroGrad() { parameters.forEach { $0.zeroGrad() } }
}

enum OptimizerChecks {
    static func learningRate(_ lr: Double) throws {
        guard lr.isFinite, lr > 0 else {
            throw TrainingError.invalidOption(name: "learning rate", value: "\(lr)", reason: "must be positive and finite")
        }
    }
}
