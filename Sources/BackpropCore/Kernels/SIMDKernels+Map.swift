// SIMDKernels+Map: the elementwise functions y = f(x) of `SIMDKernels`
// (relu, leakyRelu, exp, sigmoid, tanh, gelu, geluTanh), and the split over
// both cores that the compute-bound ones use. The contract is in
// SIMDKernels.swift.

import Foundation

extension SIMDKernels {
    /// y ← f(x). relu and leakyRelu are vectorised for both types and give
    /// Naive's bits (NaN: relu → 0, leakyRelu → NaN, as in Naive). For Float,
    /// exp, sigmoid, tanh, gelu and geluTanh use `VectorMath` (error bounds
    /// there); for Double they call libm per element through `Naive.apply`,
    /// so Double results equal Naive's exactly. Float gelu (exact erf form,
    /// compute-bound: about 60 vector instructions per 8 lanes) is split over
    /// both cores from `parallelMapThreshold` elements on.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func map<T: TensorScalar>(
        _ f: UnaryFunction, count: Int, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>
    ) {
        if T.self == Double.self, isReluFamily(f) {
            reluDouble(f, count: count, PackedGEMM.rebind(x, Double.self), PackedGEMM.rebindMutable(y, Double.self))
        } else if T.self == Float.self {
            mapFloat(f, count: count, PackedGEMM.rebind(x, Float.self), PackedGEMM.rebindMutable(y, Float.self))
        } else {
            for i in 0..<count { y[i] = Naive.apply(f, x[i]) }
        }
    }

    /// The vector loops for Float; the last count mod 8 elements go through
    /// the same vector code in a zero-padded register. One non-inlined loop
    /// function per unary function: in one large function the SIL inliner
    /// stops inlining (even `@inline(__always)`) past its caller-size limit,
    /// and a `VectorMath.exp` left as a call costs 3–4× (seen here).
    static func mapFloat(
        _ f: UnaryFunction, count: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>
    ) {
        switch f {
        case .exp: FloatMaps.exp(count, x, y)
        case .sigmoid: FloatMaps.sigmoid(count, x, y)
        case .tanh: FloatMaps.tanh(count, x, y)
        case .relu: FloatMaps.relu(count, x, y)
        case .leakyRelu(let slope): FloatMaps.leakyRelu(count, x, y, Float(slope))
        case .gelu:
            splitOverCores(count, threshold: parallelMapThreshold) { start, n in
                FloatMaps.gelu(n, x + start, y + start)
            }
        case .geluTanh: FloatMaps.geluTanh(count, x, y)
        }
    }

    /// The per-function Float map loops (see `mapFloat`).
    enum FloatMaps {
        @inline(never) static func exp(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
            mapLoop(n, x, y) { VectorMath.exp($0) }
        }
        @inline(never) static func sigmoid(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
            mapLoop(n, x, y) { VectorMath.sigmoid($0) }
        }
        @inline(never) static func tanh(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
            mapLoop(n, x, y) { VectorMath.tanh($0) }
        }
        @inline(never) static func relu(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
            mapLoop(n, x, y) { SIMDKernels.relu($0) }
        }
        @inline(never) static func leakyRelu(
            _ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ slope: Float
        ) {
            let s = SIMD8<Float>(repeating: slope)
            mapLoop(n, x, y) { SIMDKernels.leakyRelu($0, s) }
        }
        // gelu and geluTanh are long dependency chains (~90 and ~45 vector
        // instructions): the loops call the `@_transparent` VectorMath
        // functions directly, two independent vectors per iteration, so the
        // body is inlined and the two chains overlap.
        @inline(never) static func gelu(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
            var i = 0
            while i + 16 <= n {
                let a = VectorMath.gelu(load(x, i)), b = VectorMath.gelu(load(x, i + 8))
                store(a, y, i); store(b, y, i + 8)
                i += 16
            }
            while i < n {
                let full = i + 8 <= n
                let v = VectorMath.gelu(full ? load(x, i) : loadPartial(x + i, n - i, fill: 0))
                if full { store(v, y, i) } else { for l in 0..<(n - i) { y[i + l] = v[l] } }
                i += 8
            }
        }
        @inline(never) static func geluTanh(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
            var i = 0
            while i + 16 <= n {
                let a = VectorMath.geluTanh(load(x, i)), b = VectorMath.geluTanh(load(x, i + 8))
                store(a, y, i); store(b, y, i + 8)
                i += 16
            }
            while i < n {
                let full = i + 8 <= n
                let v = VectorMath.geluTanh(full ? load(x, i) : loadPartial(x + i, n - i, fill: 0))
                if full { store(v, y, i) } else { for l in 0..<(n - i) { y[i + l] = v[l] } }
                i += 8
            }
        }
    }

    /// From this many elements on, compute-bound elementwise loops (Float
    /// gelu and its derivative) run on two cores: below it waking the second
    /// core (up to ~10 µs when its helper sleeps) is more than half the
    /// single-core time (exact gelu costs about 1 ns per element on one core).
    static let parallelMapThreshold = 1 << 15

    /// Runs body(start, count) over [0, count) in one piece, or in two
    /// halves on two threads when count ≥ threshold (halves are rounded to
    /// whole vectors, so both see aligned-to-8 splits).
    @inline(__always)
    static func splitOverCores(_ count: Int, threshold: Int, _ body: (Int, Int) -> Void) {
        if count < threshold {
            body(0, count)
            return
        }
        let half = (count / 2) & ~7
        ParallelFor.run(iterations: 2) { part in
            if part == 0 { body(0, half) } else { body(half, count - half) }
        }
    }

    /// y[i] = apply(x[i]) in SIMD8; the last count mod 8 elements go through
    /// the same code in a zero-padded register. `apply` has a single call
    /// site so LLVM inlines the closure (with two it judged large bodies
    /// such as gelu "not profitable" and left a call per vector).
    @inline(__always)
    static func mapLoop(
        _ count: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        _ apply: (SIMD8<Float>) -> SIMD8<Float>
    ) {
        var i = 0
        while i < count {
            let full = i + 8 <= count
            let v = apply(full ? load(x, i) : loadPartial(x + i, count - i, fill: 0))
            if full { store(v, y, i) } else { for l in 0..<(count - i) { y[i + l] = v[l] } }
            i += 8
        }
    }

    /// max(0, x) as select(x > 0, x, 0), which LLVM turns into one vmaxps
    /// (NaN → 0 like Naive). Comparisons are kept in concrete, non-generic
    /// functions: in code specialised from generics, Swift's SIMD masks were
    /// seen to compile to a lane-by-lane loop, ~10× slower.
    @inline(__always)
    static func relu(_ v: SIMD8<Float>) -> SIMD8<Float> {
        SIMD8<Float>().replacing(with: v, where: v .> 0)
    }

    @inline(__always)
    static func relu(_ v: SIMD4<Double>) -> SIMD4<Double> {
        SIMD4<Double>().replacing(with: v, where: v .> 0)
    }

    /// x if x > 0 else slope·x, as select(x > 0, x, slope·x) (NaN → NaN).
    @inline(__always)
    static func leakyRelu(_ v: SIMD8<Float>, _ slope: SIMD8<Float>) -> SIMD8<Float> {
        (slope * v).replacing(with: v, where: v .> 0)
    }

    @inline(__always)
    static func leakyRelu(_ v: SIMD4<Double>, _ slope: SIMD4<Double>) -> SIMD4<Double> {
        (slope * v).replacing(with: v, where: v .> 0)
    }

    /// relu or leakyRelu for Double in SIMD4, with a scalar tail.
    static func reluDouble(
        _ f: UnaryFunction, count: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>
    ) {
        var i = 0
        if case .leakyRelu(let slope) = f {
            let s = SIMD4<Double>(repeating: slope)
            while i + 4 <= count { store(leakyRelu(load(x, i), s), y, i); i += 4 }
        } else {
            while i + 4 <= count { store(relu(load(x, i)), y, i); i += 4 }
        }
        while i < count { y[i] = Naive.apply(f, x[i]); i += 1 }
    }
}
