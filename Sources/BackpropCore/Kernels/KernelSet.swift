// KernelSet: the contract shared by the two kernel twins.
//
// `Naive` (Naive.swift) mirrors each formula line by line; `SIMDKernels`
// (SIMDKernels.swift) computes the same thing with SIMD registers, blocking
// and both cores.
//
// The backend contract: a model picks its twins with one value, `Backend`
// (.naive or .simd), chosen once and passed to every layer, optimizer and
// model (`backend:` parameters, a `backend` property). `backend.kernels` is
// the core's kernel set; each chapter adds its own kernels to the same value
// in an extension (`backend.convolution` in chapter 5, `backend.word2vec` in
// chapter 4), so a whole model runs on either twin and tests compare them.
//
// Kernels trust their arguments: pointers are valid for the counts given and
// outputs do not alias inputs unless a kernel says so. Shape checking happens
// one level up, in the throwing `Tensor` operations (TensorOps.swift).

/// Which operands of a matrix product are transposed: the three cases
/// backpropagation needs.
public enum MatmulLayout: String, Sendable, CaseIterable {
    /// C = A·B with A stored [m, k] and B stored [k, n] (forward pass).
    case nn
    /// C = Aᵀ·B with A stored [k, m] and B stored [k, n] (weight gradients).
    case tn
    /// C = A·Bᵀ with A stored [m, k] and B stored [n, k] (input gradients,
    /// and the PyTorch convention y = x·Wᵀ).
    case nt
}

/// The elementwise functions a kernel set maps over arrays, with their
/// derivatives for backward passes.
public enum UnaryFunction: Sendable, Hashable {
    /// max(0, x);  f′(x) = 1 if x > 0 else 0
    case relu
    /// x if x > 0 else slope·x;  f′(x) = 1 if x > 0 else slope
    case leakyRelu(slope: Double)
    /// σ(x) = 1 / (1 + e^(−x));  f′ = σ(1 − σ)
    case sigmoid
    /// (e^x − e^(−x)) / (e^x + e^(−x));  f′ = 1 − tanh²
    case tanh
    /// e^x;  f′ = e^x
    case exp
    /// GELU, exact: x·Φ(x) = ½x(1 + erf(x/√2));  f′ = Φ(x) + x·φ(x)
    case gelu
    /// GELU, tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
    case geluTanh

    /// Every function, with the leaky slope PyTorch uses by default (0.01).
    public static let all: [UnaryFunction] = [.relu, .leakyRelu(slope: 0.01), .sigmoid, .tanh, .exp, .gelu, .geluTanh]

    /// A short name for messages and test labels.
    public var name: String {
        switch self {
        case .relu: return "relu"
        case .leakyRelu(let s): return "leakyRelu(\(s))"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .exp: return "exp"
        case .gelu: return "gelu"
        case .geluTanh: return "geluTanh"
        }
    }
}

/// The hyperparameters of one Adam or AdamW step (PyTorch's `torch.optim.Adam`
/// and `AdamW` update equations; see `KernelSet.adamStep`).
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
/// `torch.optim.SGD`; see `KernelSet.sgdStep`).
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

import Foundation

/// A complete set of numerical kernels. `Naive` and `SIMDKernels` conform.
public protocol KernelSet: Sendable {
    /// "naive" or "simd", as shown in benchmarks.
    static var name: String { get }

    /// C[m×n] = op(A)·op(B), or C += op(A)·op(B) when `accumulate` is true.
    /// Leading dimensions equal the stored row lengths (no padding).
    static func matmul<T: TensorScalar>(
        _ layout: MatmulLayout, m: Int, n: Int, k: Int,
        _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>,
        accumulate: Bool)

    /// y ← α·x + y
    static func axpy<T: TensorScalar>(
        count: Int, alpha: T, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>)

    /// z ← x + y (z may alias x or y)
    static func add<T: TensorScalar>(
        count: Int, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ z: UnsafeMutablePointer<T>)

    /// z ← x ⊙ y, the elementwise product (z may alias x or y)
    static func multiply<T: TensorScalar>(
        count: Int, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ z: UnsafeMutablePointer<T>)

    /// x ← α·x
    static func scale<T: TensorScalar>(count: Int, alpha: T, _ x: UnsafeMutablePointer<T>)

    /// Σᵢ xᵢ², returned in Double (SumOfSquares.swift).
    static func sumOfSquares<T: TensorScalar>(count: Int, _ x: UnsafePointer<T>) -> Double

    /// y ← f(x) elementwise (y may alias x)
    static func map<T: TensorScalar>(
        _ f: UnaryFunction, count: Int, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>)

    /// M[i, j] ← M[i, j] + v[j] for a matrix M[rows×cols] (adding a bias row).
    static func addRowVector<T: TensorScalar>(
        rows: Int, cols: Int, _ v: UnsafePointer<T>, _ m: UnsafeMutablePointer<T>)

    /// out[i] ← Σⱼ X[i, j]
    static func rowSum<T: TensorScalar>(
        rows: Int, cols: Int, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>)

    /// out[i] ← maxⱼ X[i, j] (cols ≥ 1)
    static func rowMax<T: TensorScalar>(
        rows: Int, cols: Int, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>)

    /// out[j] ← Σᵢ X[i, j], or out[j] += … when `accumulate` (bias gradients).
    static func columnSum<T: TensorScalar>(
        rows: Int, cols: Int, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
        accumulate: Bool)

    /// Y[i, :] ← softmax(X[i, :]) = exp(X[i, j] − mᵢ) / Σₖ exp(X[i, k] − mᵢ),
    /// with mᵢ = maxⱼ X[i, j] so no exponential overflows (Y may alias X).
    static func softmaxRows<T: TensorScalar>(
        rows: Int, cols: Int, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>)

    /// dx ← dy ⊙ f′(x): the backward pass of y = f(x). `y` holds f(x) from the
    /// forward pass (sigmoid, tanh and exp read their derivative from it; the
    /// others read x). dx may alias dy.
    static func mapBackward<T: TensorScalar>(
        _ f: UnaryFunction, count: Int, x: UnsafePointer<T>, y: UnsafePointer<T>,
        dy: UnsafePointer<T>, dx: UnsafeMutablePointer<T>)

    /// The backward pass of row softmax Y = softmax(X):
    /// dX[i, j] = Y[i, j]·(dY[i, j] − Σₖ dY[i, k]·Y[i, k]). dx may alias dy.
    static func softmaxRowsBackward<T: TensorScalar>(
        rows: Int, cols: Int, y: UnsafePointer<T>, dy: UnsafePointer<T>, dx: UnsafeMutablePointer<T>)

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

/// Which twin of every kernel a model computes with: the one choice between
/// naive loops and SIMD code (also the `--backend` flag and the benchmarks'
/// `variant`).
public enum Backend: String, Sendable, CaseIterable {
    case naive, simd

    /// The core's kernel set for this backend.
    public var kernels: any KernelSet.Type {
        switch self {
        case .naive: return Naive.self
        case .simd: return SIMDKernels.self
        }
    }
}
