// The SwiGLU MLP (Shazeer, 2020, "GLU Variants Improve Transformer"), the
// feed-forward half of a Llama block: two projections up, one of them gated
// by SiLU, multiplied elementwise, and one projection down. No biases.
//
//   forward   x [B, T, C] → y [B, T, C]
//             a = x W₁ᵀ            [B, T, H]   (gate, HF's gate_proj)
//             b = x W₃ᵀ            [B, T, H]   (up,   HF's up_proj)
//             h = silu(a) ⊙ b      [B, T, H]   silu(a) = a·σ(a)
//             y = h W₂ᵀ            [B, T, C]   (down, HF's down_proj)
//   backward  dy [B, T, C] → dx [B, T, C]
//             dh = dy W₂,             W₂.grad += dyᵀ h
//             db = dh ⊙ silu(a)       da = dh ⊙ b ⊙ silu′(a)
//             silu′(a) = σ(a) + a·σ(a)(1 − σ(a)) = σ(a)·(1 + a·(1 − σ(a)))
//             dx = da W₁ + db W₃,     W₁.grad += daᵀ x,  W₃.grad += dbᵀ x
//
// With three matrices instead of GPT's two, the hidden width H is cut to
// about 8/3·C (Llama: ⌊2·4C/3⌋ rounded up to a multiple) so the parameter
// count stays 3·C·H ≈ 8C², the same as a 4C MLP (`llamaHidden`).
//
// The gate's twins (`SwiGLUKernels`): the naive one applies the formula per
// element with the scalar exp; the SIMD one computes σ with
// `VectorMath.sigmoid` (relative error ≤ 2.5e-7) for Float, eight lanes at a
// time, and libm's exp per element for Double (gradient checks), and splits
// long arrays (from 2¹⁵ elements) over the cores. σ(a) is kept from the forward pass, so
// the backward pass needs no exp. For a → −∞, e⁻ᵃ overflows to +∞ and σ = 0
// exactly (silu = −0, silu′ = 0); for a → +∞, σ = 1 and silu′ = 1: no NaN.

import BackpropCore
import Backpropagation

/// W₂(silu(W₁x) ⊙ W₃x), bias-free, with hidden width H.
public final class SwiGLU<Scalar: TensorScalar>: Layer {
    /// W₁ [H, C]
    public let gate: Linear<Scalar>
    /// W₃ [H, C]
    public let up: Linear<Scalar>
    /// W₂ [C, H]
    public let down: Linear<Scalar>
    public var backend: Backend {
        didSet { gate.backend = backend; up.backend = backend; down.backend = backend }
    }
    /// Input gradients only, no weight gradients (LoRA's frozen base; FrozenWeights.swift).
    public var frozen = false
    public var width: Int { gate.inputs }
    public var hidden: Int { gate.outputs }
    public var parameters: [Parameter<Scalar>] { [gate.weight, up.weight, down.weight] }
    /// (name, parameter) in Hugging Face's names.
    public var namedParameters: [(String, Parameter<Scalar>)] {
        [("gate_proj.weight", gate.weight), ("up_proj.weight", up.weight), ("down_proj.weight", down.weight)]
    }
    public var summary: String { "SwiGLU(\(width) → \(hidden) → \(width))" }

    public struct Cache {
        var x: Tensor<Scalar>
        /// a = x W₁ᵀ, b = x W₃ᵀ, σ(a) [n, H]
        var a: [Scalar], b: [Scalar], sigmoid: [Scalar]
        /// h = silu(a) ⊙ b [B, T, H]: W₂'s input
        var h: Tensor<Scalar>
    }

    /// Llama's hidden width: ⌊8C/3⌋ rounded up to a multiple of `multipleOf`
    /// (C = 128 → 344 with 8, 352 with 16, 384 with 256).
    public static func llamaHidden(width: Int, multipleOf: Int = 8) -> Int {
        let h = 2 * 4 * width / 3, m = max(multipleOf, 1)
        return (h + m - 1) / m * m
    }

    /// W₁ and W₃ N(0, std²), W₂ N(0, outputStd²).
    public init(width: Int, hidden: Int, std: Double = 0.02, outputStd: Double = 0.02,
                rng: inout SeededRandom, backend: Backend = .simd) throws {
        gate = try LlamaInitialization.linear(inputs: width, outputs: hidden, std: std, rng: &rng, backend: backend)
        up = try LlamaInitialization.linear(inputs: width, outputs: hidden, std: std, rng: &rng, backend: backend)
        down = try LlamaInitialization.linear(inputs: hidden, outputs: width, std: outputStd, rng: &rng, backend: backend)
        self.backend = backend
    }

