// SIMDKernels: the fast twin of `Naive`, same contract (KernelSet.swift).
//
// Contract
// - Every kernel computes what its `Naive` twin computes, on the same
//   pointers, and agrees with it up to floating-point reassociation:
//   elementwise kernels within an ulp or two (axpy fuses α·x + y into one
//   FMA), reductions within (count)·ε relative to Σ|terms| (they sum in
//   several vector lanes, then add the lanes), `columnSum` and `rowMax`
//   exactly, `matmul` within k·ε·Σₚ|aᵢₚ bₚⱼ| (see SIMDMatmul.swift).
// - Float runs in `SIMD8<Float>` (one 256-bit AVX register), Double in
//   `SIMD4<Double>`. exp, sigmoid, tanh, gelu and geluTanh use the
//   polynomial `VectorMath` functions for Float (exp under one ulp of
//   relative error; the others' bounds are in VectorMath.swift) and libm's
//   scalar functions per element for Double.
// - The backward and optimizer kernels are in SIMDKernels+Backward.swift.
// - Each public generic entry point is `@_specialize`d for Float and Double:
//   its generic body first checks the type and jumps to the specialised
//   copy, so callers in other modules run the vector code, not a generic
//   interpretation of it. `matmul` dispatches on `T.self` explicitly.
// - Loops work on raw pointers: no bounds checks, no copy-on-write, and a
//   scalar (or zero-padded vector) tail for counts that are not multiples of
//   the vector width.

import Foundation

/// Kernels written with SIMD vectors, blocking and both cores.
public enum SIMDKernels: KernelSet {
    public static let name = "simd"

    /// C = op(A)·op(B) (or +=) by the packed, blocked GEMM in SIMDMatmul.swift.
    public static func matmul<T: TensorScalar>(
        _ layout: MatmulLayout, m: Int, n: Int, k: Int,
        _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>,
        accumulate: Bool
    ) {
        PackedGEMM.run(layout, m: m, n: n, k: k, a, b, c, accumulate: accumulate)
    }

