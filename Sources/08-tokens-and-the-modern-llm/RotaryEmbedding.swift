// Rotary position embeddings (RoPE; Su et al., 2021, "RoFormer"), the
// position code of Llama: instead of adding a position vector to the token
// embedding, rotate each query and key, pair of features by pair, by an
// angle proportional to its position. Then a query at position m and a key
// at position n meet in a dot product that depends on m − n only:
// ⟨R(mθ)q, R(nθ)k⟩ = ⟨q, R((n − m)θ)k⟩, since rotations compose and Rᵀ = R⁻¹.
//
// Pairing: "rotate half", as Hugging Face's Llama (`LlamaRotaryEmbedding`,
// `apply_rotary_pos_emb` with `rotate_half`) and GPT-NeoX do. Within each
// head of width d (d even, h = d/2), feature i is paired with feature i + h:
//
//   forward   x [B, T, k·d] → y [B, T, k·d]     (k heads side by side; position p = offset + t)
//             θᵢ = base^(−2i/d),  i = 0 ..< d/2        (base 10000)
//             y[i]     = x[i]·cos(pθᵢ) − x[i+h]·sin(pθᵢ)
//             y[i + h] = x[i+h]·cos(pθᵢ) + x[i]·sin(pθᵢ)
//   backward  dy → dx, the inverse (transposed) rotation, the same formula with −sin:
//             dx[i]     = dy[i]·cos(pθᵢ) + dy[i+h]·sin(pθᵢ)
//             dx[i + h] = dy[i+h]·cos(pθᵢ) − dy[i]·sin(pθᵢ)
//
// The original paper (and Meta's reference Llama code, which multiplies by
// complex numbers with `torch.view_as_complex`) pairs neighbours (2i, 2i+1)
// instead. The two are the same model up to a fixed permutation of each
// head's features, i.e. of the rows of W_q and W_k (which is how HF converts
// Meta's checkpoints). Rotate-half is chosen here because each half is
// contiguous: the SIMD twin loads x[i..<i+w] and x[i+h..<i+h+w] as whole
// vectors, where neighbouring pairs would need lane shuffles.
//
// Tables. cos(pθᵢ) and sin(pθᵢ) for p < `positions` are computed once, in
// Double, and rounded to the scalar once: a table entry is within half an
// ulp of the true value at any position. (Computing p·θᵢ in Float, as
// PyTorch does by default, puts an error of about p·2⁻²⁴ radians into the
// angle: 2.4e-4 at p = 4096.) The rotation itself is two products and a sum
// per output, so each output has a relative error of a few ulp of
// |x[i]| + |x[i+h]| in either twin.
//
// Beyond the training context. Nothing is learned per position, so a
// position past the context a model was trained on is still defined (how
// well a model does there is another matter: the chapter's "why it
// extrapolates only so far"). `forward(_:offset:)` rotates a window that
// starts at position `offset`: the KV-cache path rotates one new query and
// key at offset = the number of positions already cached. `reserve(positions:)`
// extends the tables (the old entries do not change).
//
// Twins: `RoPEKernels.rotateNaive` loops over the formula; `rotateSIMD`
// rotates whole vectors of the two halves and splits rows over the cores
// when there are many. Both may work in place (y == x).

import BackpropCore
import Backpropagation
import Foundation

/// Rotary position embeddings on the heads of a [batch, time, heads·d] tensor.
public final class RotaryEmbedding<Scalar: TensorScalar>: Layer {
    /// d, the width of one head (even).
    public let headWidth: Int
    /// The base of the frequencies θᵢ = base^(−2i/d).
    public let base: Double
    public var backend: Backend
    /// cos(pθᵢ) and sin(pθᵢ) [positions, d/2].
    public private(set) var cosTable: [Scalar]
    public private(set) var sinTable: [Scalar]
    /// The positions the tables cover (0 ..< positions).
    public var positions: Int { cosTable.count / (headWidth / 2) }
    public var parameters: [Parameter<Scalar>] { [] }
    public var summary: String { "RotaryEmbedding(d = \(headWidth), base \(base))" }

