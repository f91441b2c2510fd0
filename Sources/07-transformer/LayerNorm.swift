// LayerNorm (Ba, Kiros & Hinton, 2016): each row is normalised over its own
// features, then scaled and shifted by learned γ, β.
//
//   forward   x [n, C] → y [n, C]     (or [B, T, C]: every row of C features)
//             μᵢ = (1/C) Σⱼ xᵢⱼ,   σᵢ² = (1/C) Σⱼ (xᵢⱼ − μᵢ)²,   rᵢ = 1/√(σᵢ² + ε)
//             x̂ᵢⱼ = (xᵢⱼ − μᵢ)·rᵢ,   yᵢⱼ = γⱼ x̂ᵢⱼ + βⱼ
//   backward  dy [n, C] → dx [n, C]
//             γ.grad += Σᵢ dyᵢⱼ x̂ᵢⱼ,   β.grad += Σᵢ dyᵢⱼ
//             gᵢⱼ = dyᵢⱼ γⱼ
//             dxᵢⱼ = rᵢ·(gᵢⱼ − mean_k gᵢₖ − x̂ᵢⱼ·mean_k gᵢₖ x̂ᵢₖ)
// The derivation (μ and σ both depend on every xᵢₖ, which gives the two mean
// terms) is in chapters/07-transformer.md, "LayerNorm".
//
// Twins: `LayerNormKernels.forwardNaive/backwardNaive` loop over the formula;
// `forwardSIMD/backwardSIMD` use SIMD vectors and split rows over the cores.
// The cache keeps x̂ [n, C] and r [n]. ε = 1e-5, PyTorch's default.
// Without a bias (`hasBias` false, PyTorch's `bias=False`) y = γ ⊙ x̂: β stays
// zero and is not a parameter.

import BackpropCore
import Dispatch
import Backpropagation

/// What the LayerNorm backward pass needs.
public struct LayerNormCache<Scalar: TensorScalar> {
    /// The input's shape ([n, C] or [B, T, C]).
    public var shape: [Int]
    /// x̂ [n, C]
    public var normalized: [Scalar]
    /// rᵢ = 1/√(σᵢ² + ε) [n]
    public var inverseStd: [Scalar]
}

/// Layer normalisation over the last dimension with learned γ (ones) and,
/// if `hasBias`, β (zeros).
public final class LayerNorm<Scalar: TensorScalar>: Layer {
    public let gamma: Parameter<Scalar>
    /// β [C]; all zeros and not a parameter when `hasBias` is false.
    public let beta: Parameter<Scalar>
    public let hasBias: Bool
    public let epsilon: Double
    public var backend: Backend
    public var width: Int { gamma.value.count }
    public var parameters: [Parameter<Scalar>] { hasBias ? [gamma, beta] : [gamma] }
    public var summary: String { "LayerNorm(\(width))" }

    public init(width: Int, bias: Bool = true, epsilon: Double = 1e-5, backend: Backend = .simd) throws {
        gamma = Parameter("weight", try Tensor(shape: [width], repeating: 1))
        beta = Parameter("bias", try Tensor.zeros([width]))
        hasBias = bias
        self.epsilon = epsilon
        self.backend = backend
    }

