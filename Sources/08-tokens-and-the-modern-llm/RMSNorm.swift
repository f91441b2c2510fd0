// RMSNorm (Zhang & Sennrich, 2019), the normalisation of Llama: each row is
// divided by its root mean square and scaled by a learned gain g. No mean is
// subtracted and there is no bias β: LayerNorm without the centring.
//
//   forward   x [n, C] → y [n, C]     (or [B, T, C]: every row of C features)
//             rᵢ = 1/√((1/C) Σⱼ xᵢⱼ² + ε)          (ε inside the root)
//             x̂ᵢⱼ = xᵢⱼ·rᵢ,   yᵢⱼ = gⱼ x̂ᵢⱼ
//   backward  dy [n, C] → dx [n, C]
//             g.grad += Σᵢ dyᵢⱼ x̂ᵢⱼ
//             aᵢⱼ = dyᵢⱼ gⱼ                          (the gradient w.r.t. x̂)
//             dxᵢⱼ = rᵢ·(aᵢⱼ − x̂ᵢⱼ·(1/C) Σₖ aᵢₖ x̂ᵢₖ)
//
// Derivation, one row (drop i). y = g ⊙ x·r with r = (m + ε)^(−1/2),
// m = (1/C) Σₖ xₖ². Then ∂r/∂xⱼ = −½(m + ε)^(−3/2)·2xⱼ/C = −r³xⱼ/C, and with
// aₖ = ∂L/∂x̂ₖ = dyₖ gₖ:
//     ∂L/∂xⱼ = Σₖ aₖ ∂(xₖ r)/∂xⱼ = aⱼ r + Σₖ aₖ xₖ·(−r³xⱼ/C)
//            = r·(aⱼ − (r xⱼ)·(1/C) Σₖ aₖ (r xₖ)) = r·(aⱼ − x̂ⱼ·mean(a ⊙ x̂)).
// It is LayerNorm's formula without the "− mean a" term (which came from
// the mean's dependence on every x). A check: Σⱼ dxⱼ xⱼ = r·Σ a x·(1 − r²m)
// = r·Σ a x·ε/(m + ε) ≈ 0. Scaling a row leaves y unchanged (up to ε), so
// the gradient has (almost) no component along the row itself.
//
// Floating point. The sum of squares adds C non-negative terms, so it has no
// cancellation: its relative error is at most (C − 1)·u (u = 2⁻²⁴ in Float)
// in any order, and r inherits half of that plus two roundings. (LayerNorm's
// variance Σ(x − μ)² is computed after subtracting μ for the same reason;
// here there is nothing to subtract.) ε inside the root keeps r finite for
// an all-zero row (r = 1/√ε, y = 0) and bounds r by 1/√ε ≈ 316 at
// ε = 1e-5, so a row of tiny values is not blown up to unit scale. The
// backward's inner sum Σ aₖ x̂ₖ can cancel (a has both signs); its error is
// bounded by C·u·Σ|aₖ x̂ₖ|, the same bound the twins are tested against.
// Overflow of xᵢⱼ² needs |x| > 1.8e19 in Float, far from any activation.
//
// Twins: `RMSNormKernels.forwardNaive/backwardNaive` loop over the formula;
// `forwardSIMD/backwardSIMD` keep vector accumulators over the feature
// dimension (one vector sum at the end of each row) and split the rows over
// the cores when there are enough of them, with per-chunk partial sums of
// g.grad added in chunk order (the result does not depend on timing).
// ε = 1e-5 by default (Llama 2 and 3's `rms_norm_eps`; PyTorch's
// `nn.RMSNorm(eps=None)` would use the dtype's machine epsilon instead). The
// gain starts at ones. The cache keeps x̂ [n, C] and r [n].

import BackpropCore
import Backpropagation

/// What the RMSNorm backward pass needs.
public struct RMSNormCache<Scalar: TensorScalar> {
    /// The input's shape ([n, C] or [B, T, C]).
    public var shape: [Int]
    /// x̂ = x·r [n, C]
    public var normalized: [Scalar]
    /// rᵢ = 1/√(mean xᵢ² + ε) [n]
    public var inverseRMS: [Scalar]
}

/// Root-mean-square normalisation over the last dimension with a learned
/// gain (ones at the start) and no bias, as `torch.nn.RMSNorm(C, eps)`.
public final class RMSNorm<Scalar: TensorScalar>: Layer {
    /// g [C]
    public let gain: Parameter<Scalar>
    public let epsilon: Double
    public var backend: Backend
    public var width: Int { gain.value.count }
    public var parameters: [Parameter<Scalar>] { [gain] }
    public var summary: String { "RMSNorm(\(width))" }