    /// What the backward pass needs: the shape and the first position.
    public struct Cache {
        public var shape: [Int]
        public var offset: Int
    }

    /// - Throws: `TensorError.invalidValue` unless d is even and positive,
    ///   positions ≥ 0 and base > 1.
    public init(headWidth: Int, positions: Int, base: Double = 10_000, backend: Backend = .simd) throws {
        guard headWidth > 0, headWidth % 2 == 0, positions >= 0, base > 1, base.isFinite else {
            throw TensorError.invalidValue(operation: "RotaryEmbedding",
                                           reason: "head width \(headWidth) must be even and positive, positions \(positions) ≥ 0, base \(base) > 1")
        }
        self.headWidth = headWidth
        self.base = base
        self.backend = backend
        (cosTable, sinTable) = ([], [])
        reserve(positions: positions)
    }

    /// θᵢ = 1/base^(2i/d), i < d/2 (in Double; PyTorch's `inv_freq`).
    public var frequencies: [Double] {
        (0..<(headWidth / 2)).map { 1 / Foundation.pow(base, Double(2 * $0) / Double(headWidth)) }
    }

    /// Extends the tables to cover positions 0 ..< `positions` (no-op if they do).
    public func reserve(positions: Int) {
        let half = headWidth / 2, old = self.positions
        guard positions > old else { return }
        let theta = frequencies
        cosTable.reserveCapacity(positions * half)
        sinTable.reserveCapacity(positions * half)
        for p in old..<positions {
            for i in 0..<half {
                let angle = Double(p) * theta[i]
                cosTable.append(Scalar(Foundation.cos(angle)))
                sinTable.append(Scalar(Foundation.sin(angle)))
            }
        }
    }

    /// Checks x [B, T, k·d] and that positions offset ..< offset + T are in the tables.
    func validate(_ shape: [Int], offset: Int, _ operation: String) throws {
        guard shape.count == 3, shape[2] > 0, shape[2] % headWidth == 0 else {
            throw TensorError.invalidShape(operation: operation, shape: shape,
                                           reason: "expected [batch, time, heads·\(headWidth)] (whole heads of width \(headWidth))")
        }
        guard offset >= 0, offset + shape[1] <= positions else {
            throw TensorError.invalidValue(operation: operation,
                                           reason: "positions \(offset) ..< \(offset + shape[1]) of x \(shape) are outside the tables' 0 ..< \(positions) (reserve(positions:) extends them)")
        }
    }

    /// y = x rotated at positions offset + t, for x [B, T, k·d].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, offset: Int, mode: Mode = .training) throws -> (output: Tensor<Scalar>, cache: Cache) {
        try validate(x.shape, offset: offset, summary)
        var y = x.scalars
        rotate(&y, width: x.shape[2], length: x.shape[1], offset: offset, inverse: false)
        return (try Tensor(shape: x.shape, scalars: y), Cache(shape: x.shape, offset: offset))
    }

    /// The layer contract: positions 0 ..< T.
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Cache) {
        try forward(x, offset: 0, mode: mode)
    }

    /// dx = the inverse rotation of dy, at the forward's positions.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: Cache) throws -> Tensor<Scalar> {
        guard dy.shape == cache.shape else {
            throw TensorError.shapeMismatch(operation: "\(summary).backward", lhs: dy.shape, rhs: cache.shape,
                                            reason: "dy \(dy.shape) must have the output's shape \(cache.shape)")
        }
        var dx = dy.scalars
        rotate(&dx, width: cache.shape[2], length: cache.shape[1], offset: cache.offset, inverse: true)
        return try Tensor(shape: cache.shape, scalars: dx)
    }

    /// Rotates, in place, a buffer of rows [B·T, width] (width = k·d; row
    /// b·T + t at position offset + t); `inverse` rotates by −pθ (the
    /// backward pass). Shapes trusted: the caller has checked them (`validate`).
    public func rotate(_ buffer: inout [Scalar], width: Int, length: Int, offset: Int, inverse: Bool) {
        guard !buffer.isEmpty else { return }
        let rows = buffer.count / width, simd = backend == .simd, d = headWidth
        cosTable.withUnsafeBufferPointer { c in
            sinTable.withUnsafeBufferPointer { s in
                buffer.withUnsafeMutableBufferPointer { b in
                    let (x, cp, sp) = (b.baseAddress!, c.baseAddress!, s.baseAddress!)
                    if simd {
                        RoPEKernels.rotateSIMD(rows: rows, length: length, width: width, headWidth: d, offset: offset,
                                               cos: cp, sin: sp, x, x, inverse: inverse)
                    } else {
                        RoPEKernels.rotateNaive(rows: rows, length: length, width: width, headWidth: d, offset: offset,
                                                cos: cp, sin: sp, x, x, inverse: inverse)
                    }
                }
            }
        }
    }
}

