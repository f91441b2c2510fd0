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
// - The elementwise maps y = f(x) are in SIMDKernels+Map.swift, the row and
//   column kernels (sums, maxima, softmax) in SIMDKernels+Rows.swift, the
//   backward and optimizer kernels in SIMDKernels+Backward.swift.
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

    /// From this many elements on, the memory-bound elementwise kernels (add,
    /// multiply) split over both cores, as halves, when the spin team's
    /// helper is already awake (inside a training step), never waking it.
    /// The halves are the row halves every other kernel of a step uses, so
    /// each core reads what it wrote: done serially, one core read the other
    /// half from the other core's cache and left its result there to be
    /// fetched back (the baby GPT's residual additions, 768×128, and GELU's
    /// backward product, 768×512). Each element is computed as before.
    static let elementwiseTeamThreshold = 1 << 16

    /// `splitOverCores`' threshold for add and multiply now: the one above
    /// while the helper is awake, otherwise none is split.
    static var elementwiseSplitThreshold: Int { SpinTeam.awake != nil ? elementwiseTeamThreshold : .max }

    /// z ← x + y (exact same roundings as Naive).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func add<T: TensorScalar>(
        count: Int, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ z: UnsafeMutablePointer<T>
    ) {
        nonisolated(unsafe) let (x, y, z) = (x, y, z)
        splitOverCores(count, threshold: elementwiseSplitThreshold) { start, n in addSerial(count: n, x + start, y + start, z + start) }
    }

    /// `add` on the calling thread.
    @inline(__always)
    static func addSerial<T: TensorScalar>(
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
        nonisolated(unsafe) let (x, y, z) = (x, y, z)
        splitOverCores(count, threshold: elementwiseSplitThreshold) { start, n in multiplySerial(count: n, x + start, y + start, z + start) }
    }

    /// `multiply` on the calling thread.
    @inline(__always)
    static func multiplySerial<T: TensorScalar>(
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

    // MARK: Vector loads and stores

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
