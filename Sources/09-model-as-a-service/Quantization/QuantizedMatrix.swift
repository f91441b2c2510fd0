// QuantizedMatrix: a weight matrix W [out, in] stored as int8 with one
// float scale per output row (per-channel symmetric quantization), and the
// product y = Ŵ x + b with float32 activations (weight-only quantization).
//
//   scale     s_j = max_i |W_ji| / 127              (a row of zeros: s_j = 0)
//   quantize  q_ji = round(W_ji / s_j) ∈ [−127, 127]
//   product   ŷ_j = s_j · Σ_i q_ji x_i + b_j
//
// The error bound. Rounding moves W_ji / s_j by at most one half, so each
// dequantized weight s_j q_ji is within s_j / 2 of W_ji:
//
//   |W_ji − s_j q_ji| = s_j · |W_ji / s_j − round(W_ji / s_j)| ≤ s_j / 2.
//
// The output error is a sum of these, each times its input:
//
//   |y_j − ŷ_j| = |Σ_i (W_ji − s_j q_ji) x_i| ≤ Σ_i (s_j / 2) |x_i| = (s_j / 2) ‖x‖₁,
//
// plus the float rounding of the sums (about n·2⁻²⁴ of Σ_i |W_ji x_i|). The
// bound is reached when every weight sits halfway between two levels and
// each x_i has the sign of its weight's error (a test builds that case).
// Relative to the row's largest weight, s_j / 2 = max|W_j| / 254: the
// weights keep about 8 bits, each row on its own scale, so one row of large
// weights does not cost the others their precision (a single scale for the
// whole matrix would).
//
// Memory: in·out bytes plus 4·out for the scales, against 4·in·out bytes of
// float32: 3.9× smaller for a 128 × 128 matrix. The products of a decoding
// step read every weight once, so they read a quarter of the bytes.
//
// Two twins, tested to agree: `multiplyNaive` is the formula as a loop;
// `multiply` converts eight int8 weights at a time to floats in registers
// (sign-extend, convert), keeps eight independent FMA accumulators over four
// rows, applies the row's scale once after its sum, and shares rows between
// both cores with BackpropCore's SpinTeam for decode-size products, like
// chapter 7's `RowProjection.parallelMatvec`.

import BackpropCore

/// A weight matrix quantized to int8 per output row.
public struct QuantizedMatrix: Sendable, Equatable {
    /// out (rows, output channels) and in (columns).
    public let rows: Int, columns: Int
    /// q [rows, columns] row-major, each in −127…127.
    public let values: [Int8]
    /// s [rows]: row j's weights are approximately scales[j] · values[j, ·].
    public let scales: [Float]

    /// Quantizes W [rows, columns] (row-major) with one scale per row.
    /// - Throws: `QuantizationError.shape` if `weights.count != rows·columns`,
    ///   `.nonFinite` for an infinite or NaN weight (it has no scale).
    public init(_ weights: [Float], rows: Int, columns: Int) throws {
        guard rows >= 0, columns > 0, weights.count == rows * columns else {
            throw QuantizationError.shape(expected: [rows, columns], count: weights.count)
        }
        if let bad = weights.firstIndex(where: { !$0.isFinite }) {
            throw QuantizationError.nonFinite(row: bad / columns, column: bad % columns)
        }
        var q = [Int8](repeating: 0, count: weights.count), s = [Float](repeating: 0, count: rows)
        for j in 0..<rows {
            let row = weights[(j * columns)..<((j + 1) * columns)]
            let m = row.reduce(0) { max($0, abs($1)) }
            guard m > 0 else { continue }            // all zeros: q = 0, s = 0
            s[j] = m / 127
            for (i, w) in row.enumerated() { q[j * columns + i] = Int8(min(127, max(-127, (w / s[j]).rounded()))) }
        }
        (self.rows, self.columns, values, scales) = (rows, columns, q, s)
    }

    /// Bytes of the int8 weights and their scales.
    public var byteCount: Int { values.count + 4 * scales.count }
    /// Bytes the same matrix takes in float32.
    public var floatByteCount: Int { 4 * rows * columns }

    /// Ŵ = s_j q_ji as floats [rows, columns].
    public func dequantized() -> [Float] {
        (0..<(rows * columns)).map { scales[$0 / columns] * Float(values[$0]) }
    }

