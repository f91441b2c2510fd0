// Naive: the reference kernels, one loop per formula.
//
// Each function is the definition written as loops, in the order a reader
// would write it on paper (matmul is i-j-k with the dot product innermost).
// They are the ground truth the SIMD twins (SIMDKernels.swift) are tested
// against, and the baseline `backprop bench` divides by. They are generic
// and specialised for Float and Double with `@_specialize`, so they run at
// compiled speed from any module.

/// Reference kernels that mirror the math line by line.
public enum Naive: KernelSet {
    public static let name = "naive"

    /// C = op(A)·op(B): cᵢⱼ = Σₚ aᵢₚ bₚⱼ.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func matmul<T: TensorScalar>(
        _ layout: MatmulLayout, m: Int, n: Int, k: Int,
        _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>,
        accumulate: Bool
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: T = 0
                for p in 0..<k {
                    let aip: T, bpj: T
                    switch layout {
                    case .nn: aip = a[i * k + p]; bpj = b[p * n + j]
                    case .tn: aip = a[p * m + i]; bpj = b[p * n + j]
                    case .nt: aip = a[i * k + p]; bpj = b[j * k + p]
                    }
                    sum += aip * bpj
                }
                c[i * n + j] = accumulate ? c[i * n + j] + sum : sum
            }
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func axpy<T: TensorScalar>(
        count: Int, alpha: T, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>
    ) {
        for i in 0..<count { y[i] = alpha * x[i] + y[i] }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func add<T: TensorScalar>(
        count: Int, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ z: UnsafeMutablePointer<T>
    ) {
        for i in 0..<count { z[i] = x[i] + y[i] }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func multiply<T: TensorScalar>(
        count: Int, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ z: UnsafeMutablePointer<T>
    ) {
        for i in 0..<count { z[i] = x[i] * y[i] }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func scale<T: TensorScalar>(count: Int, alpha: T, _ x: UnsafeMutablePointer<T>) {
        for i in 0..<count { x[i] = alpha * x[i] }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func map<T: TensorScalar>(
        _ f: UnaryFunction, count: Int, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>
    ) {
        for i in 0..<count { y[i] = apply(f, x[i]) }
    }

    /// One scalar application of `f`, written from its definition.
    @inlinable
    public static func apply<T: TensorScalar>(_ f: UnaryFunction, _ x: T) -> T {
        switch f {
        case .relu: return x > 0 ? x : 0
        case .sigmoid: return 1 / (1 + T.exp(-x))
        case .tanh: return T.tanh(x)
        case .exp: return T.exp(x)
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func addRowVector<T: TensorScalar>(
        rows: Int, cols: Int, _ v: UnsafePointer<T>, _ m: UnsafeMutablePointer<T>
    ) {
        for i in 0..<rows {
            for j in 0..<cols { m[i * cols + j] += v[j] }
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func rowSum<T: TensorScalar>(
        rows: Int, cols: Int, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>
    ) {
        for i in 0..<rows {
            var sum: T = 0
            for j in 0..<cols { sum += x[i * cols + j] }
            out[i] = sum
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func rowMax<T: TensorScalar>(
        rows: Int, cols: Int, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>
    ) {
        for i in 0..<rows {
            var best = x[i * cols]
            for j in 1..<max(cols, 1) where x[i * cols + j] > best { best = x[i * cols + j] }
            out[i] = best
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func columnSum<T: TensorScalar>(
        rows: Int, cols: Int, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
        accumulate: Bool
    ) {
        for j in 0..<cols {
            var sum: T = 0
            for i in 0..<rows { sum += x[i * cols + j] }
            out[j] = accumulate ? out[j] + sum : sum
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func softmaxRows<T: TensorScalar>(
        rows: Int, cols: Int, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>
    ) {
        for i in 0..<rows {
            let row = i * cols
            var m = x[row]
            for j in 1..<max(cols, 1) where x[row + j] > m { m = x[row + j] }
            var total: T = 0
            for j in 0..<cols {
                let e = T.exp(x[row + j] - m)
                y[row + j] = e
                total += e
            }
            for j in 0..<cols { y[row + j] /= total }
        }
    }
}
