// The weight-gradient product of Im2colConvolution, dW += dY·X̂ᵀ, without
// packing (ConvolutionGEMM.swift explains why packing does not pay here).
//
// Each element dW[o, r] = Σ_q dY[o, q]·X̂[r, q] is a dot product of two rows
// that are both contiguous in q, over a long q (all output pixels of a
// group of images). So the tile is 3 rows of dY × 4 rows of X̂: 12 vector
// accumulators, each step loads 7 vectors and does 12 FMAs, and each
// accumulator is summed across its lanes once, at the end of the group.
// dY is read in place, image by image (dY[image] is [C_out, HW]); X̂ holds
// the group's images side by side, so no gather copy is needed.
//
// Floating point: every dW[o, r] gets the same N·HW products as the naive
// loop, summed in lanes (q mod w), the lanes then added together, plus a
// scalar tail when HW is not a multiple of the vector width; then added to
// the old dW. A reassociation of the same terms: within
// (t + 2)·ε·Σ|terms| of the naive sum, the bound the twin tests state.

import BackpropCore

extension ConvolutionGEMM {
    /// dw[o·k + r] += Σ over images i and pixels q of dy[i·dyImageStride + o·hw + q] · cols[r·ldCols + i·hw + q],
    /// for o < outChannels, r < k.
    @inline(__always)
    static func weightGradient<T: TensorScalar>(
        outChannels m: Int, k: Int, hw: Int, images: Int,
        dy: UnsafePointer<T>, dyImageStride: Int,
        cols: UnsafePointer<T>, ldCols: Int,
        dw: UnsafeMutablePointer<T>
    ) {
        typealias V = T.Vector
        let w = V.scalarCount
        let vectorEnd = hw / w * w
        // X̂ rows outside, dY rows inside: the tile's four X̂ rows stay in L1
        // while every dY row (the smaller operand) passes by.
        var r0 = 0
        while r0 < k {
            let validR = min(4, k - r0)
            var o0 = 0
            while o0 < m {
                let validO = min(3, m - o0)
                // Missing rows re-read the last valid row; their sums are dropped.
                let o1 = o0 + min(1, validO - 1), o2 = o0 + min(2, validO - 1)
                let r1 = r0 + min(1, validR - 1), r2 = r0 + min(2, validR - 1), r3 = r0 + min(3, validR - 1)
                var s00 = V(), s01 = V(), s02 = V(), s03 = V()
                var s10 = V(), s11 = V(), s12 = V(), s13 = V()
                var s20 = V(), s21 = V(), s22 = V(), s23 = V()
                var t = (T(0), T(0), T(0), T(0), T(0), T(0), T(0), T(0), T(0), T(0), T(0), T(0))
                for image in 0..<images {
                    let d = dy + image * dyImageStride, x = cols + image * hw
                    let d0 = UnsafeRawPointer(d + o0 * hw), d1 = UnsafeRawPointer(d + o1 * hw), d2 = UnsafeRawPointer(d + o2 * hw)
                    let x0 = UnsafeRawPointer(x + r0 * ldCols), x1 = UnsafeRawPointer(x + r1 * ldCols)
                    let x2 = UnsafeRawPointer(x + r2 * ldCols), x3 = UnsafeRawPointer(x + r3 * ldCols)
                    var offset = 0
                    let end = vectorEnd * MemoryLayout<T>.stride, step = w * MemoryLayout<T>.stride
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
                    if vectorEnd < hw {
                        let e0 = d + o0 * hw, e1 = d + o1 * hw, e2 = d + o2 * hw
                        let y0 = x + r0 * ldCols, y1 = x + r1 * ldCols, y2 = x + r2 * ldCols, y3 = x + r3 * ldCols
                        for q in vectorEnd..<hw {
                            t.0 += e0[q] * y0[q]; t.1 += e0[q] * y1[q]; t.2 += e0[q] * y2[q]; t.3 += e0[q] * y3[q]
                            t.4 += e1[q] * y0[q]; t.5 += e1[q] * y1[q]; t.6 += e1[q] * y2[q]; t.7 += e1[q] * y3[q]
                            t.8 += e2[q] * y0[q]; t.9 += e2[q] * y1[q]; t.10 += e2[q] * y2[q]; t.11 += e2[q] * y3[q]
                        }
                    }
                }
                @inline(__always) func add(_ o: Int, _ r: Int, _ s: V, _ extra: T) {
                    if o < validO && r < validR { dw[(o0 + o) * k + r0 + r] += s.sum() + extra }
                }
                add(0, 0, s00, t.0); add(0, 1, s01, t.1); add(0, 2, s02, t.2); add(0, 3, s03, t.3)
                add(1, 0, s10, t.4); add(1, 1, s11, t.5); add(1, 2, s12, t.6); add(1, 3, s13, t.7)
                add(2, 0, s20, t.8); add(2, 1, s21, t.9); add(2, 2, s22, t.10); add(2, 3, s23, t.11)
                o0 += 3
            }
            r0 += 4
        }
    }
}