    /// - Throws: `TensorError.invalidValue` unless width > 0 and ε ≥ 0 is finite.
    public init(width: Int, epsilon: Double = 1e-5, backend: Backend = .simd) throws {
        guard width > 0, epsilon >= 0, epsilon.isFinite else {
            throw TensorError.invalidValue(operation: "RMSNorm", reason: "width \(width) must be positive and ε \(epsilon) finite and ≥ 0")
        }
        gain = Parameter("weight", try Tensor(shape: [width], repeating: 1))
        self.epsilon = epsilon
        self.backend = backend
    }

    /// y = g ⊙ x·r for x [n, C] or [B, T, C] (the same in both modes).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: RMSNormCache<Scalar>) {
        let (n, c) = try x.flattenedRows(summary).matrixShape(summary)   // [n, C]
        guard c == width else {
            throw TensorError.shapeMismatch(operation: summary, lhs: x.shape, rhs: [n, width],
                                            reason: "x \(x.shape) needs \(width) features (its last dimension)")
        }
        let eps = Scalar(epsilon), simd = backend == .simd
        var y = Scalar.buffer(count: n * c, uninitialized: simd), xhat = Scalar.buffer(count: n * c, uninitialized: simd)
        var r = Scalar.buffer(count: n, uninitialized: simd)
        x.scalars.withUnsafeBufferPointer { px in
            gain.value.scalars.withUnsafeBufferPointer { g in
                y.withUnsafeMutableBufferPointer { py in
                    xhat.withUnsafeMutableBufferPointer { ph in
                        r.withUnsafeMutableBufferPointer { pr in
                            let a = (px.baseAddress!, g.baseAddress!, py.baseAddress!, ph.baseAddress!, pr.baseAddress!)
                            if simd {
                                RMSNormKernels.forwardSIMD(rows: n, cols: c, epsilon: eps, a.0, a.1, a.2, a.3, a.4)
                            } else {
                                RMSNormKernels.forwardNaive(rows: n, cols: c, epsilon: eps, a.0, a.1, a.2, a.3, a.4)
                            }
                        }
                    }
                }
            }
        }
        return (try Tensor(shape: x.shape, scalars: y), RMSNormCache(shape: x.shape, normalized: xhat, inverseRMS: r))
    }

    /// dx from dy (the output's shape); adds into g.grad.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: RMSNormCache<Scalar>) throws -> Tensor<Scalar> {
        let c = width, n = cache.inverseRMS.count
        guard dy.shape == cache.shape else {
            throw TensorError.shapeMismatch(operation: "\(summary).backward", lhs: dy.shape, rhs: cache.shape,
                                            reason: "dy \(dy.shape) must have the output's shape \(cache.shape)")
        }
        let simd = backend == .simd
        var dx = Scalar.buffer(count: n * c, uninitialized: simd)
        dy.scalars.withUnsafeBufferPointer { pdy in
            cache.normalized.withUnsafeBufferPointer { ph in
                cache.inverseRMS.withUnsafeBufferPointer { pr in
                    gain.value.scalars.withUnsafeBufferPointer { g in
                        gain.grad.scalars.withUnsafeMutableBufferPointer { dg in
                            dx.withUnsafeMutableBufferPointer { pdx in
                                let a = (pdy.baseAddress!, ph.baseAddress!, pr.baseAddress!, g.baseAddress!, dg.baseAddress!, pdx.baseAddress!)
                                if simd {
                                    RMSNormKernels.backwardSIMD(rows: n, cols: c, a.0, a.1, a.2, a.3, a.4, a.5)
                                } else {
                                    RMSNormKernels.backwardNaive(rows: n, cols: c, a.0, a.1, a.2, a.3, a.4, a.5)
                                }
                            }
                        }
                    }
                }
            }
        }
        return try Tensor(shape: cache.shape, scalars: dx)
    }
}

/// The RMSNorm kernel twins (raw pointers, shapes trusted).
public enum RMSNormKernels {
    // MARK: Naive

    /// The forward formula, one element at a time.
    public static func forwardNaive<T: TensorScalar>(
        rows n: Int, cols c: Int, epsilon: T, _ x: UnsafePointer<T>, _ gain: UnsafePointer<T>,
        _ y: UnsafeMutablePointer<T>, _ xhat: UnsafeMutablePointer<T>, _ rms: UnsafeMutablePointer<T>
    ) {
        for i in 0..<n {
            var squares: T = 0
            for j in 0..<c { squares += x[i * c + j] * x[i * c + j] }
            let r = 1 / (squares / T(c) + epsilon).squareRoot()
            rms[i] = r
            for j in 0..<c {
                let h = x[i * c + j] * r
                xhat[i * c + j] = h
                y[i * c + j] = gain[j] * h
            }
        }
    }

