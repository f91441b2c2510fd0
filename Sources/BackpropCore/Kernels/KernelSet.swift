// KernelSet: the contract shared by the two kernel twins.
//
// `Naive` (Naive.swift) mirrors each formula line by line; `SIMDKernels`
// (SIMDKernels.swift) computes the same thing with SIMD registers, blocking
// and both cores. Every layer takes a `KernelSet.Type`, so a whole model can
// run on either twin and tests can compare them.
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

/// The elementwise functions a kernel set maps over arrays.
public enum UnaryFunction: String, Sendable, CaseIterable {
    /// max(0, x)
    case relu
    /// 1 / (1 + e^(−x))
    case sigmoid
    /// (e^x − e^(−x)) / (e^x + e^(−x))
    case tanh
    /// e^x
    case exp
}

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
}

/// Chooses a kernel set by name, for command-line flags and benchmarks.
public enum Backend: String, Sendable, CaseIterable {
    case naive, simd

    /// The kernel set this backend names.
    public var kernels: any KernelSet.Type {
        switch self {
        case .naive: return Naive.self
        case .simd: return SIMDKernels.self
        }
    }
}
