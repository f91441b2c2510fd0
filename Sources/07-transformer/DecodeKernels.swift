// The decoder's kernels (KVCacheDecoding.swift): one row at a time through
// the weights (RowProjection: y = W x + b, shared between the cores by
// BackpropCore's SpinTeam) and one query row attending over the cache
// (DecodeAttention), each with its naive twin.

import BackpropCore
import Backpropagation

/// y = W x + b for one row x [in] and W [out, in]: the decoder's
/// matrix-vector products. The packed GEMM would repack all of W for a
/// single row, which costs as much as the product itself, so the SIMD
/// backend takes one vector dot product per output instead (W's rows are
/// contiguous); the naive backend keeps the layer's own kernels.
public enum RowProjection {
    static func apply<S: TensorScalar>(_ x: Tensor<S>, _ layer: Linear<S>, backend: Backend) throws -> Tensor<S> {
        if backend == .naive { return try layer.forward(x, mode: .inference).output }
        return try Tensor(shape: [1, layer.outputs], scalars: matvec(x.scalars, layer.weight.value.scalars, bias: layer.bias.value.scalars))
    }

    /// y = W x (+ b) for W [out, n] row-major. Four rows at a time, two
    /// vector accumulators each: eight independent FMA chains (enough to
    /// cover the FMA latency of 4 cycles on two pipes), and each load of x
    /// serves four rows. One horizontal sum per row, after its loop.
    ///
    /// A token's products are too small for Dispatch (a 128 × 384 product
    /// takes ~2 µs) but stream all of W from the last-level cache, which one
    /// core cannot read at the rate of two: with W of at least
    /// `parallelThreshold` entries, chunks of rows are shared between the
    /// caller and the spinning helper of `SpinTeam` (a hand-off of ~0.2 µs)
    /// — while hand-offs are cheap. When the host has put the two cores
    /// far apart (`SpinTeam.splitsSmallRegions`), every product stays on the
    /// calling thread: measured on the baby GPT in that placement, a token
    /// took 0.112–0.114 ms on one core against 0.134–0.144 ms split (and
    /// 0.082 ms split when the cores are close).
    /// Chunks are whole groups of four rows, so each y[o] is the same sum
    /// whichever thread computes it.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func matvec<T: TensorScalar>(_ x: [T], _ w: [T], bias: [T]?) -> [T] {
        let n = x.count, out = w.count / n
        var y = bias ?? [T](repeating: 0, count: out)
        x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                y.withUnsafeMutableBufferPointer { py in
                    let (x, w, y) = (px.baseAddress!, pw.baseAddress!, py.baseAddress!)
                    if T.self == Float.self, out * n >= parallelThreshold, let team = SpinTeam.shared, team.splitsSmallRegions {
                        parallelMatvec(team, n: n, out: out, UnsafeRawPointer(x), UnsafeRawPointer(w), UnsafeMutableRawPointer(y))
                    } else {
                        matvecRows(n: n, rows: 0..<out, x, w, y)
                    }
                }
            }
        }
        return y
    }

    /// The smallest W (entries) whose product is split over two cores:
    /// 128 × 128 (64 KiB) and up, every product of the baby GPT's blocks.
    static let parallelThreshold = 128 * 128
    /// Entries of W per chunk of rows that the two threads claim in turn.
    static let chunkEntries = 8192

    /// matvecRows over chunks of ~32 KiB of W (a multiple of four rows
    /// each), shared by the caller and the team's helper; Float.
    static func parallelMatvec(_ team: SpinTeam, n: Int, out: Int, _ x: UnsafeRawPointer, _ w: UnsafeRawPointer,
                               _ y: UnsafeMutableRawPointer) {
        let rows = max(4, chunkEntries / n / 4 * 4)
        var job = FloatMatvec(x: x, w: w, y: y, n: n, out: out, rows: rows)
        withUnsafePointer(to: &job) { team.run(chunks: (out + rows - 1) / rows, context: UnsafeRawPointer($0), floatMatvecChunk) }
    }

    /// The arguments of one product, for the team's chunks.
    struct FloatMatvec {
        let x: UnsafeRawPointer, w: UnsafeRawPointer, y: UnsafeMutableRawPointer
        let n: Int, out: Int, rows: Int
    }

    /// y[o] += W[o, ·]·x for o in `rows`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func matvecRows<T: TensorScalar>(n: Int, rows: Range<Int>, _ x: UnsafePointer<T>, _ w: UnsafePointer<T>,
                                            _ py: UnsafeMutablePointer<T>) {
        /// Σ of each of four vectors: for Float, a tree that adds halves across
        /// the vectors (12 shuffles and adds for four sums instead of ~7 per
        /// vector); otherwise one reduction each.
        @inline(__always) func sums(_ v0: T.Vector, _ v1: T.Vector, _ v2: T.Vector, _ v3: T.Vector) -> (T, T, T, T) {
            guard T.Vector.self == SIMD8<Float>.self else { return (v0.sum(), v1.sum(), v2.sum(), v3.sum()) }
            let f0 = unsafeBitCast(v0, to: SIMD8<Float>.self), f1 = unsafeBitCast(v1, to: SIMD8<Float>.self)
            let f2 = unsafeBitCast(v2, to: SIMD8<Float>.self), f3 = unsafeBitCast(v3, to: SIMD8<Float>.self)
            let h01 = SIMD8(lowHalf: f0.lowHalf + f0.highHalf, highHalf: f1.lowHalf + f1.highHalf)
            let h23 = SIMD8(lowHalf: f2.lowHalf + f2.highHalf, highHalf: f3.lowHalf + f3.highHalf)
            let q = SIMD8(lowHalf: h01.evenHalf + h01.oddHalf, highHalf: h23.evenHalf + h23.oddHalf)
            let r = q.evenHalf + q.oddHalf                                      // [Σv0, Σv1, Σv2, Σv3]
            return (unsafeBitCast(r[0], to: T.self), unsafeBitCast(r[1], to: T.self),
                    unsafeBitCast(r[2], to: T.self), unsafeBitCast(r[3], to: T.self))
        }
        let wv = T.Vector.scalarCount, full = n - n % (2 * wv)
        var o = rows.lowerBound
        while o + 4 <= rows.upperBound {
            let r0 = w + o * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n
            var a0 = T.Vector(), b0 = T.Vector(), a1 = T.Vector(), b1 = T.Vector()
            var a2 = T.Vector(), b2 = T.Vector(), a3 = T.Vector(), b3 = T.Vector()
            var j = 0
            while j < full {
                let x0 = SIMDKernels.load(x, j), x1 = SIMDKernels.load(x, j + wv)
                a0.addProduct(SIMDKernels.load(r0, j), x0); b0.addProduct(SIMDKernels.load(r0, j + wv), x1)
                a1.addProduct(SIMDKernels.load(r1, j), x0); b1.addProduct(SIMDKernels.load(r1, j + wv), x1)
                a2.addProduct(SIMDKernels.load(r2, j), x0); b2.addProduct(SIMDKernels.load(r2, j + wv), x1)
                a3.addProduct(SIMDKernels.load(r3, j), x0); b3.addProduct(SIMDKernels.load(r3, j + wv), x1)
                j += 2 * wv
            }
            var (s0, s1, s2, s3) = sums(a0 + b0, a1 + b1, a2 + b2, a3 + b3)
            while j < n {
                s0 += r0[j] * x[j]; s1 += r1[j] * x[j]; s2 += r2[j] * x[j]; s3 += r3[j] * x[j]
                j += 1
            }
            py[o] += s0; py[o + 1] += s1; py[o + 2] += s2; py[o + 3] += s3
            o += 4
        }
        while o < rows.upperBound {
            let row = w + o * n
            var a = T.Vector(), b = T.Vector(), j = 0
            while j < full {
                a.addProduct(SIMDKernels.load(row, j), SIMDKernels.load(x, j))
                b.addProduct(SIMDKernels.load(row, j + wv), SIMDKernels.load(x, j + wv))
                j += 2 * wv
            }
            var s = (a + b).sum()
            while j < n { s += row[j] * x[j]; j += 1 }
            py[o] += s
            o += 1
        }
    }
}