    /// y ← α·x + y, one FMA per lane (one rounding instead of Naive's two).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func axpy<T: TensorScalar>(
        count: Int, alpha: T, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>
    ) {
        let w = T.Vector.scalarCount, av = T.Vector(repeating: alpha)
        var i = 0
        while i + 2 * w <= count {
            store(load(y, i).addingProduct(av, load(x, i)), y, i)
            store(load(y, i + w).addingProduct(av, load(x, i + w)), y, i + w)
            i += 2 * w
        }
        if i + w <= count { store(load(y, i).addingProduct(av, load(x, i)), y, i); i += w }
        while i < count { y[i] = y[i].addingProduct(alpha, x[i]); i += 1 }
    }

    /// z ← x + y (exact same roundings as Naive).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func add<T: TensorScalar>(
        count: Int, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ z: UnsafeMutablePointer<T>
    ) {
        let w = T.Vector.scalarCount
        var i = 0
        while i + 2 * w <= count {
            store(load(x, i) + load(y, i), z, i)
            store(load(x, i + w) + load(y, i + w), z, i + w)
            i += 2 * w
        }
        if i + w <= count { store(load(x, i) + load(y, i), z, i); i += w }
        while i < count { z[i] = x[i] + y[i]; i += 1 }
    }

    /// z ← x ⊙ y (exact same roundings as Naive).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func multiply<T: TensorScalar>(
        count: Int, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ z: UnsafeMutablePointer<T>
    ) {
        let w = T.Vector.scalarCount
        var i = 0
        while i + 2 * w <= count {
            store(load(x, i) * load(y, i), z, i)
            store(load(x, i + w) * load(y, i + w), z, i + w)
            i += 2 * w
        }
        if i + w <= count { store(load(x, i) * load(y, i), z, i); i += w }
        while i < count { z[i] = x[i] * y[i]; i += 1 }
    }

    /// x ← α·x
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func scale<T: TensorScalar>(count: Int, alpha: T, _ x: UnsafeMutablePointer<T>) {
        let w = T.Vector.scalarCount, av = T.Vector(repeating: alpha)
        var i = 0
        while i + 2 * w <= count {
            store(av * load(x, i), x, i)
            store(av * load(x, i + w), x, i + w)
            i += 2 * w
        }
        if i + w <= count { store(av * load(x, i), x, i); i += w }
        while i < count { x[i] = alpha * x[i]; i += 1 }
    }

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
    /// gelu and its derivative) run on two cores: below it the ~10 µs of
    /// dispatch overhead is more than half the single-core time (exact gelu
    /// costs about 1 ns per element on one core).
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
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let run = body
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                if part == 0 { run(0, half) } else { run(half, count - half) }
            }
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

    /// M[i, :] += v
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func addRowVector<T: TensorScalar>(
        rows: Int, cols: Int, _ v: UnsafePointer<T>, _ m: UnsafeMutablePointer<T>
    ) {
        let w = T.Vector.scalarCount
        for r in 0..<rows {
            let row = m + r * cols
            var j = 0
            while j + w <= cols { store(load(row, j) + load(v, j), row, j); j += w }
            while j < cols { row[j] += v[j]; j += 1 }
        }
    }

    /// out[i] = Σⱼ X[i, j], summed in 2 vector accumulators (2w partial sums),
    /// then across lanes, then the scalar tail.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func rowSum<T: TensorScalar>(
        rows: Int, cols: Int, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>
    ) {
        let w = T.Vector.scalarCount
        for r in 0..<rows {
            let row = x + r * cols
            var s0 = T.Vector(), s1 = T.Vector()
            var j = 0
            while j + 2 * w <= cols { s0 += load(row, j); s1 += load(row, j + w); j += 2 * w }
            if j + w <= cols { s0 += load(row, j); j += w }
            var total = (s0 + s1).sum()
            while j < cols { total += row[j]; j += 1 }
            out[r] = total
        }
    }

    /// out[i] = maxⱼ X[i, j] (exact: max does not round).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func rowMax<T: TensorScalar>(
        rows: Int, cols: Int, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>
    ) {
        for r in 0..<rows { out[r] = maxOfRow(x + r * cols, cols) }
    }

    /// out[j] = Σᵢ X[i, j] (+ out[j]): 4w columns at a time in registers,
    /// summing rows in order i = 0, 1, … exactly like Naive (same result bits).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func columnSum<T: TensorScalar>(
        rows: Int, cols: Int, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
        accumulate: Bool
    ) {
        let w = T.Vector.scalarCount
        var j = 0
        while j + 4 * w <= cols {
            var s0 = T.Vector(), s1 = T.Vector(), s2 = T.Vector(), s3 = T.Vector()
            var p = x + j
            for _ in 0..<rows {
                s0 += load(p, 0); s1 += load(p, w); s2 += load(p, 2 * w); s3 += load(p, 3 * w)
                p += cols
            }
            if accumulate {
                s0 = load(out, j) + s0; s1 = load(out, j + w) + s1
                s2 = load(out, j + 2 * w) + s2; s3 = load(out, j + 3 * w) + s3
            }
            store(s0, out, j); store(s1, out, j + w); store(s2, out, j + 2 * w); store(s3, out, j + 3 * w)
            j += 4 * w
        }
        while j + w <= cols {
            var s = T.Vector()
            for i in 0..<rows { s += load(x, i * cols + j) }
            store(accumulate ? load(out, j) + s : s, out, j)
            j += w
        }
        while j < cols {
            var s: T = 0
            for i in 0..<rows { s += x[i * cols + j] }
            out[j] = accumulate ? out[j] + s : s
            j += 1
        }
    }

    /// Y[i, :] = exp(X[i, :] − mᵢ) / Σⱼ exp(X[i, j] − mᵢ) with mᵢ the row max:
    /// every exponent is ≤ 0, so nothing overflows and the largest term is 1,
    /// so the sum is ≥ 1 and the division is safe. Y is scaled by 1/Σ (one
    /// extra rounding versus Naive's division).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func softmaxRows<T: TensorScalar>(
        rows: Int, cols: Int, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>
    ) {
        guard cols > 0 else { return }
        for r in 0..<rows {
            let xr = x + r * cols, yr = y + r * cols
            let m = maxOfRow(xr, cols)
            var total: T = 0
            if T.self == Float.self {
                total = unsafeBitCast(expShiftedRow(
                    PackedGEMM.rebind(xr, Float.self), PackedGEMM.rebindMutable(yr, Float.self),
                    cols, shift: unsafeBitCast(m, to: Float.self)), to: T.self)
            } else {
                for j in 0..<cols {
                    let e = T.exp(xr[j] - m)
                    yr[j] = e
                    total += e
                }
            }
            scale(count: cols, alpha: 1 / total, yr)
        }
    }

    /// y[j] = exp(x[j] − shift) for one row, returning Σⱼ y[j] (vector
    /// partial sums; the padded tail lanes are −∞, whose exp is 0).
    static func expShiftedRow(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int, shift: Float
    ) -> Float {
        let s = SIMD8<Float>(repeating: shift)
        var acc = SIMD8<Float>()
        var j = 0
        while j + 8 <= count {
            let e = VectorMath.exp(load(x, j) - s)
            store(e, y, j)
            acc += e
            j += 8
        }
        if j < count {
            let e = VectorMath.exp(loadPartial(x + j, count - j, fill: -.infinity) - s)
            for l in 0..<(count - j) { y[j + l] = e[l] }
            acc += e
        }
        return acc.sum()
    }

    // MARK: Helpers

    /// max of row[0..<cols] (cols ≥ 1), lanes compared with `>` like Naive.
    /// Dispatches to concrete Float/Double loops (see `relu` on masks).
    @inline(__always)
    static func maxOfRow<T: TensorScalar>(_ row: UnsafePointer<T>, _ cols: Int) -> T {
        if T.self == Float.self {
            return unsafeBitCast(maxOfRowF(PackedGEMM.rebind(row, Float.self), cols), to: T.self)
        } else if T.self == Double.self {
            return unsafeBitCast(maxOfRowD(PackedGEMM.rebind(row, Double.self), cols), to: T.self)
        }
        var best = row[0]
        for j in 1..<cols where row[j] > best { best = row[j] }
        return best
    }

    static func maxOfRowF(_ row: UnsafePointer<Float>, _ cols: Int) -> Float {
        var best = row[0]
        var j = 0
        if cols >= 8 {
            var v: SIMD8<Float> = load(row, 0)
            j = 8
            while j + 8 <= cols {
                let u: SIMD8<Float> = load(row, j)
                v = v.replacing(with: u, where: u .> v)  // one vmaxps
                j += 8
            }
            best = v.max()
        }
        while j < cols { if row[j] > best { best = row[j] }; j += 1 }
        return best
    }

    static func maxOfRowD(_ row: UnsafePointer<Double>, _ cols: Int) -> Double {
        var best = row[0]
        var j = 0
        if cols >= 4 {
            var v: SIMD4<Double> = load(row, 0)
            j = 4
            while j + 4 <= cols {
                let u: SIMD4<Double> = load(row, j)
                v = v.replacing(with: u, where: u .> v)
                j += 4
            }
            best = v.max()
        }
        while j < cols { if row[j] > best { best = row[j] }; j += 1 }
        return best
    }

    /// Loads one vector from p + i (no alignment requirement). Public so
    /// that chapter kernels (attention, LayerNorm) use the same helpers.
    @inlinable @inline(__always)
    public static func load<T: TensorScalar>(_ p: UnsafePointer<T>, _ i: Int) -> T.Vector {
        UnsafeRawPointer(p + i).loadUnaligned(as: T.Vector.self)
    }

    @inlinable @inline(__always)
    public static func load<T: TensorScalar>(_ p: UnsafeMutablePointer<T>, _ i: Int) -> T.Vector {
        UnsafeRawPointer(p + i).loadUnaligned(as: T.Vector.self)
    }

    /// Stores one vector at p + i (no alignment requirement).
    @inlinable @inline(__always)
    public static func store<T: TensorScalar>(_ v: T.Vector, _ p: UnsafeMutablePointer<T>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: T.Vector.self)
    }

    /// The first `count` (< 8) Floats at p in the low lanes, `fill` above.
    @inline(__always)
    static func loadPartial(_ p: UnsafePointer<Float>, _ count: Int, fill: Float) -> SIMD8<Float> {
        var v = SIMD8<Float>(repeating: fill)
        for l in 0..<count { v[l] = p[l] }
        return v
    }
}