    /// y = γ ⊙ x̂ + β for x [n, C] or [B, T, C] (the same in both modes).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: LayerNormCache<Scalar>) {
        let (n, c) = try x.flattenedRows("LayerNorm").matrixShape("LayerNorm")
        guard c == width else {
            throw TensorError.shapeMismatch(operation: "LayerNorm", lhs: x.shape, rhs: [n, width], reason: "x needs \(width) features (its last dimension)")
        }
        // Separate buffers (`xhat = y` would share one and copy it on the first write).
        // Both twins write every element of y, x̂ and r: no zero fill first.
        var y = Scalar.uninitializedArray(count: n * c), xhat = Scalar.uninitializedArray(count: n * c)
        var r = Scalar.uninitializedArray(count: n)
        let eps = Scalar(epsilon), simd = backend == .simd
        x.scalars.withUnsafeBufferPointer { px in
            gamma.value.scalars.withUnsafeBufferPointer { g in
                beta.value.scalars.withUnsafeBufferPointer { b in
                    y.withUnsafeMutableBufferPointer { py in
                        xhat.withUnsafeMutableBufferPointer { ph in
                            r.withUnsafeMutableBufferPointer { pr in
                                let args = (px.baseAddress!, g.baseAddress!, b.baseAddress!, py.baseAddress!, ph.baseAddress!, pr.baseAddress!)
                                if simd {
                                    LayerNormKernels.forwardSIMD(rows: n, cols: c, epsilon: eps, args.0, args.1, args.2, args.3, args.4, args.5)
                                } else {
                                    LayerNormKernels.forwardNaive(rows: n, cols: c, epsilon: eps, args.0, args.1, args.2, args.3, args.4, args.5)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (try Tensor(shape: x.shape, scalars: y), LayerNormCache(shape: x.shape, normalized: xhat, inverseStd: r))
    }

    /// dx from dy (the output's shape); adds into γ.grad and β.grad.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: LayerNormCache<Scalar>) throws -> Tensor<Scalar> {
        let c = width, n = cache.inverseStd.count
        guard dy.shape == cache.shape else {
            throw TensorError.shapeMismatch(operation: "LayerNorm.backward", lhs: dy.shape, rhs: cache.shape, reason: "dy must have the output's shape")
        }
        var dx = Scalar.uninitializedArray(count: n * c)   // both twins write every element
        let simd = backend == .simd
        var unusedBetaGrad = [Scalar](repeating: 0, count: hasBias ? 0 : c)   // β.grad's stand-in without a bias
        dy.scalars.withUnsafeBufferPointer { pdy in
            cache.normalized.withUnsafeBufferPointer { ph in
                cache.inverseStd.withUnsafeBufferPointer { pr in
                    gamma.value.scalars.withUnsafeBufferPointer { g in
                        gamma.grad.scalars.withUnsafeMutableBufferPointer { dg in
                            withBetaGradient(&unusedBetaGrad) { db in
                                dx.withUnsafeMutableBufferPointer { pdx in
                                    let a = (pdy.baseAddress!, ph.baseAddress!, pr.baseAddress!, g.baseAddress!, dg.baseAddress!, db.baseAddress!, pdx.baseAddress!)
                                    if simd {
                                        LayerNormKernels.backwardSIMD(rows: n, cols: c, a.0, a.1, a.2, a.3, a.4, a.5, a.6)
                                    } else {
                                        LayerNormKernels.backwardNaive(rows: n, cols: c, a.0, a.1, a.2, a.3, a.4, a.5, a.6)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return try Tensor(shape: cache.shape, scalars: dx)
    }

    /// β.grad's storage, or `scratch` when there is no β to learn.
    private func withBetaGradient<R>(_ scratch: inout [Scalar], _ body: (UnsafeMutableBufferPointer<Scalar>) -> R) -> R {
        hasBias ? beta.grad.scalars.withUnsafeMutableBufferPointer { body($0) } : scratch.withUnsafeMutableBufferPointer { body($0) }
    }
}

/// The LayerNorm kernel twins (raw pointers, shapes trusted).
public enum LayerNormKernels {
    // MARK: Naive

    /// The forward formula, one element at a time.
    public static func forwardNaive<T: TensorScalar>(
        rows n: Int, cols c: Int, epsilon: T, _ x: UnsafePointer<T>, _ gamma: UnsafePointer<T>, _ beta: UnsafePointer<T>,
        _ y: UnsafeMutablePointer<T>, _ xhat: UnsafeMutablePointer<T>, _ rstd: UnsafeMutablePointer<T>
    ) {
        for i in 0..<n {
            var mean: T = 0
            for j in 0..<c { mean += x[i * c + j] }
            mean /= T(c)
            var variance: T = 0
            for j in 0..<c { variance += (x[i * c + j] - mean) * (x[i * c + j] - mean) }
            variance /= T(c)
            let r = 1 / (variance + epsilon).squareRoot()
            rstd[i] = r
            for j in 0..<c {
                let h = (x[i * c + j] - mean) * r
                xhat[i * c + j] = h
                y[i * c + j] = gamma[j] * h + beta[j]
            }
        }
    }

    /// The backward formula, one element at a time.
    public static func backwardNaive<T: TensorScalar>(
        rows n: Int, cols c: Int, _ dy: UnsafePointer<T>, _ xhat: UnsafePointer<T>, _ rstd: UnsafePointer<T>,
        _ gamma: UnsafePointer<T>, _ dgamma: UnsafeMutablePointer<T>, _ dbeta: UnsafeMutablePointer<T>, _ dx: UnsafeMutablePointer<T>
    ) {
        for i in 0..<n {
            var meanG: T = 0, meanGH: T = 0
            for j in 0..<c {
                let g = dy[i * c + j] * gamma[j]
                meanG += g
                meanGH += g * xhat[i * c + j]
                dgamma[j] += dy[i * c + j] * xhat[i * c + j]
                dbeta[j] += dy[i * c + j]
            }
            meanG /= T(c)
            meanGH /= T(c)
            for j in 0..<c {
                let g = dy[i * c + j] * gamma[j]
                dx[i * c + j] = rstd[i] * (g - meanG - xhat[i * c + j] * meanGH)
            }
        }
    }

    // MARK: SIMD

    /// Rows split into one contiguous chunk per core when there are many.
    static func chunks(_ rows: Int) -> Int { rows >= 64 ? min(2, SIMDParallel.cores) : 1 }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forwardSIMD<T: TensorScalar>(
        rows n: Int, cols c: Int, epsilon: T, _ x: UnsafePointer<T>, _ gamma: UnsafePointer<T>, _ beta: UnsafePointer<T>,
        _ y: UnsafeMutablePointer<T>, _ xhat: UnsafeMutablePointer<T>, _ rstd: UnsafeMutablePointer<T>
    ) {
        nonisolated(unsafe) let (x, gamma, beta, y, xhat, rstd) = (x, gamma, beta, y, xhat, rstd)
        SIMDParallel.forEachChunk(rows: n, chunks: chunks(n)) { lo, hi in
            let w = T.Vector.scalarCount, full = c - c % w
            for i in lo..<hi {
                let xr = x + i * c
                var acc = T.Vector(), j = 0
                while j < full { acc += SIMDKernels.load(xr, j); j += w }
                var mean = acc.sum()
                while j < c { mean += xr[j]; j += 1 }
                mean /= T(c)
                let mv = T.Vector(repeating: mean)
                acc = T.Vector(); j = 0
                while j < full { let d = SIMDKernels.load(xr, j) - mv; acc.addProduct(d, d); j += w }
                var variance = acc.sum()
                while j < c { variance += (xr[j] - mean) * (xr[j] - mean); j += 1 }
                variance /= T(c)
                let r = 1 / (variance + epsilon).squareRoot()
                rstd[i] = r
                let rv = T.Vector(repeating: r)
                let hr = xhat + i * c, yr = y + i * c
                j = 0
                while j < full {
                    let h = (SIMDKernels.load(xr, j) - mv) * rv
                    SIMDKernels.store(h, hr, j)
                    SIMDKernels.store(SIMDKernels.load(beta, j).addingProduct(SIMDKernels.load(gamma, j), h), yr, j)
                    j += w
                }
                while j < c { let h = (xr[j] - mean) * r; hr[j] = h; yr[j] = gamma[j] * h + beta[j]; j += 1 }
            }
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backwardSIMD<T: TensorScalar>(
        rows n: Int, cols c: Int, _ dy: UnsafePointer<T>, _ xhat: UnsafePointer<T>, _ rstd: UnsafePointer<T>,
        _ gamma: UnsafePointer<T>, _ dgamma: UnsafeMutablePointer<T>, _ dbeta: UnsafeMutablePointer<T>, _ dx: UnsafeMutablePointer<T>
    ) {
        let parts = chunks(n)
        // Per-chunk partial sums of dγ, dβ, added in chunk order at the end.
        let partial = UnsafeMutablePointer<T>.allocate(capacity: 2 * c * parts)
        partial.initialize(repeating: 0, count: 2 * c * parts)
        defer { partial.deallocate() }
        nonisolated(unsafe) let (dy, xhat, rstd, gamma, dx, part) = (dy, xhat, rstd, gamma, dx, partial)
        SIMDParallel.forEachChunk(rows: n, chunks: parts) { lo, hi in
            let w = T.Vector.scalarCount, full = c - c % w
            let chunk = parts == 1 ? 0 : (lo == 0 ? 0 : 1)
            let dg = part + chunk * 2 * c, db = dg + c
            let inverseC = 1 / T(c)
            for i in lo..<hi {
                let dyr = dy + i * c, hr = xhat + i * c, dxr = dx + i * c
                var sg = T.Vector(), sgh = T.Vector(), j = 0
                while j < full {
                    let d = SIMDKernels.load(dyr, j), h = SIMDKernels.load(hr, j), g = d * SIMDKernels.load(gamma, j)
                    sg += g
                    sgh.addProduct(g, h)
                    SIMDKernels.store(SIMDKernels.load(dg, j).addingProduct(d, h), dg, j)
                    SIMDKernels.store(SIMDKernels.load(db, j) + d, db, j)
                    j += w
                }
                var meanG = sg.sum(), meanGH = sgh.sum()
                while j < c {
                    let g = dyr[j] * gamma[j]
                    meanG += g; meanGH += g * hr[j]
                    dg[j] += dyr[j] * hr[j]; db[j] += dyr[j]
                    j += 1
                }
                meanG *= inverseC
                meanGH *= inverseC
                let r = rstd[i]
                let rv = T.Vector(repeating: r), mg = T.Vector(repeating: meanG), mgh = T.Vector(repeating: meanGH)
                j = 0
                while j < full {
                    let g = SIMDKernels.load(dyr, j) * SIMDKernels.load(gamma, j)
                    SIMDKernels.store(rv * (g - mg - SIMDKernels.load(hr, j) * mgh), dxr, j)
                    j += w
                }
                while j < c { dxr[j] = r * (dyr[j] * gamma[j] - meanG - hr[j] * meanGH); j += 1 }
            }
        }
        for p in 0..<parts {
            for j in 0..<c {
                dgamma[j] += partial[p * 2 * c + j]
                dbeta[j] += partial[p * 2 * c + c + j]
            }
        }
    }
}


/// One contiguous chunk of rows per core (`ParallelFor`, on the spin team).
enum SIMDParallel {
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// body(lo, hi) over `chunks` equal ranges of 0..<rows (inline when chunks ≤ 1).
    static func forEachChunk(rows: Int, chunks: Int, _ body: (Int, Int) -> Void) {
        ParallelFor.forEachChunk(rows: rows, chunks: chunks) { _, lo, hi in body(lo, hi) }
    }
}

import Foundation
