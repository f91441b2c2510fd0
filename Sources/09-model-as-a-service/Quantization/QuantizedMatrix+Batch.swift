// The int8 product for a batched decoding step: Y [B, out] = X [B, in] · Ŵᵀ
// (+ b) for the B sequences of chapter 7's `GPT.decodeStep(batch:caches:)`.
//
// A decoding step with B rows could call the one-row `multiply` B times; each
// call then streams all of q through the core for one row. Here q is taken a
// block of rows at a time (about 16 KiB once converted), its levels are
// converted to floats once into a small buffer that stays in the L1 cache,
// and the block is applied to every row of X before the next block is read:
// the conversion is paid once per step instead of B times, and the weights
// are read from memory once. Pairs of W's rows meet pairs of X's rows in the
// inner loop (eight accumulators), so each load serves two products.
//
// Same numbers as alone. Converting an int8 level to float is exact, and
// each output ŷ[r, j] is summed as `QuantizedProduct.rows` sums it for one
// row x: two vector accumulators over steps of 16 (the even and odd halves),
// their sum reduced by `sum()`, the scalar tail, then times s_j (then + b_j).
// So every row of the batched product equals `multiply(x_r)` bit for bit
// (tested), and a batched int8 step samples exactly the tokens each sequence
// gets alone. `multiplyNaive(batch:)` is the naive twin: the formula's loop
// for each row.

import BackpropCore

extension QuantizedMatrix {
    /// Ŷ [b, rows] for X [b, columns]: `multiplyNaive` on each row.
    public func multiplyNaive(batch x: [Float], rows b: Int, bias: [Float]? = nil) -> [Float] {
        precondition(b > 0 && x.count == b * columns, "QuantizedMatrix: X [b, in]")
        return (0..<b).flatMap { multiplyNaive(Array(x[($0 * columns)..<(($0 + 1) * columns)]), bias: bias) }
    }

    /// Ŷ [b, rows] for X [b, columns], blocks of q applied to all rows
    /// (see the file header); row r bit-identical to `multiply(x_r)`. On
    /// the calling thread, as chapter 7's `BatchedProjection`.
    public func multiply(batch x: [Float], rows b: Int, bias: [Float]? = nil) -> [Float] {
        precondition(b > 0 && x.count == b * columns && (bias == nil || bias!.count == rows), "QuantizedMatrix: X [b, in], bias [out]")
        let n = columns, out = rows, block = Self.batchBlockRows(n)
        var y = [Float](repeating: 0, count: b * out)
        let scratch = ScratchPool.shared.take(bytes: 4 * block * n)
        defer { ScratchPool.shared.give(scratch) }
        let levels = scratch.pointer.bindMemory(to: Float.self, capacity: block * n)
        values.withUnsafeBufferPointer { pq in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    let (q, x, y) = (pq.baseAddress!, px.baseAddress!, py.baseAddress!)
                    var o0 = 0
                    while o0 < out {
                        let count = min(block, out - o0)
                        Self.convert(q + o0 * n, levels, count: count * n)                  // exact
                        var o = 0
                        while o + 2 <= count {                                             // pairs of W rows
                            var r = 0
                            while r + 2 <= b {
                                Self.pairSums(n, levels + o * n, x + r * n, x + (r + 1) * n,
                                              y + r * out + o0 + o, y + (r + 1) * out + o0 + o)
                                r += 2
                            }
                            if r < b {
                                y[r * out + o0 + o] = Self.rowSum(n, levels + o * n, x + r * n)
                                y[r * out + o0 + o + 1] = Self.rowSum(n, levels + (o + 1) * n, x + r * n)
                            }
                            o += 2
                        }
                        if o < count {
                            for r in 0..<b { y[r * out + o0 + o] = Self.rowSum(n, levels + o * n, x + r * n) }
                        }
                        o0 += count
                    }
                    for r in 0..<b {
                        for j in 0..<out { y[r * out + j] = scales[j] * y[r * out + j] }
                        if let bias { for j in 0..<out { y[r * out + j] += bias[j] } }
                    }
                }
            }
        }
        return y
    }

    /// out[i] = Float(q[i]) for i < count; exact. A plain loop over
    /// pointers, which the compiler vectorizes (vpmovsxbd + vcvtdq2ps,
    /// checked in the disassembly). Two pitfalls measured here: indexing
    /// with checked arithmetic inside the loop (q[o0·n + i]) kept it scalar,
    /// one vcvtsi2ss per level and a third of the batched product's time;
    /// and writing it with SIMD8 conversions, as the one-row kernel does,
    /// made the optimizer outline those conversions as calls in both
    /// places, which cut the one-row kernel to a third of its speed.
    static func convert(_ q: UnsafePointer<Int8>, _ out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = Float(q[i]) }
    }

    /// W rows per block: about 16 KiB of floats, at least two.
    static func batchBlockRows(_ n: Int) -> Int { max(2, 4096 / n / 2 * 2) }

    @inline(__always) static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Σ_i w[i] x[i] in `QuantizedProduct.rows`'s order (before the scale).
    @inline(__always) static func rowSum(_ n: Int, _ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>) -> Float {
        let full = n - n % 16
        var a = SIMD8<Float>(), b = SIMD8<Float>(), i = 0
        while i < full {
            a.addProduct(load(w, i), load(x, i))
            b.addProduct(load(w, i + 8), load(x, i + 8))
            i += 16
        }
        var t = (a + b).sum()
        while i < n { t += w[i] * x[i]; i += 1 }
        return t
    }

    /// The four sums of W rows w, w + n against X rows x0, x1, each in
    /// `rowSum`'s order; y0[0], y0[1] get row x0's, y1[0], y1[1] row x1's.
    @inline(__always) static func pairSums(_ n: Int, _ w: UnsafePointer<Float>, _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>,
                                           _ y0: UnsafeMutablePointer<Float>, _ y1: UnsafeMutablePointer<Float>) {
        let full = n - n % 16, w1 = w + n
        var a00 = SIMD8<Float>(), b00 = SIMD8<Float>(), a10 = SIMD8<Float>(), b10 = SIMD8<Float>()   // (W row, X row)
        var a01 = SIMD8<Float>(), b01 = SIMD8<Float>(), a11 = SIMD8<Float>(), b11 = SIMD8<Float>()
        var i = 0
        while i < full {
            let u0 = load(w, i), u1 = load(w1, i), p0 = load(x0, i), p1 = load(x1, i)
            a00.addProduct(u0, p0); a10.addProduct(u1, p0); a01.addProduct(u0, p1); a11.addProduct(u1, p1)
            let v0 = load(w, i + 8), v1 = load(w1, i + 8), q0 = load(x0, i + 8), q1 = load(x1, i + 8)
            b00.addProduct(v0, q0); b10.addProduct(v1, q0); b01.addProduct(v0, q1); b11.addProduct(v1, q1)
            i += 16
        }
        var t00 = (a00 + b00).sum(), t10 = (a10 + b10).sum(), t01 = (a01 + b01).sum(), t11 = (a11 + b11).sum()
        while i < n {
            t00 += w[i] * x0[i]; t10 += w1[i] * x0[i]; t01 += w[i] * x1[i]; t11 += w1[i] * x1[i]
            i += 1
        }
        y0[0] = t00; y0[1] = t10; y1[0] = t01; y1[1] = t11
    }
}
