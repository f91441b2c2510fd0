// mapWithDerivative: y = f(x) and f′(x) in one pass, for the functions whose
// derivative shares most of f's work.
//
// GELU, x·Φ(x), costs one normal CDF and one Gaussian per element (an exp,
// a degree-9 tail polynomial and a division; about 1 ns per element on one
// core), and its derivative Φ(x) + x·φ(x) needs the same two. Computing the
// derivative in the forward pass, while Φ and φ are in registers, costs one
// more FMA and one store per element, and the backward pass becomes a
// multiplication dy ⊙ f′ instead of a second evaluation. The layer keeps f′
// in its cache where it kept x, so the memory held is the same.
// (`derivativeInForward` names the functions for which this pays: gelu and
// geluTanh. For the others the derivative is cheap from x or y.)
//
// Twins: Naive applies `Naive.apply` and `Naive.derivative` per element, so
// its results are those of `map` and `mapBackward` with dy = 1 exactly. The
// Float SIMD gelu shares `VectorMath.normalCDFAndGauss` between f and f′,
// with the error bounds of `VectorMath.gelu` and `geluDerivative`; other
// cases run the SIMD `map` and `mapBackward` (dy = 1), the same numbers.

extension UnaryFunction {
    /// Whether a layer should take f′(x) from the forward pass (see the file header).
    public var derivativeInForward: Bool {
        switch self {
        case .gelu, .geluTanh: return true
        default: return false
        }
    }
}

extension Naive {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func mapWithDerivative<T: TensorScalar>(
        _ f: UnaryFunction, count: Int, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ derivative: UnsafeMutablePointer<T>
    ) {
        for i in 0..<count {
            y[i] = apply(f, x[i])
            derivative[i] = Naive.derivative(f, x: x[i], y: y[i])
        }
    }
}

extension SIMDKernels {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func mapWithDerivative<T: TensorScalar>(
        _ f: UnaryFunction, count: Int, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ derivative: UnsafeMutablePointer<T>
    ) {
        if T.self == Float.self && f == .gelu {
            let (x, y, d) = (PackedGEMM.rebind(x, Float.self), PackedGEMM.rebindMutable(y, Float.self),
                             PackedGEMM.rebindMutable(derivative, Float.self))
            nonisolated(unsafe) let pointers = (x, y, d)
            splitOverCores(count, threshold: parallelMapThreshold) { start, n in
                geluWithDerivative(n, pointers.0 + start, pointers.1 + start, pointers.2 + start)
            }
            return
        }
        map(f, count: count, x, y)
        let ones = T.array(repeating: 1, count: count)
        ones.withUnsafeBufferPointer { mapBackward(f, count: count, x: x, y: UnsafePointer(y), dy: $0.baseAddress!, dx: derivative) }
    }

    /// (x·Φ(x), Φ(x) + x·φ(x)): `VectorMath.gelu` and `geluDerivative` with
    /// their shared part computed once (the same operations, so the same bits).
    @_transparent
    static func geluAndDerivative(_ v: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        let (cdf, gauss) = VectorMath.normalCDFAndGauss(v)
        return (v * cdf, cdf.addingProduct(v * 0.398_942_280_401_432_7, gauss))
    }

    /// y = x·Φ(x), d = Φ(x) + x·φ(x), sharing Φ and e^(−x²/2); two vectors
    /// per iteration so their long dependency chains overlap.
    @inline(never)
    static func geluWithDerivative(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ d: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 16 <= n {
            let (ya, da) = geluAndDerivative(load(x, i)), (yb, db) = geluAndDerivative(load(x, i + 8))
            store(ya, y, i); store(yb, y, i + 8)
            store(da, d, i); store(db, d, i + 8)
            i += 16
        }
        while i < n {
            let full = i + 8 <= n
            let (yv, dv) = geluAndDerivative(full ? load(x, i) : loadPartial(x + i, n - i, fill: 0))
            if full {
                store(yv, y, i); store(dv, d, i)
            } else {
                for l in 0..<(n - i) { y[i + l] = yv[l]; d[i + l] = dv[l] }
            }
            i += 8
        }
    }
}
