// The weight-gradient product of Im2colConvolution, dW += dY·X̂ᵀ, without
// packing (ConvolutionGEMM.swift explains why packing does not pay here).
//
// Each element dW[o, r] = Σ_q dY[o, q]·X̂[r, q] is a dot product of two rows
// that are both contiguous in q, over a long q (all output pixels of a
// group of images, dY gathered image-major like X̂'s columns). So the tile
// is 3 rows of dY × 4 rows of X̂: 12 vector accumulators, each step loads 7
// vectors and does 12 FMAs, and each accumulator is summed across its lanes
// once per group. The X̂ rows are the outer loop: a tile's four X̂ rows stay
// in L1 while the rows of dY (the smaller operand) pass by.
//
// Measured on one thread against the core's packed GEMM (which copies both
// operands into panels first): the digits CNN's conv(16→32) 679 → 554 µs,
// LeNet-5's conv(6→16) 682 → 507 µs, conv(1→6) 885 → 288 µs. The tile loop
// must run over whole groups: with dY read image by image (64 pixels, 8
// steps, then a loop exit) the same tiles were slower than the packed GEMM.
//
// Floating point: every dW[o, r] gets the same products as the naive loop,
// summed in lanes (q mod w), the lanes then added together, plus a scalar
// tail when n is not a multiple of the vector width; then added to the old
// dW. A reassociation of the same terms: within (t + 2)·ε·Σ|terms| of the
// naive sum, the bound the twin tests state.

import BackpropCore

extension ConvolutionGEMM {
    /// dw[o·k + r] += Σ_{q < n} dy[o·n + q] · cols[r·n + q] for o < outChannels, r < k.
    @inline(__always)
    static func weightGradient<T: TensorScalar>(
        outChannels m: Int, k: Int, n: Int, dy: UnsafePointer<T>, cols: UnsafePointer<T>, dw: UnsafeMutablePointer<T>
    ) {
        typealias V = T.Vector
        let w = V.scalarCount, size = MemoryLayout<T>.stride
        let vectorEnd = n / w * w
        var r0 = 0
        while r0 < k {
            let validR = min(4, k - r0)
            // Missing rows re-read the last valid row; their sums are dropped.
            let r1 = r0 + min(1, validR - 1), r2 = r0 + min(2, validR - 1), r3 = r0 + min(3, validR - 1)
            let y0 = cols + r0 * n, y1 = cols + r1 * n, y2 = cols + r2 * n, y3 = cols + r3 * n
            let x0 = UnsafeRawPointer(y0), x1 = UnsafeRawPointer(y1), x2 = UnsafeRawPointer(y2), x3 = UnsafeRawPointer(y3)
            var o0 = 0
            while o0 < m {
                let validO = min(3, m - o0)
                let e0 = dy + o0 * n, e1 = dy + (o0 + min(1, validO - 1)) * n, e2 = dy + (o0 + min(2, validO - 1)) * n
                let d0 = UnsafeRawPointer(e0), d1 = UnsafeRawPointer(e1), d2 = UnsafeRawPointer(e2)
                var s00 = V(), s01 = V(), s02 = V(), s03 = V()
                var s10 = V(), s11 = V(), s12 = V(), s13 = V()
                var s20 = V(), s21 = V(), s22 = V(), s23 = V()
                var offset = 0
                let end = vectorEnd * size, step = w * size
                while offset < end {
                    let a0 = d0.loadUnaligned(fromByteOffset: offset, as: V.self)
                    let a1 = d1.loadUnaligned(fromByteOffset: offset, as: V.self)
                    let a2 = d2.loadUnaligned(fromByteOffset: offset, as: V.self)
                    var b = x0.loadUnaligned(fromByteOffset: offset, as: V.self)
                    s00 = s00.addingProduct(a0, b); s10 = s10.addingProduct(a1, b); s20 = s20.addingProduct(a2, b)
                    b = x1.loadUnaligned(fromByteOffset: offset, as: V.self)
                    s01 = s01.addingProduct(a0, b); s11 = s11.addingProduct(a1, b); s21 = s21.addingProduct(a2, b)
                    b = x2.loadUnaligned(fromByteOffset: offset, as: V.self)
                    s02 = s02.addingProduct(a0, b); s12 = s12.addingProduct(a1, b); s22 = s22.addingProduct(a2, b)
                    b = x3.loadUnaligned(fromByteOffset: offset, as: V.self)
                    s03 = s03.addingProduct(a0, b); s13 = s13.addingProduct(a1, b); s23 = s23.addingProduct(a2, b)
                    offset += step
                }
                @inline(__always) func add(_ o: Int, _ r: Int, _ s: V, _ e: UnsafePointer<T>, _ y: UnsafePointer<T>) {
                    guard o < validO && r < validR else { return }
                    var total = s.sum()
                    for q in vectorEnd..<n { total += e[q] * y[q] }
                    dw[(o0 + o) * k + r0 + r] += total
                }
                add(0, 0, s00, e0, y0); add(0, 1, s01, e0, y1); add(0, 2, s02, e0, y2); add(0, 3, s03, e0, y3)
                add(1, 0, s10, e1, y0); add(1, 1, s11, e1, y1); add(1, 2, s12, e1, y2); add(1, 3, s13, e1, y3)
                add(2, 0, s20, e2, y0); add(2, 1, s21, e2, y1); add(2, 2, s22, e2, y2); add(2, 3, s23, e2, y3)
                o0 += 3
            }
            r0 += 4
        }
    }
}
