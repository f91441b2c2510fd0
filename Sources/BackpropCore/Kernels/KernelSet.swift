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
// in an extension (`backend.optimizer` in chapter 2, `backend.word2vec` in
// chapter 4, `backend.convolution` in chapter 5), so a whole model runs on
// either twin and tests compare them.
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

    /// y ← f(x) and derivative ← f′(x) in one pass (MapWithDerivative.swift):
    /// for functions with `derivativeInForward`, whose f′ shares f's work.
    static func mapWithDerivative<T: TensorScalar>(
        _ f: UnaryFunction, count: Int, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>,
        _ derivative: UnsafeMutablePointer<T>)

    /// The backward pass of row softmax Y = softmax(X):
    /// dX[i, j] = Y[i, j]·(dY[i, j] − Σₖ dY[i, k]·Y[i, k]). dx may alias dy.
    static func softmaxRowsBackward<T: TensorScalar>(
        rows: Int, cols: Int, y: UnsafePointer<T>, dy: UnsafePointer<T>, dx: UnsafeMutablePointer<T>)
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
