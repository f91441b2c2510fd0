// The optimizers' kernels (Optimizers.swift): one Adam/AdamW or SGD update
// of a parameter buffer, in a naive and a SIMD twin, added to the backend as
// `backend.optimizer` (the backend contract: KernelSet.swift).
//
// The naive twin writes PyTorch's update equations one element at a time.
// The SIMD twin (SIMDOptimizerKernels.swift) makes one pass over the
// buffers with every product-sum a single FMA and the scalar constants
// (1 − β, η/c₁, 1/c₂, 1 − ηλ, 1 − τ) computed once; Adam's bias corrections
// become a multiplication by η/c₁ and 1/c₂ instead of divisions, a few ε of
// relative difference per step. Branches on the hyperparameters (decoupled,
// momentum, first step, Nesterov) are taken once, outside the loops.

import BackpropCore
import Foundation

/// The hyperparameters of one Adam or AdamW step (PyTorch's `torch.optim.Adam`
/// and `AdamW` update equations; see `OptimizerKernels.adamStep`).
public struct AdamStep<T: TensorScalar>: Sendable {
    public var learningRate: T
    public var beta1: T
    public var beta2: T
    public var epsilon: T
    public var weightDecay: T
    /// true: AdamW's decoupled decay θ ← θ(1 − η·λ); false: Adam's L2 term g ← g + λθ.
    public var decoupled: Bool
    /// 1 − β₁ᵗ and 1 − β₂ᵗ for the step number t ≥ 1 (the bias corrections).
    public var correction1: T
    public var correction2: T

    public init(learningRate: T, beta1: T, beta2: T, epsilon: T, weightDecay: T, decoupled: Bool, step t: Int) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
        self.correction1 = 1 - T(Foundation.pow(Double(beta1), Double(t)))
        self.correction2 = 1 - T(Foundation.pow(Double(beta2), Double(t)))
    }
}

/// The hyperparameters of one SGD step, with optional momentum (PyTorch's
/// `torch.optim.SGD`; see `OptimizerKernels.sgdStep`).
public struct SGDStep<T: TensorScalar>: Sendable {
    public var learningRate: T
    public var momentum: T
    public var dampening: T
    public var weightDecay: T
    public var nesterov: Bool
    /// True on the first step: the momentum buffer starts as the gradient itself.
    public var firstStep: Bool

    public init(learningRate: T, momentum: T = 0, dampening: T = 0, weightDecay: T = 0, nesterov: Bool = false, firstStep: Bool) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.firstStep = firstStep
    }
}

/// The update rules an optimizer applies to each parameter buffer.
public protocol OptimizerKernels: Sendable {
    /// One Adam/AdamW update of `count` parameters θ with gradient g and
    /// moment buffers m, v (PyTorch's equations):
    ///   AdamW: θ ← θ(1 − η·λ);  Adam: g ← g + λθ
    ///   m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²
    ///   θ ← θ − η·(m / c₁) / (√(v / c₂) + ε),   c₁ = 1 − β₁ᵗ, c₂ = 1 − β₂ᵗ
    static func adamStep<T: TensorScalar>(
        count: Int, _ step: AdamStep<T>, parameter: UnsafeMutablePointer<T>, gradient: UnsafePointer<T>,
        m: UnsafeMutablePointer<T>, v: UnsafeMutablePointer<T>)

    /// One SGD update with optional momentum μ, dampening τ, weight decay λ
    /// and Nesterov (PyTorch's equations):
    ///   g ← g + λθ
    ///   b ← g on the first step, else b ← μb + (1 − τ)g     (only if μ ≠ 0)
    ///   d ← g + μb if Nesterov, else b                      (d = g if μ = 0)
    ///   θ ← θ − η·d
    static func sgdStep<T: TensorScalar>(
        count: Int, _ step: SGDStep<T>, parameter: UnsafeMutablePointer<T>, gradient: UnsafePointer<T>,
        buffer: UnsafeMutablePointer<T>)
}

extension Backend {
    /// This chapter's kernels for the backend: the optimizers' update rules.
    public var optimizer: any OptimizerKernels.Type {
        switch self {
        case .naive: return NaiveOptimizerKernels.self
        case .simd: return SIMDOptimizerKernels.self
        }
    }
}

/// The update equations, element by element.
public enum NaiveOptimizerKernels: OptimizerKernels {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func adamStep<T: TensorScalar>(
        count: Int, _ s: AdamStep<T>, parameter p: UnsafeMutablePointer<T>, gradient g: UnsafePointer<T>,
        m: UnsafeMutablePointer<T>, v: UnsafeMutablePointer<T>
    ) {
        for i in 0..<count {
            var grad = g[i]
            if s.decoupled { p[i] = p[i] * (1 - s.learningRate * s.weightDecay) } else { grad = grad + s.weightDecay * p[i] }
            m[i] = s.beta1 * m[i] + (1 - s.beta1) * grad
            v[i] = s.beta2 * v[i] + (1 - s.beta2) * grad * grad
            let mHat = m[i] / s.correction1
            let vHat = v[i] / s.correction2
            p[i] = p[i] - s.learningRate * mHat / (vHat.squareRoot() + s.epsilon)
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func sgdStep<T: TensorScalar>(
        count: Int, _ s: SGDStep<T>, parameter p: UnsafeMutablePointer<T>, gradient g: UnsafePointer<T>,
        buffer b: UnsafeMutablePointer<T>
    ) {
        for i in 0..<count {
            var d = g[i] + s.weightDecay * p[i]
            if s.momentum != 0 {
                b[i] = s.firstStep ? d : s.momentum * b[i] + (1 - s.dampening) * d
                d = s.nesterov ? d + s.momentum * b[i] : b[i]
            }
            p[i] = p[i] - s.learningRate * d
        }
    }
}