    /// The backward formula, one element at a time.
    public static func backwardNaive<T: TensorScalar>(
        rows n: Int, cols c: Int, _ dy: UnsafePointer<T>, _ xhat: UnsafePointer<T>, _ rms: UnsafePointer<T>,
        _ gain: UnsafePointer<T>, _ dgain: UnsafeMutablePointer<T>, _ dx: UnsafeMutablePointer<T>
    ) {
        for i in 0..<n {
            var meanAH: T = 0
            for j in 0..<c {
                meanAH += dy[i * c + j] * gain[j] * xhat[i * c + j]
                dgain[j] += dy[i * c + j] * xhat[i * c + j]
            }
            meanAH /= T(c)
            for j in 0..<c {
                dx[i * c + j] = rms[i] * (dy[i * c + j] * gain[j] - xhat[i * c + j] * meanAH)
            }
        }
    }

    // MARK: SIMD

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forwardSIMD<T: TensorScalar>(
        rows n: Int, cols c: Int, epsilon: T, _ x: UnsafePointer<T>, _ gain: UnsafePointer<T>,
        _ y: UnsafeMutablePointer<T>, _ xhat: UnsafeMutablePointer<T>, _ rms: UnsafeMutablePointer<T>
    ) {
        nonisolated(unsafe) let (x, gain, y, xhat, rms) = (x, gain, y, xhat, rms)
        RowParallel.forEachChunk(rows: n, chunks: RowParallel.chunks(rows: n, rowWidth: c)) { _, lo, hi in
            let w = T.Vector.scalarCount, full = c - c % w, pairs = c - c % (2 * w)
            let inverseC = 1 / T(c)
            for i in lo..<hi {
                let xr = x + i * c
                // Two accumulators, so consecutive FMAs do not wait on each other.
                var acc0 = T.Vector(), acc1 = T.Vector(), j = 0
                while j < pairs {
                    let a = SIMDKernels.load(xr, j), b = SIMDKernels.load(xr, j + w)
                    acc0.addProduct(a, a); acc1.addProduct(b, b)
                    j += 2 * w
                }
                while j < full { let a = SIMDKernels.load(xr, j); acc0.addProduct(a, a); j += w }
                var squares = (acc0 + acc1).sum()
                while j < c { squares += xr[j] * xr[j]; j += 1 }
                let r = 1 / (squares * inverseC + epsilon).squareRoot()
                rms[i] = r
                let rv = T.Vector(repeating: r), hr = xhat + i * c, yr = y + i * c
                j = 0
                while j < full {
                    let h = SIMDKernels.load(xr, j) * rv
                    SIMDKernels.store(h, hr, j)
                    SIMDKernels.store(SIMDKernels.load(gain, j) * h, yr, j)
                    j += w
                }
                while j < c { let h = xr[j] * r; hr[j] = h; yr[j] = gain[j] * h; j += 1 }
            }
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backwardSIMD<T: TensorScalar>(
        rows n: Int, cols c: Int, _ dy: UnsafePointer<T>, _ xhat: UnsafePointer<T>, _ rms: UnsafePointer<T>,
        _ gain: UnsafePointer<T>, _ dgain: UnsafeMutablePointer<T>, _ dx: UnsafeMutablePointer<T>
    ) {
        let parts = RowParallel.chunks(rows: n, rowWidth: c)
        // Per-chunk partial sums of dg, added in chunk order at the end.
        let partial = UnsafeMutablePointer<T>.allocate(capacity: c * parts)
        partial.initialize(repeating: 0, count: c * parts)
        defer { partial.deallocate() }
        nonisolated(unsafe) let (dy, xhat, rms, gain, dx, part) = (dy, xhat, rms, gain, dx, partial)
        RowParallel.forEachChunk(rows: n, chunks: parts) { chunk, lo, hi in
            let w = T.Vector.scalarCount, full = c - c % w
            let dg = part + chunk * c
            let inverseC = 1 / T(c)
            for i in lo..<hi {
                let dyr = dy + i * c, hr = xhat + i * c, dxr = dx + i * c
                var sah = T.Vector(), j = 0
                while j < full {
                    let d = SIMDKernels.load(dyr, j), h = SIMDKernels.load(hr, j)
                    sah.addProduct(d * SIMDKernels.load(gain, j), h)
                    SIMDKernels.store(SIMDKernels.load(dg, j).addingProduct(d, h), dg, j)
                    j += w
                }
                var meanAH = sah.sum()
                while j < c { meanAH += dyr[j] * gain[j] * hr[j]; dg[j] += dyr[j] * hr[j]; j += 1 }
                meanAH *= inverseC
                let r = rms[i]
                let rv = T.Vector(repeating: r), m = T.Vector(repeating: meanAH)
                j = 0
                while j < full {
                    let a = SIMDKernels.load(dyr, j) * SIMDKernels.load(gain, j)
                    SIMDKernels.store(rv * (a - SIMDKernels.load(hr, j) * m), dxr, j)
                    j += w
                }
                while j < c { dxr[j] = r * (dyr[j] * gain[j] - hr[j] * meanAH); j += 1 }
            }
        }
        for p in 0..<parts {
            for j in 0..<c { dgain[j] += partial[p * c + j] }
        }
    }
}