    /// ŷ_j = s_j · Σ_i q_ji x_i (+ b_j), one scalar at a time in the order of
    /// the formula: the reference for `multiply`.
    public func multiplyNaive(_ x: [Float], bias: [Float]? = nil) -> [Float] {
        precondition(x.count == columns && (bias == nil || bias!.count == rows), "QuantizedMatrix: x [in], bias [out]")
        return (0..<rows).map { j in
            var sum: Float = 0
            for i in 0..<columns { sum += Float(values[j * columns + i]) * x[i] }
            return scales[j] * sum + (bias?[j] ?? 0)
        }
    }

    /// ŷ = diag(s) q x (+ b) with the SIMD kernel; on both cores when the
    /// matrix has at least `parallelThreshold` entries.
    public func multiply(_ x: [Float], bias: [Float]? = nil) -> [Float] {
        precondition(x.count == columns && (bias == nil || bias!.count == rows), "QuantizedMatrix: x [in], bias [out]")
        var y = [Float](repeating: 0, count: rows)
        values.withUnsafeBytes { q in
            scales.withUnsafeBufferPointer { s in
                x.withUnsafeBufferPointer { x in
                    y.withUnsafeMutableBufferPointer { y in
                        let chunkRows = max(4, Self.chunkEntries / columns / 4 * 4)
                        var job = QuantizedProduct(q: q.baseAddress!, s: s.baseAddress!, x: x.baseAddress!, y: y.baseAddress!,
                                                   n: columns, out: rows, chunkRows: chunkRows)
                        if rows * columns >= Self.parallelThreshold, let team = SpinTeam.shared {
                            withUnsafePointer(to: &job) {
                                team.run(chunks: (rows + chunkRows - 1) / chunkRows, context: UnsafeRawPointer($0), quantizedProductChunk)
                            }
                        } else {
                            job.rows(0..<rows)
                        }
                    }
                }
            }
        }
        if let bias { for j in 0..<rows { y[j] += bias[j] } }
        return y
    }

    /// Ŷ for the rows of X [m, columns] at once (a prefill):
    /// Y = (X qᵀ) diag(s) (+ b) [m, rows]. The levels are converted to
    /// floats in a scratch buffer taken from BackpropCore's `ScratchPool`
    /// (reused from call to call, so no page faults) and multiplied by the
    /// core's packed GEMM in one call; each output column is then scaled by
    /// its s_j. The formula of `multiply`, summed in another order.
    public func multiply(rows x: [Float], bias: [Float]? = nil) -> [Float] {
        precondition(x.count % columns == 0 && (bias == nil || bias!.count == rows), "QuantizedMatrix: X [m, in], bias [out]")
        let m = x.count / columns
        var y = [Float](repeating: 0, count: m * rows)
        let scratch = ScratchPool.shared.take(bytes: 4 * rows * columns)
        defer { ScratchPool.shared.give(scratch) }
        let levels = scratch.pointer.bindMemory(to: Float.self, capacity: rows * columns)
        x.withUnsafeBufferPointer { px in
            values.withUnsafeBufferPointer { pq in
                y.withUnsafeMutableBufferPointer { py in
                    let (q, y) = (pq.baseAddress!, py.baseAddress!)
                    Self.convert(q, levels, count: rows * columns)                      // vectorized, exact
                    Backend.simd.kernels.matmul(.nt, m: m, n: rows, k: columns, px.baseAddress!, levels, y, accumulate: false)
                    for r in 0..<m {
                        for j in 0..<rows { y[r * rows + j] = scales[j] * y[r * rows + j] + (bias?[j] ?? 0) }
                    }
                }
            }
        }
        return y
    }

    /// The smallest matrix (entries) shared between two cores: 128 × 128,
    /// every product of the baby GPT's blocks (as for float32 in chapter 7).
    public static let parallelThreshold = 128 * 128
    /// Weights per chunk of rows the two threads claim in turn (8 KiB: 64
    /// rows of 128, so a 128 × 128 product is two chunks, 384 × 128 six;
    /// with 32 KiB chunks the first had one chunk and no second core).
    static let chunkEntries = 8192
}