/// Chunk c of a `RowProjection.parallelMatvec` (a C function pointer for
/// `SpinTeam`).
private func floatMatvecChunk(_ context: UnsafeRawPointer, _ c: Int) {
    let j = context.load(as: RowProjection.FloatMatvec.self)
    RowProjection.matvecRows(n: j.n, rows: (c * j.rows)..<min(j.out, (c + 1) * j.rows), j.x.assumingMemoryBound(to: Float.self),
                             j.w.assumingMemoryBound(to: Float.self), j.y.assumingMemoryBound(to: Float.self))
}

/// One query row attending over the cached keys and values of every head:
/// for head h, sⱼ = q·kⱼ/√d (j < count), p = softmax(s), out_h = Σⱼ pⱼ vⱼ.
/// `rows.q` is the step's qkv row (queries in columns 0..<C); keys and values
/// are [count, C] rows of the cache. `out` must start at zero.
enum DecodeAttention {
    typealias Rows<T> = (q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>)

    /// The loops of the formulas, one scalar at a time.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func naive<T: TensorScalar>(_ rows: Rows<T>, count: Int, width c: Int, heads: Int, scale: T,
                                        scores: UnsafeMutablePointer<T>, out: UnsafeMutablePointer<T>) {
        let d = c / heads
        for h in 0..<heads {
            var m = -T.infinity
            for j in 0..<count {                                           // sⱼ = q·kⱼ/√d
                var dot: T = 0
                for e in 0..<d { dot += rows.q[h * d + e] * rows.k[j * c + h * d + e] }
                scores[j] = dot * scale
                m = max(m, scores[j])
            }
            var total: T = 0
            for j in 0..<count { scores[j] = T.exp(scores[j] - m); total += scores[j] }
            for j in 0..<count {                                           // out = Σⱼ pⱼ vⱼ
                let p = scores[j] / total
                for e in 0..<d { out[h * d + e] += p * rows.v[j * c + h * d + e] }
            }
        }
    }

    /// The same with vectors along the head's d features (d a multiple of
    /// the vector width), for the heads in `range` of `headCount`: each
    /// score is d/w FMAs and one horizontal sum; the softmax is the kernel
    /// set's vector one; the weighted sum keeps two accumulators per vector
    /// of d (even and odd positions). Head h uses row h of `scores`.
    ///
    /// The weighted sum walks the positions once for up to four vectors of
    /// d at a time (`weightedSum`): each accumulator's chain of FMAs waits
    /// for its previous FMA (4 cycles), so one vector at a time ran two
    /// chains and left the FMA pipes idle half the time or more; four
    /// vectors run eight chains. Each vector's sums are the same additions
    /// in the same order either way.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func simd<T: TensorScalar>(_ rows: Rows<T>, count: Int, width c: Int, heads range: Range<Int>, headCount heads: Int,
                                       scale: T, scores allScores: UnsafeMutablePointer<T>, out: UnsafeMutablePointer<T>) {
        let d = c / heads, w = T.Vector.scalarCount
        // Scores of every head, one cached key row at a time: the row's heads
        // are contiguous, so the cache is read front to back once (a cache of
        // many sequences lives in L3, and head-by-head passes that each read
        // a slice of every row stalled on it: 40% of the kernel's time).
        for j in 0..<count {
            let row = rows.k + j * c
            for h in range {
                let q = rows.q + h * d, k = row + h * d
                var a = T.Vector(), b = T.Vector(), e = 0
                while e + 2 * w <= d {
                    a.addProduct(SIMDKernels.load(q, e), SIMDKernels.load(k, e))
                    b.addProduct(SIMDKernels.load(q, e + w), SIMDKernels.load(k, e + w))
                    e += 2 * w
                }
                if e < d { a.addProduct(SIMDKernels.load(q, e), SIMDKernels.load(k, e)) }
                allScores[h * count + j] = (a + b).sum() * scale
            }
        }
        for h in range {
            let scores = allScores + h * count
            SIMDKernels.softmaxRows(rows: 1, cols: count, UnsafePointer(scores), scores)
            var e = 0
            while e + 4 * w <= d {
                weightedSum4(UnsafePointer(scores), count: count, rows.v + h * d + e, stride: c, out + h * d + e)
                e += 4 * w
            }
            while e < d {
                var a = T.Vector(), b = T.Vector(), j = 0
                let v = rows.v + h * d + e
                while j + 1 < count {
                    a.addProduct(T.Vector(repeating: scores[j]), SIMDKernels.load(v, j * c))
                    b.addProduct(T.Vector(repeating: scores[j + 1]), SIMDKernels.load(v, (j + 1) * c))
                    j += 2
                }
                if j < count { a.addProduct(T.Vector(repeating: scores[j]), SIMDKernels.load(v, j * c)) }
                SIMDKernels.store(a + b, out + h * d, e)
                e += w
            }
        }
    }

    /// out[0 ..< 4w] = Σⱼ pⱼ v[j·stride ..< j·stride + 4w]: four vectors of
    /// a head's values at once, each summed as the one-vector loop sums it
    /// (even positions into one accumulator, odd into another, then their sum).
    @inline(__always)
    static func weightedSum4<T: TensorScalar>(_ p: UnsafePointer<T>, count: Int, _ v: UnsafePointer<T>, stride c: Int,
                                              _ out: UnsafeMutablePointer<T>) {
        let w = T.Vector.scalarCount
        var a0 = T.Vector(), a1 = T.Vector(), a2 = T.Vector(), a3 = T.Vector()
        var b0 = T.Vector(), b1 = T.Vector(), b2 = T.Vector(), b3 = T.Vector()
        var j = 0
        while j + 1 < count {
            let even = T.Vector(repeating: p[j]), odd = T.Vector(repeating: p[j + 1])
            let r = v + j * c, s = r + c
            a0.addProduct(even, SIMDKernels.load(r, 0)); a1.addProduct(even, SIMDKernels.load(r, w))
            a2.addProduct(even, SIMDKernels.load(r, 2 * w)); a3.addProduct(even, SIMDKernels.load(r, 3 * w))
            b0.addProduct(odd, SIMDKernels.load(s, 0)); b1.addProduct(odd, SIMDKernels.load(s, w))
            b2.addProduct(odd, SIMDKernels.load(s, 2 * w)); b3.addProduct(odd, SIMDKernels.load(s, 3 * w))
            j += 2
        }
        if j < count {
            let even = T.Vector(repeating: p[j]), r = v + j * c
            a0.addProduct(even, SIMDKernels.load(r, 0)); a1.addProduct(even, SIMDKernels.load(r, w))
            a2.addProduct(even, SIMDKernels.load(r, 2 * w)); a3.addProduct(even, SIMDKernels.load(r, 3 * w))
        }
        SIMDKernels.store(a0 + b0, out, 0); SIMDKernels.store(a1 + b1, out, w)
        SIMDKernels.store(a2 + b2, out, 2 * w); SIMDKernels.store(a3 + b3, out, 3 * w)
    }
}
