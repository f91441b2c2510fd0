// Causal scaled dot-product attention over H heads, the heart of the
// Transformer, with naive and SIMD twins.
//
// Layout. The fused projection gives qkv [B·T, 3C]: columns [0, C) are the
// queries, [C, 2C) the keys, [2C, 3C) the values; head h owns columns
// h·d ..< (h+1)·d of each part (d = C/H). The output y [B·T, C] puts head h
// back at the same columns (the "merge" of heads is this layout).
//
//   forward   qkv [B·T, 3C] → y [B·T, C],  probabilities P [B, H, T, T]
//     for each (b, h):  S = Q Kᵀ/√d   [T, T]
//                       Sᵢⱼ = −∞ for j > i          (causal mask)
//                       P = softmax over each row of S
//                       Y = P V          [T, d]
//   backward  dy [B·T, C] → dqkv [B·T, 3C]   (needs qkv and P)
//                       dV = Pᵀ dY,   dP = dY Vᵀ
//                       dSᵢⱼ = Pᵢⱼ (dPᵢⱼ − Σₖ Pᵢₖ dPᵢₖ)   (softmax backward)
//                       dQ = dS K/√d,  dK = dSᵀ Q/√d
// Masked entries have Pᵢⱼ = 0, so they get no gradient: the mask needs no
// backward of its own. Derivation: chapters/07-transformer.md, "Attention's
// backward pass".
//
// Twins. `naive*` loop over (b, h, i, j) with an explicit score row and
// mirror the formulas. `simd*` (CausalAttention+SIMD.swift) copy each
// head's operands into zero-padded blocks, multiply them in 6×16 register
// tiles that skip what the mask makes zero, apply a fused masked softmax
// (the 1/√d is folded into Q when it is copied) with the vector exp, and
// split the B·H pairs over the cores.

import BackpropCore
import Foundation

/// The sizes of one attention call.
public struct AttentionShape: Sendable, Equatable {
    public var batch: Int, length: Int, heads: Int, width: Int
    public var headWidth: Int { width / heads }
    public var rows: Int { batch * length }
    public init(batch: Int, length: Int, heads: Int, width: Int) {
        self.batch = batch; self.length = length; self.heads = heads; self.width = width
    }
}