/// The RoPE kernel twins (raw pointers, shapes trusted). x and y are
/// [rows, width] with width = k·d; row r is at position offset + r mod
/// `length`; cos and sin are the tables [positions, d/2]. y may be x.
public enum RoPEKernels {
    /// The formula, one pair at a time.
    public static func rotateNaive<T: TensorScalar>(
        rows: Int, length: Int, width: Int, headWidth d: Int, offset: Int,
        cos: UnsafePointer<T>, sin: UnsafePointer<T>, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, inverse: Bool
    ) {
        let h = d / 2
        for r in 0..<rows {
            let p = offset + r % length
            for head in 0..<(width / d) {
                let base = r * width + head * d
                for i in 0..<h {
                    let c = cos[p * h + i], s = inverse ? -sin[p * h + i] : sin[p * h + i]
                    let (a, b) = (x[base + i], x[base + i + h])
                    y[base + i] = a * c - b * s
                    y[base + i + h] = b * c + a * s
                }
            }
        }
    }

    /// Whole vectors of each half: (x₁, x₂) ↦ (x₁c − x₂s, x₂c + x₁s), with
    /// a scalar tail when d/2 is not a multiple of the vector width.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func rotateSIMD<T: TensorScalar>(
        rows: Int, length: Int, width: Int, headWidth d: Int, offset: Int,
        cos: UnsafePointer<T>, sin: UnsafePointer<T>, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, inverse: Bool
    ) {
        nonisolated(unsafe) let (cos, sin, x, y) = (cos, sin, x, y)
        RowParallel.forEachChunk(rows: rows, chunks: RowParallel.chunks(rows: rows, rowWidth: width)) { _, lo, hi in
            let h = d / 2, w = T.Vector.scalarCount, full = h - h % w
            let sign: T = inverse ? -1 : 1
            let signV = T.Vector(repeating: sign)
            for r in lo..<hi {
                let p = offset + r % length
                let cr = cos + p * h, sr = sin + p * h
                for head in 0..<(width / d) {
                    let xr = x + r * width + head * d, yr = y + r * width + head * d
                    var i = 0
                    while i < full {
                        let c = SIMDKernels.load(cr, i), s = SIMDKernels.load(sr, i) * signV
                        let a = SIMDKernels.load(xr, i), b = SIMDKernels.load(xr, i + h)
                        SIMDKernels.store((a * c).addingProduct(-b, s), yr, i)
                        SIMDKernels.store((b * c).addingProduct(a, s), yr, i + h)
                        i += w
                    }
                    while i < h {
                        let c = cr[i], s = sign * sr[i], a = xr[i], b = xr[i + h]
                        yr[i] = a * c - b * s
                        yr[i + h] = b * c + a * s
                        i += 1
                    }
                }
            }
        }
    }
}
