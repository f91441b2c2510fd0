// SIMDKernels+Backward: the SIMD twins of the backward and optimizer kernels.
//
// Contract (see KernelSet.swift for the formulas, Naive.swift for the loops)
// - `mapBackward` dx = dy ⊙ f′: Float in `SIMD8<Float>`, Double in
//   `SIMD4<Double>`, one pass, zero-padded vector tails (Float) or scalar
//   tails (Double).
//     relu, leakyRelu, sigmoid (dy·(y(1 − y))), exp (dy·y): the same IEEE
//       operations in the same order as Naive, so the same bits.
//     tanh: dy·(1 − y²) with 1 − y² as one FMA, so within 2ε·|dy|·(1 + y²)
//       of Naive (Naive rounds y² first).
//     gelu, geluTanh: Float uses `VectorMath.geluDerivative` /
//       `geluTanhDerivative` (error bounds in VectorMath.swift); Double
//       calls libm per element through `Naive.derivative`, bit for bit.
//   NaN in dy propagates; NaN in x gives relu/leakyRelu′ = 0/slope (as
//   Naive's `x > 0` test does) and NaN for gelu/geluTanh.
// - `softmaxRowsBackward`: per row, s = Σₖ dYₖYₖ in two vector FMA
//   accumulators (reassociated: within cols·ε·Σ|dY·Y| of Naive's s), then
//   dX = Y ⊙ (dY − s). dx may alias dy (each element is read before it is
//   written).
// - Entry points are `@_specialize`d for Float and Double; generic T.Vector
//   arithmetic is fine there (only comparison masks need concrete types,
//   see `relu` in SIMDKernels+Map.swift).

import Foundation

extension SIMDKernels {
    /// True for relu and leakyRelu (vectorised for Double in `map`).
    @inline(__always)
    static func isReluFamily(_ f: UnaryFunction) -> Bool {
        switch f {
        case .relu, .leakyRelu: return true
        default: return false
        }
    }

    // MARK: mapBackward