    /// From given weights: W₁ [H, C], W₃ [H, C], W₂ [C, H].
    public init(gate w1: Tensor<Scalar>, up w3: Tensor<Scalar>, down w2: Tensor<Scalar>, backend: Backend = .simd) throws {
        guard w1.rank == 2, w1.shape == w3.shape, w2.shape == [w1.shape[1], w1.shape[0]] else {
            throw TensorError.shapeMismatch(operation: "SwiGLU", lhs: w1.shape, rhs: w2.shape,
                                            reason: "W₁ and W₃ must be [H, C] (W₃ is \(w3.shape)) and W₂ [C, H]")
        }
        gate = try Linear(weight: w1, backend: backend)
        up = try Linear(weight: w3, backend: backend)
        down = try Linear(weight: w2, backend: backend)
        self.backend = backend
    }

    /// x [B, T, C] (or [n, C]) → y of the same shape.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Cache) {
        guard x.rank >= 2, x.shape.last == width else {
            throw TensorError.shapeMismatch(operation: summary, lhs: x.shape, rhs: [-1, -1, width],
                                            reason: "x \(x.shape) must be [batch, time, \(width)]")
        }
        let a = try gate.forward(x, mode: mode).output                      // [B, T, H]
        let b = try up.forward(x, mode: mode).output                        // [B, T, H]
        // [n, H] each, allocated apart (`s = h` would copy h on the first write)
        var h = Scalar.buffer(count: a.count, uninitialized: backend == .simd), s = Scalar.buffer(count: a.count, uninitialized: backend == .simd)
        a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                h.withUnsafeMutableBufferPointer { ph in
                    s.withUnsafeMutableBufferPointer { ps in
                        SwiGLUKernels.forward(backend, count: pa.count, pa.baseAddress!, pb.baseAddress!, ph.baseAddress!, ps.baseAddress!)
                    }
                }
            }
        }
        let ht = try Tensor(shape: a.shape, scalars: h)                     // [B, T, H]
        let y = try down.forward(ht, mode: mode).output                     // [B, T, C]
        return (y, Cache(x: x, a: a.scalars, b: b.scalars, sigmoid: s, h: ht))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: Cache) throws -> Tensor<Scalar> {
        guard dy.shape == cache.x.shape else {
            throw TensorError.shapeMismatch(operation: "\(summary).backward", lhs: dy.shape, rhs: cache.x.shape,
                                            reason: "dy \(dy.shape) must have the output's shape \(cache.x.shape)")
        }
        let dh = try down.backward(dy, cache: cache.h, frozen: frozen)                      // [B, T, H]
        var da = Scalar.buffer(count: dh.count, uninitialized: backend == .simd), db = Scalar.buffer(count: dh.count, uninitialized: backend == .simd)
        dh.scalars.withUnsafeBufferPointer { pdh in
            cache.a.withUnsafeBufferPointer { pa in
                cache.b.withUnsafeBufferPointer { pb in
                    cache.sigmoid.withUnsafeBufferPointer { ps in
                        da.withUnsafeMutableBufferPointer { pda in
                            db.withUnsafeMutableBufferPointer { pdb in
                                SwiGLUKernels.backward(backend, count: pdh.count, pdh.baseAddress!, pa.baseAddress!, pb.baseAddress!,
                                                       ps.baseAddress!, pda.baseAddress!, pdb.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        // dx = da W₁ + db W₃: the second product adds itself into the first's
        // output (the GEMM's accumulate) instead of a third pass over [n, C].
        let (n, c, hidden) = (dh.count / self.hidden, width, self.hidden)
        var dx = [Scalar](unsafeUninitializedCapacity: n * c) { _, count in count = n * c }
        for (i, (linear, grad)) in [(gate, da), (up, db)].enumerated() {
            grad.withUnsafeBufferPointer { g in
                linear.weight.value.withUnsafeBufferPointer { w in
                    dx.withUnsafeMutableBufferPointer { o in
                        backend.kernels.matmul(.nn, m: n, n: c, k: hidden, g.baseAddress!, w.baseAddress!, o.baseAddress!, accumulate: i > 0)
                    }
                }
            }
            if !frozen { try linear.accumulateParameterGradients(try Tensor(shape: dh.shape, scalars: grad), cache: cache.x) }
        }
        return try Tensor(shape: cache.x.shape, scalars: dx)
    }
}

/// The gate h = silu(a) ⊙ b and its backward, as naive and SIMD twins.
public enum SwiGLUKernels {
    /// h ← a·σ(a)·b, s ← σ(a).
    public static func forward<T: TensorScalar>(
        _ backend: Backend, count: Int, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>,
        _ h: UnsafeMutablePointer<T>, _ s: UnsafeMutablePointer<T>
    ) {
        if backend == .simd { forwardSIMD(count: count, a, b, h, s) } else { forwardNaive(count: count, a, b, h, s) }
    }

    /// da ← dh ⊙ b ⊙ silu′(a), db ← dh ⊙ silu(a), with s = σ(a).
    public static func backward<T: TensorScalar>(
        _ backend: Backend, count: Int, _ dh: UnsafePointer<T>, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>,
        _ s: UnsafePointer<T>, _ da: UnsafeMutablePointer<T>, _ db: UnsafeMutablePointer<T>
    ) {
        if backend == .simd { backwardSIMD(count: count, dh, a, b, s, da, db) } else { backwardNaive(count: count, dh, a, b, s, da, db) }
    }

    // MARK: Naive

    public static func forwardNaive<T: TensorScalar>(
        count: Int, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ h: UnsafeMutablePointer<T>, _ s: UnsafeMutablePointer<T>
    ) {
        for i in 0..<count {
            let sigma = 1 / (1 + T.exp(-a[i]))
            s[i] = sigma
            h[i] = a[i] * sigma * b[i]
        }
    }

    public static func backwardNaive<T: TensorScalar>(
        count: Int, _ dh: UnsafePointer<T>, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ s: UnsafePointer<T>,
        _ da: UnsafeMutablePointer<T>, _ db: UnsafeMutablePointer<T>
    ) {
        for i in 0..<count {
            let sigma = s[i]
            db[i] = dh[i] * a[i] * sigma
            da[i] = dh[i] * b[i] * sigma * (1 + a[i] * (1 - sigma))
        }
    }

    // MARK: SIMD

    /// Elements per block when splitting over the cores, and the work below
    /// which one core does it all (the core's map threshold).
    static let block = 64, parallelThreshold = 1 << 15

    @inline(__always)
    static func split(_ count: Int, _ body: (Int, Int) -> Void) {
        let blocks = (count + block - 1) / block
        RowParallel.forEachChunk(rows: blocks, chunks: count >= parallelThreshold ? RowParallel.cores : 1) { _, lo, hi in
            body(lo * block, min(hi * block, count))
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forwardSIMD<T: TensorScalar>(
        count: Int, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ h: UnsafeMutablePointer<T>, _ s: UnsafeMutablePointer<T>
    ) {
        nonisolated(unsafe) let (a, b, h, s) = (a, b, h, s)
        split(count) { lo, hi in
            if T.self == Float.self {
                let (fa, fb) = (rebind(a, Float.self), rebind(b, Float.self))
                let (fh, fs) = (rebindMutable(h, Float.self), rebindMutable(s, Float.self))
                var i = lo
                while i + 8 <= hi {
                    let x = SIMDKernels.load(fa, i), sigma = VectorMath.sigmoid(x)
                    SIMDKernels.store(sigma, fs, i)
                    SIMDKernels.store(x * sigma * SIMDKernels.load(fb, i), fh, i)
                    i += 8
                }
                if i < hi {   // the tail through the same vector code, zero-padded
                    var x = SIMD8<Float>(), y = SIMD8<Float>()
                    for l in 0..<(hi - i) { x[l] = fa[i + l]; y[l] = fb[i + l] }
                    let sigma = VectorMath.sigmoid(x), g = x * sigma * y
                    for l in 0..<(hi - i) { fs[i + l] = sigma[l]; fh[i + l] = g[l] }
                }
            } else {
                let w = T.Vector.scalarCount
                var i = lo
                while i < hi { s[i] = 1 / (1 + T.exp(-a[i])); i += 1 }
                i = lo
                while i + w <= hi {
                    SIMDKernels.store(SIMDKernels.load(a, i) * SIMDKernels.load(s, i) * SIMDKernels.load(b, i), h, i)
                    i += w
                }
                while i < hi { h[i] = a[i] * s[i] * b[i]; i += 1 }
            }
        }
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backwardSIMD<T: TensorScalar>(
        count: Int, _ dh: UnsafePointer<T>, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ s: UnsafePointer<T>,
        _ da: UnsafeMutablePointer<T>, _ db: UnsafeMutablePointer<T>
    ) {
        nonisolated(unsafe) let (dh, a, b, s, da, db) = (dh, a, b, s, da, db)
        split(count) { lo, hi in
            let w = T.Vector.scalarCount, one = T.Vector(repeating: 1)
            var i = lo
            while i + w <= hi {
                let g = SIMDKernels.load(dh, i), x = SIMDKernels.load(a, i), sigma = SIMDKernels.load(s, i)
                let silu = x * sigma
                SIMDKernels.store(g * silu, db, i)
                // silu′ = σ + silu·(1 − σ)
                SIMDKernels.store(g * SIMDKernels.load(b, i) * sigma.addingProduct(silu, one - sigma), da, i)
                i += w
            }
            while i < hi {
                let silu = a[i] * s[i]
                db[i] = dh[i] * silu
                da[i] = dh[i] * b[i] * (s[i] + silu * (1 - s[i]))
                i += 1
            }
        }
    }

    @inline(__always)
    static func rebind<T, U>(_ p: UnsafePointer<T>, _: U.Type) -> UnsafePointer<U> {
        UnsafeRawPointer(p).assumingMemoryBound(to: U.self)
    }

    @inline(__always)
    static func rebindMutable<T, U>(_ p: UnsafeMutablePointer<T>, _: U.Type) -> UnsafeMutablePointer<U> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: U.self)
    }
}
