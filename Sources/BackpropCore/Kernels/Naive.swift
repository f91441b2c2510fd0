// Naive: the reference kernels, one loop per formula.
//
// Each function is the definition written as loops, in the order a reader
// would write it on paper (matmul is i-j-k with the dot product innermost).
// They are the ground truth the SIMD twins (SIMDKernels.swift) are tested
// against, and the baseline `backprop bench` divides by. They are generic
// and specialised for Float and Double with `@_specialize`, so they run at
// compiled speed from any module.

import Foundation

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
        case .leakyRelu(let slope): return x > 0 ? x : T(slope) * x
        case .sigmoid: return 1 / (1 + T.exp(-x))
        case .tanh: return T.tanh(x)
        case .exp: return T.exp(x)
        case .gelu: return x * Naive.normalCDF(x)
        case .geluTanh:
            let inner = T(0.7978845608028654) * (x + T(0.044715) * x * x * x)  // √(2/π)(x + 0.044715x³)
            return T(0.5) * x * (1 + T.tanh(inner))
        }
    }

    /// f′(x), from x or from y = f(x), written from each derivative's formula.
    @inlinable
    public static func derivative<T: TensorScalar>(_ f: UnaryFunction, x: T, y: T) -> T {
        switch f {
        case .relu: return x > 0 ? 1 : 0
        case .leakyRelu(let slope): return x > 0 ? 1 : T(slope)
        case .sigmoid: return y * (1 - y)
        case .tanh: return 1 - y * y
        case .exp: return y
        case .gelu:
            // d/dx [x·Φ(x)] = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π)
            return Naive.normalCDF(x) + x * T.exp(-x * x / 2) * T(0.3989422804014327)
        case .geluTanh:
            // u = √(2/π)(x + 0.044715x³), y = ½x(1 + tanh u):
            // y′ = ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²)
            let c = T(0.7978845608028654)
            let t = T.tanh(c * (x + T(0.044715) * x * x * x))
            return T(0.5) * (1 + t) + T(0.5) * x * (1 - t * t) * c * (1 + 3 * T(0.044715) * x * x)
        }
    }

    /// Φ(x) = ½(1 + erf(x/√2)) = ½·erfc(−x/√2), the standard normal CDF,
    /// via libm's erfc in Double: the erfc form keeps full relative accuracy
    /// in the left tail, where 1 + erf(x/√2) cancels (at x = −6.8 that form
    /// was off by ~5e-6 relative, at x = −8 by ~100%).
    @inlinable
    public static func normalCDF<T: TensorScalar>(_ x: T) -> T {
        T(0.5 * Foundation.erfc(-Double(x) * 0.7071067811865476))
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func mapBackward<T: TensorScalar>(
        _ f: UnaryFunction, count: Int, x: UnsafePointer<T>, y: UnsafePointer<T>,
        dy: UnsafePointer<T>, dx: UnsafeMutablePointer<T>
    ) {
        for i in 0..<count { dx[i] = dy[i] * derivative(f, x: x[i], y: y[i]) }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func softmaxRowsBackward<T: TensorScalar>(
        rows: Int, cols: Int, y: UnsafePointer<T>, dy: UnsafePointer<T>, dx: UnsafeMutablePointer<T>
    ) {
        for i in 0..<rows {
            let row = i * cols
            var dot: T = 0
            for j in 0..<cols { dot += dy[row + j] * y[row + j] }
            for j in 0..<cols { dx[row + j] = y[row + j] * (dy[row + j] - dot) }
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