public enum CausalAttention {
    /// qkv [B·T, 3C] → (y [B·T, C], P [B, H, T, T]).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TensorScalar>(_ qkv: [T], shape s: AttentionShape, backend: Backend) -> (y: [T], probabilities: [T]) {
        precondition(qkv.count == s.rows * 3 * s.width && s.width % s.heads == 0, "CausalAttention: bad shapes")
        // The SIMD twin writes every element of y and P (masked ones as 0):
        // no zero fill first (a serial pass over 0.8 MiB of P for the baby GPT).
        // The naive twin writes only P's causal part and needs the zeros.
        let simd = backend == .simd
        var y = simd ? T.uninitializedArray(count: s.rows * s.width) : [T](repeating: 0, count: s.rows * s.width)
        let pCount = s.batch * s.heads * s.length * s.length
        var p = simd ? T.uninitializedArray(count: pCount) : [T](repeating: 0, count: pCount)
        qkv.withUnsafeBufferPointer { q in
            y.withUnsafeMutableBufferPointer { py in
                p.withUnsafeMutableBufferPointer { pp in
                    if simd {
                        simdForward(s, q.baseAddress!, py.baseAddress!, pp.baseAddress!)
                    } else {
                        naiveForward(s, q.baseAddress!, py.baseAddress!, pp.baseAddress!)
                    }
                }
            }
        }
        return (y, p)
    }

    /// dy [B·T, C] → dqkv [B·T, 3C], given the forward's qkv and P.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TensorScalar>(_ dy: [T], qkv: [T], probabilities: [T], shape s: AttentionShape, backend: Backend) -> [T] {
        precondition(dy.count == s.rows * s.width && probabilities.count == s.batch * s.heads * s.length * s.length, "CausalAttention.backward: bad shapes")
        // The SIMD twin writes every element; the naive one accumulates into zeros.
        var dqkv = backend == .simd ? T.uninitializedArray(count: s.rows * 3 * s.width)
                                    : [T](repeating: 0, count: s.rows * 3 * s.width)
        dy.withUnsafeBufferPointer { pdy in
            qkv.withUnsafeBufferPointer { q in
                probabilities.withUnsafeBufferPointer { pp in
                    dqkv.withUnsafeMutableBufferPointer { pd in
                        if backend == .simd {
                            simdBackward(s, pdy.baseAddress!, q.baseAddress!, pp.baseAddress!, pd.baseAddress!)
                        } else {
                            naiveBackward(s, pdy.baseAddress!, q.baseAddress!, pp.baseAddress!, pd.baseAddress!)
                        }
                    }
                }
            }
        }
        return dqkv
    }

    // MARK: Naive twin

    static func naiveForward<T: TensorScalar>(
        _ s: AttentionShape, _ qkv: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ p: UnsafeMutablePointer<T>
    ) {
        let (tl, c, d) = (s.length, s.width, s.headWidth)
        let scale = 1 / T(d).squareRoot()
        var scores = [T](repeating: 0, count: tl)
        for b in 0..<s.batch {
            for h in 0..<s.heads {
                for i in 0..<tl {
                    let qi = qkv + (b * tl + i) * 3 * c + h * d
                    // Sᵢⱼ = qᵢ·kⱼ/√d for j ≤ i (later positions are masked out).
                    for j in 0...i {
                        let kj = qkv + (b * tl + j) * 3 * c + c + h * d
                        var dot: T = 0
                        for e in 0..<d { dot += qi[e] * kj[e] }
                        scores[j] = dot * scale
                    }
                    var m = scores[0]
                    for j in 0...i where scores[j] > m { m = scores[j] }
                    var total: T = 0
                    for j in 0...i { scores[j] = T.exp(scores[j] - m); total += scores[j] }
                    let pi = p + ((b * s.heads + h) * tl + i) * tl
                    for j in 0...i { pi[j] = scores[j] / total }
                    // yᵢ = Σⱼ Pᵢⱼ vⱼ
                    let yi = y + (b * tl + i) * c + h * d
                    for e in 0..<d {
                        var acc: T = 0
                        for j in 0...i { acc += pi[j] * qkv[(b * tl + j) * 3 * c + 2 * c + h * d + e] }
                        yi[e] = acc
                    }
                }
            }
        }
    }

    static func naiveBackward<T: TensorScalar>(
        _ s: AttentionShape, _ dy: UnsafePointer<T>, _ qkv: UnsafePointer<T>, _ p: UnsafePointer<T>, _ dqkv: UnsafeMutablePointer<T>
    ) {
        let (tl, c, d) = (s.length, s.width, s.headWidth)
        let scale = 1 / T(d).squareRoot()
        var dp = [T](repeating: 0, count: tl)
        for b in 0..<s.batch {
            for h in 0..<s.heads {
                for i in 0..<tl {
                    let pi = p + ((b * s.heads + h) * tl + i) * tl
                    let dyi = dy + (b * tl + i) * c + h * d
                    // dPᵢⱼ = dyᵢ·vⱼ and dvⱼ += Pᵢⱼ dyᵢ
                    for j in 0...i {
                        let vj = qkv + (b * tl + j) * 3 * c + 2 * c + h * d
                        let dvj = dqkv + (b * tl + j) * 3 * c + 2 * c + h * d
                        var dot: T = 0
                        for e in 0..<d { dot += dyi[e] * vj[e]; dvj[e] += pi[j] * dyi[e] }
                        dp[j] = dot
                    }
                    // dSᵢⱼ = Pᵢⱼ (dPᵢⱼ − Σₖ Pᵢₖ dPᵢₖ)
                    var inner: T = 0
                    for j in 0...i { inner += pi[j] * dp[j] }
                    let qi = qkv + (b * tl + i) * 3 * c + h * d
                    let dqi = dqkv + (b * tl + i) * 3 * c + h * d
                    for j in 0...i {
                        let ds = pi[j] * (dp[j] - inner) * scale
                        let kj = qkv + (b * tl + j) * 3 * c + c + h * d
                        let dkj = dqkv + (b * tl + j) * 3 * c + c + h * d
                        for e in 0..<d { dqi[e] += ds * kj[e]; dkj[e] += ds * qi[e] }
                    }
                }
            }
        }
    }
}