    /// dx ← dy ⊙ f′(x), f′ read from x (relu, leakyRelu, gelu, geluTanh) or
    /// from y = f(x) (sigmoid: y(1 − y), tanh: 1 − y², exp: y).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func mapBackward<T: TensorScalar>(
        _ f: UnaryFunction, count: Int, x: UnsafePointer<T>, y: UnsafePointer<T>,
        dy: UnsafePointer<T>, dx: UnsafeMutablePointer<T>
    ) {
        if T.self == Float.self {
            mapBackwardFloat(f, count: count, x: PackedGEMM.rebind(x, Float.self), y: PackedGEMM.rebind(y, Float.self),
                             dy: PackedGEMM.rebind(dy, Float.self), dx: PackedGEMM.rebindMutable(dx, Float.self))
        } else if T.self == Double.self {
            mapBackwardDouble(f, count: count, x: PackedGEMM.rebind(x, Double.self), y: PackedGEMM.rebind(y, Double.self),
                              dy: PackedGEMM.rebind(dy, Double.self), dx: PackedGEMM.rebindMutable(dx, Double.self))
        } else {
            Naive.mapBackward(f, count: count, x: x, y: y, dy: dy, dx: dx)
        }
    }

    /// One non-inlined loop per function (see `mapFloat` on the inliner).
    static func mapBackwardFloat(
        _ f: UnaryFunction, count: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>,
        dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>
    ) {
        switch f {
        case .relu: FloatBackward.relu(count, x, dy, dx)
        case .leakyRelu(let slope): FloatBackward.leakyRelu(count, x, dy, dx, Float(slope))
        case .sigmoid: FloatBackward.sigmoid(count, y, dy, dx)
        case .tanh: FloatBackward.tanh(count, y, dy, dx)
        case .exp: FloatBackward.exp(count, y, dy, dx)
        case .gelu:
            splitOverCores(count, threshold: parallelMapThreshold) { start, n in
                FloatBackward.gelu(n, x + start, dy + start, dx + start)
            }
        case .geluTanh: FloatBackward.geluTanh(count, x, dy, dx)
        }
    }

    /// dx = dy ⊙ f′ loops for Float; `a` is x or y as each derivative needs.
    enum FloatBackward {
        typealias P = UnsafePointer<Float>
        typealias M = UnsafeMutablePointer<Float>
        typealias V = SIMD8<Float>

        @inline(never) static func relu(_ n: Int, _ x: P, _ dy: P, _ dx: M) {
            backwardLoop(n, x, dy, dx) { x, dy in dy * V().replacing(with: 1, where: x .> 0) }
        }
        @inline(never) static func leakyRelu(_ n: Int, _ x: P, _ dy: P, _ dx: M, _ slope: Float) {
            let s = V(repeating: slope)
            backwardLoop(n, x, dy, dx) { x, dy in dy * s.replacing(with: 1, where: x .> 0) }
        }
        @inline(never) static func sigmoid(_ n: Int, _ y: P, _ dy: P, _ dx: M) {
            backwardLoop(n, y, dy, dx) { y, dy in dy * (y * (1 - y)) }
        }
        @inline(never) static func tanh(_ n: Int, _ y: P, _ dy: P, _ dx: M) {
            backwardLoop(n, y, dy, dx) { y, dy in dy * V(repeating: 1).addingProduct(-y, y) }
        }
        @inline(never) static func exp(_ n: Int, _ y: P, _ dy: P, _ dx: M) {
            backwardLoop(n, y, dy, dx) { y, dy in dy * y }
        }
        // Long chains: two vectors per iteration, called directly so the
        // `@_transparent` derivative is inlined (see FloatMaps.gelu).
        @inline(never) static func gelu(_ n: Int, _ x: P, _ dy: P, _ dx: M) {
            var i = 0
            while i + 16 <= n {
                let a = VectorMath.geluDerivative(load(x, i)), b = VectorMath.geluDerivative(load(x, i + 8))
                store(load(dy, i) * a, dx, i); store(load(dy, i + 8) * b, dx, i + 8)
                i += 16
            }
            while i < n {
                let full = i + 8 <= n
                let d = VectorMath.geluDerivative(full ? load(x, i) : loadPartial(x + i, n - i, fill: 0))
                let v = d * (full ? load(dy, i) : loadPartial(dy + i, n - i, fill: 0))
                if full { store(v, dx, i) } else { for l in 0..<(n - i) { dx[i + l] = v[l] } }
                i += 8
            }
        }
        @inline(never) static func geluTanh(_ n: Int, _ x: P, _ dy: P, _ dx: M) {
            var i = 0
            while i + 16 <= n {
                let a = VectorMath.geluTanhDerivative(load(x, i)), b = VectorMath.geluTanhDerivative(load(x, i + 8))
                store(load(dy, i) * a, dx, i); store(load(dy, i + 8) * b, dx, i + 8)
                i += 16
            }
            while i < n {
                let full = i + 8 <= n
                let d = VectorMath.geluTanhDerivative(full ? load(x, i) : loadPartial(x + i, n - i, fill: 0))
                let v = d * (full ? load(dy, i) : loadPartial(dy + i, n - i, fill: 0))
                if full { store(v, dx, i) } else { for l in 0..<(n - i) { dx[i + l] = v[l] } }
                i += 8
            }
        }
    }

    /// out[i] = body(a[i], dy[i]) in SIMD8, the tail in a zero-padded vector
    /// through the same (single) call site, so `body` is inlined.
    @inline(__always)
    static func backwardLoop(
        _ count: Int, _ a: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
        _ body: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>
    ) {
        var i = 0
        while i < count {
            let full = i + 8 <= count
            let v = full ? body(load(a, i), load(dy, i))
                : body(loadPartial(a + i, count - i, fill: 0), loadPartial(dy + i, count - i, fill: 0))
            if full { store(v, dx, i) } else { for l in 0..<(count - i) { dx[i + l] = v[l] } }
            i += 8
        }
    }

    static func mapBackwardDouble(
        _ f: UnaryFunction, count: Int, x: UnsafePointer<Double>, y: UnsafePointer<Double>,
        dy: UnsafePointer<Double>, dx: UnsafeMutablePointer<Double>
    ) {
        typealias V = SIMD4<Double>
        var i = 0
        switch f {
        case .relu:
            while i + 4 <= count { store(load(dy, i) * V().replacing(with: 1, where: load(x, i) .> 0), dx, i); i += 4 }
        case .leakyRelu(let slope):
            let s = V(repeating: slope)
            while i + 4 <= count { store(load(dy, i) * s.replacing(with: 1, where: load(x, i) .> 0), dx, i); i += 4 }
        case .sigmoid:
            while i + 4 <= count {
                let v: V = load(y, i)
                store(load(dy, i) * (v * (1 - v)), dx, i); i += 4
            }
        case .tanh:
            while i + 4 <= count {
                let v: V = load(y, i)
                store(load(dy, i) * V(repeating: 1).addingProduct(-v, v), dx, i); i += 4
            }
        case .exp:
            while i + 4 <= count { store(load(dy, i) * load(y, i), dx, i); i += 4 }
        case .gelu, .geluTanh:
            break  // libm's erf / tanh: the scalar loop below does all of it
        }
        if case .tanh = f {
            while i < count { dx[i] = dy[i] * Double(1).addingProduct(-y[i], y[i]); i += 1 }
        } else {
            while i < count { dx[i] = dy[i] * Naive.derivative(f, x: x[i], y: y[i]); i += 1 }
        }
    }

    // MARK: softmaxRowsBackward

    /// dX[i, :] = Y[i, :] ⊙ (dY[i, :] − sᵢ), sᵢ = Σₖ dY[i, k]·Y[i, k].
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func softmaxRowsBackward<T: TensorScalar>(
        rows: Int, cols: Int, y: UnsafePointer<T>, dy: UnsafePointer<T>, dx: UnsafeMutablePointer<T>
    ) {
        let w = T.Vector.scalarCount
        for r in 0..<rows {
            let yr = y + r * cols, gr = dy + r * cols, xr = dx + r * cols
            var s0 = T.Vector(), s1 = T.Vector()
            var j = 0
            while j + 2 * w <= cols {
                s0 = s0.addingProduct(load(gr, j), load(yr, j))
                s1 = s1.addingProduct(load(gr, j + w), load(yr, j + w))
                j += 2 * w
            }
            if j + w <= cols { s0 = s0.addingProduct(load(gr, j), load(yr, j)); j += w }
            var dot = (s0 + s1).sum()
            while j < cols { dot = dot.addingProduct(gr[j], yr[j]); j += 1 }
            let dv = T.Vector(repeating: dot)
            j = 0
            while j + w <= cols { store(load(yr, j) * (load(gr, j) - dv), xr, j); j += w }
            while j < cols { xr[j] = yr[j] * (gr[j] - dot); j += 1 }
        }
    }

    // MARK: Generic partial vectors

    /// The first n (< width) elements at p in the low lanes, zeros above.
    @inlinable @inline(__always)
    public static func loadPartial<T: TensorScalar>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> T.Vector {
        loadPartial(UnsafePointer(p), n)
    }

    @inlinable @inline(__always)
    public static func loadPartial<T: TensorScalar>(_ p: UnsafePointer<T>, _ n: Int) -> T.Vector {
        var v = T.Vector()
        for l in 0..<n { v[l] = p[l] }
        return v
    }

    /// Stores the low n lanes of v at p.
    @inlinable @inline(__always)
    public static func storePartial<T: TensorScalar>(_ v: T.Vector, _ p: UnsafeMutablePointer<T>, _ n: Int) {
        for l in 0..<n { p[l] = v[l] }
    }
}