/// Why a matrix could not be quantized.
public enum QuantizationError: Error, Equatable, CustomStringConvertible {
    case shape(expected: [Int], count: Int)
    case nonFinite(row: Int, column: Int)
    case unsupported(String)
    case unknownFormat(String, known: [String])

    public var description: String {
        switch self {
        case .shape(let e, let n): return "quantization: a matrix of shape \(e) needs \(e.reduce(1, *)) weights, got \(n)"
        case .nonFinite(let r, let c): return "quantization: weight [\(r), \(c)] is not finite, so its row has no scale"
        case .unsupported(let what): return "quantization: \(what)"
        case .unknownFormat(let f, let known): return "quantization: unknown weight format '\(f)'; known: \(known.joined(separator: ", "))"
        }
    }
}

/// One product's pointers and sizes, for the kernel and the team's chunks.
struct QuantizedProduct {
    let q: UnsafeRawPointer, s: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    let n: Int, out: Int, chunkRows: Int

    /// Eight int8 weights at byte offset `i`, as floats (vpmovsxbd + vcvtdq2ps).
    @inline(__always) func weights(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: row.loadUnaligned(fromByteOffset: i, as: SIMD8<Int8>.self)))
    }

    @inline(__always) func input(_ i: Int) -> SIMD8<Float> { UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) }

    /// y[o] = s[o] · Σ_i q[o, i] x[i] for o in `range`: four rows at a time,
    /// two accumulators each (eight FMA chains), each load of x serving four
    /// rows; one horizontal sum per row after its loop, then its scale.
    func rows(_ range: Range<Int>) {
        let full = n - n % 16
        var o = range.lowerBound
        while o + 4 <= range.upperBound {
            let r0 = q + o * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n
            var a0 = SIMD8<Float>(), b0 = SIMD8<Float>(), a1 = SIMD8<Float>(), b1 = SIMD8<Float>()
            var a2 = SIMD8<Float>(), b2 = SIMD8<Float>(), a3 = SIMD8<Float>(), b3 = SIMD8<Float>()
            var i = 0
            while i < full {
                let x0 = input(i), x1 = input(i + 8)
                a0.addProduct(weights(r0, i), x0); b0.addProduct(weights(r0, i + 8), x1)
                a1.addProduct(weights(r1, i), x0); b1.addProduct(weights(r1, i + 8), x1)
                a2.addProduct(weights(r2, i), x0); b2.addProduct(weights(r2, i + 8), x1)
                a3.addProduct(weights(r3, i), x0); b3.addProduct(weights(r3, i + 8), x1)
                i += 16
            }
            var t0 = (a0 + b0).sum(), t1 = (a1 + b1).sum(), t2 = (a2 + b2).sum(), t3 = (a3 + b3).sum()
            while i < n {
                let xi = x[i]
                t0 += Float(r0.load(fromByteOffset: i, as: Int8.self)) * xi
                t1 += Float(r1.load(fromByteOffset: i, as: Int8.self)) * xi
                t2 += Float(r2.load(fromByteOffset: i, as: Int8.self)) * xi
                t3 += Float(r3.load(fromByteOffset: i, as: Int8.self)) * xi
                i += 1
            }
            y[o] = s[o] * t0; y[o + 1] = s[o + 1] * t1; y[o + 2] = s[o + 2] * t2; y[o + 3] = s[o + 3] * t3
            o += 4
        }
        while o < range.upperBound {
            let r = q + o * n
            var a = SIMD8<Float>(), b = SIMD8<Float>(), i = 0
            while i < full {
                a.addProduct(weights(r, i), input(i))
                b.addProduct(weights(r, i + 8), input(i + 8))
                i += 16
            }
            var t = (a + b).sum()
            while i < n { t += Float(r.load(fromByteOffset: i, as: Int8.self)) * x[i]; i += 1 }
            y[o] = s[o] * t
            o += 1
        }
    }
}

/// Chunk c of a shared product (a C function pointer for `SpinTeam`).
private func quantizedProductChunk(_ context: UnsafeRawPointer, _ c: Int) {
    let job = context.load(as: QuantizedProduct.self)
    job.rows((c * job.chunkRows)..<min(job.out, (c + 1) * job.chunkRows))
}