/// The fused, numerically stable, masked softmax of one score row, and its backward.
enum MaskedSoftmax {
    /// r[0..<valid] ← softmax(r[0..<valid]) (max subtracted first), r[valid..<count] ← 0.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func row<T: TensorScalar>(_ r: UnsafeMutablePointer<T>, valid: Int, count: Int) {
        if T.self == Float.self {
            rowFloat(UnsafeMutableRawPointer(r).assumingMemoryBound(to: Float.self), valid: valid)
        } else {
            var m = r[0]
            for j in 1..<valid where r[j] > m { m = r[j] }
            var total: T = 0
            for j in 0..<valid { r[j] = T.exp(r[j] - m); total += r[j] }
            let inv = 1 / total
            for j in 0..<valid { r[j] *= inv }
        }
        if valid < count { (r + valid).update(repeating: 0, count: count - valid) }
    }

    @inline(__always)
    static func rowFloat(_ r: UnsafeMutablePointer<Float>, valid: Int) {
        let full = valid & ~7
        var mv = SIMD8<Float>(repeating: -.infinity), j = 0
        while j < full {  // compare-and-select (vmaxps); `pointwiseMax` is not inlined here
            let x = SIMDKernels.load(r, j)
            mv = mv.replacing(with: x, where: x .> mv)
            j += 8
        }
        var m = mv.max()
        while j < valid { m = max(m, r[j]); j += 1 }
        let shift = SIMD8<Float>(repeating: m)
        var acc = SIMD8<Float>()
        j = 0
        while j < full {
            let e = VectorMath.exp(SIMDKernels.load(r, j) - shift)
            SIMDKernels.store(e, r, j)
            acc += e
            j += 8
        }
        var total = acc.sum()
        if j < valid {
            var tail = SIMD8<Float>(repeating: -.infinity)
            for l in 0..<(valid - j) { tail[l] = r[j + l] }
            let e = VectorMath.exp(tail - shift)
            for l in 0..<(valid - j) { r[j + l] = e[l]; total += e[l] }
        }
        let inv = SIMD8<Float>(repeating: 1 / total)
        j = 0
        while j < full { SIMDKernels.store(SIMDKernels.load(r, j) * inv, r, j); j += 8 }
        while j < valid { r[j] *= inv[0]; j += 1 }
    }

    /// g[0..<valid] ← p ⊙ (g − Σⱼ pⱼgⱼ); g[valid..<count] ← 0.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func backwardRow<T: TensorScalar>(_ p: UnsafePointer<T>, _ g: UnsafeMutablePointer<T>, valid: Int, count: Int) {
        let w = T.Vector.scalarCount, full = valid - valid % w
        var acc = T.Vector(), j = 0
        while j < full { acc.addProduct(SIMDKernels.load(p, j), SIMDKernels.load(g, j)); j += w }
        var inner = acc.sum()
        while j < valid { inner += p[j] * g[j]; j += 1 }
        let iv = T.Vector(repeating: inner)
        j = 0
        while j < full { SIMDKernels.store(SIMDKernels.load(p, j) * (SIMDKernels.load(g, j) - iv), g, j); j += w }
        while j < valid { g[j] = p[j] * (g[j] - inner); j += 1 }
        if valid < count { (g + valid).update(repeating: 0, count: count - valid) }
    }
}

extension TensorScalar {
    /// An array of `count` elements left uninitialised, for a kernel that
    /// writes every one of them before anything reads it.
    @inline(__always)
    static func uninitializedArray(count: Int) -> [Self] {
        [Self](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }
}
