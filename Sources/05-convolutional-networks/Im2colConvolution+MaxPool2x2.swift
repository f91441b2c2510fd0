// The fast twin's max pooling for the window every network in this chapter
// uses: 2×2, stride 2, no padding, no dilation (`isPair2x2`). The general
// scan in Im2colConvolution+Pooling.swift decides "is this tap the new
// maximum?" with a branch per tap; on real activations that branch is a coin
// toss, and the mispredictions cost about ten cycles per input element
// (measured: 0.48 ms for the digits CNN's [64, 32, 8, 8] input, a quarter of
// its training step). Here the decision is a select: no branch depends on
// the data.
//
// Same result, bit for bit, as the scan of the contract
// (ConvolutionKernels.swift): the taps are visited in the scan's order
// (top-left, top-right, bottom-left, bottom-right), and each replaces the
// running maximum when it is greater or NaN, exactly the naive rule
// (`index < 0` only holds at the first tap, which is always taken). So ties
// keep the first maximum, a NaN wins over numbers, and a later NaN over an
// earlier one, as in the naive loop. With an odd H or W the last row or
// column belongs to no window and is not read.

import BackpropCore

extension Im2colConvolution {
    /// The non-overlapping 2×2 window: kernel 2×2, stride 2, padding 0, dilation 1.
    static func isPair2x2(_ g: ConvolutionGeometry) -> Bool {
        g.kernelHeight == 2 && g.kernelWidth == 2 && g.stride == 2 && g.padding == 0 && g.dilation == 1
    }

    /// Max pooling of planes `planes` with the 2×2 window (see the file comment).
    @inline(__always)
    static func maxPool2x2<T: TensorScalar>(
        _ g: ConvolutionGeometry, planes: Range<Int>, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>,
        _ argmax: UnsafeMutablePointer<Int32>
    ) {
        if T.self == Float.self {
            maxPool2x2Float(g, planes: planes, UnsafeRawPointer(x).assumingMemoryBound(to: Float.self),
                            UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), argmax)
            return
        }
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        for plane in planes {
            let xp = x + (plane &* H &* W)
            let out = plane &* (Ho &* Wo)
            for i in 0..<Ho {
                maxPool2x2Scalar(xp, top: 2 &* i &* W, width: W, columns: 0..<Wo, y + (out &+ i &* Wo), argmax + (out &+ i &* Wo))
            }
        }
    }

    /// Output columns `columns` of one output row whose window's top-left tap
    /// is xp[top + 2j], one window at a time (the naive scan, branching).
    @inline(__always)
    static func maxPool2x2Scalar<T: TensorScalar>(
        _ xp: UnsafePointer<T>, top: Int, width W: Int, columns: Range<Int>,
        _ y: UnsafeMutablePointer<T>, _ argmax: UnsafeMutablePointer<Int32>
    ) {
        for j in columns {
            let a = top &+ 2 &* j, c = a &+ W
            var best = xp[a], index = a
            @inline(__always) func consider(_ at: Int) {
                let value = xp[at]
                if value > best || value.isNaN { best = value; index = at }
            }
            consider(a &+ 1)
            consider(c)
            consider(c &+ 1)
            y[j] = best
            argmax[j] = Int32(truncatingIfNeeded: index)
        }
    }

    /// Float: eight (then four) windows at a time. A row of taps is loaded as
    /// one vector and split into its even lanes (left taps) and odd lanes
    /// (right taps); "greater or NaN" is a lane mask and the update a blend,
    /// so no branch depends on the data. Leftover columns (fewer than four)
    /// take the scalar scan.
    static func maxPool2x2Float(
        _ g: ConvolutionGeometry, planes: Range<Int>, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        _ argmax: UnsafeMutablePointer<Int32>
    ) {
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let lanes8 = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14), lanes4 = SIMD4<Int32>(0, 2, 4, 6)
        let w8 = SIMD8<Int32>(repeating: Int32(W)), w4 = SIMD4<Int32>(repeating: Int32(W))
        for plane in planes {
            let xp = x + (plane &* H &* W)
            let out = plane &* (Ho &* Wo)
            for i in 0..<Ho {
                let top = 2 &* i &* W
                let yRow = y + (out &+ i &* Wo), aRow = argmax + (out &+ i &* Wo)
                let topRow = UnsafeRawPointer(xp + top), bottomRow = UnsafeRawPointer(xp + (top &+ W))
                var j = 0
                while j &+ 8 <= Wo {
                    let t = topRow.loadUnaligned(fromByteOffset: 8 &* j, as: SIMD16<Float>.self)
                    let b = bottomRow.loadUnaligned(fromByteOffset: 8 &* j, as: SIMD16<Float>.self)
                    let index = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: top &+ 2 &* j)) &+ lanes8
                    var best = t.evenHalf, at = index
                    @inline(__always) func consider(_ value: SIMD8<Float>, _ position: SIMD8<Int32>) {
                        let take = (value .> best) .| (value .!= value)
                        best.replace(with: value, where: take)
                        at.replace(with: position, where: take)
                    }
                    consider(t.oddHalf, index &+ 1)
                    consider(b.evenHalf, index &+ w8)
                    consider(b.oddHalf, index &+ w8 &+ 1)
                    UnsafeMutableRawPointer(yRow + j).storeBytes(of: best, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(aRow + j).storeBytes(of: at, as: SIMD8<Int32>.self)
                    j &+= 8
                }
                if j &+ 4 <= Wo {
                    let t = topRow.loadUnaligned(fromByteOffset: 8 &* j, as: SIMD8<Float>.self)
                    let b = bottomRow.loadUnaligned(fromByteOffset: 8 &* j, as: SIMD8<Float>.self)
                    let index = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: top &+ 2 &* j)) &+ lanes4
                    var best = t.evenHalf, at = index
                    @inline(__always) func consider(_ value: SIMD4<Float>, _ position: SIMD4<Int32>) {
                        let take = (value .> best) .| (value .!= value)
                        best.replace(with: value, where: take)
                        at.replace(with: position, where: take)
                    }
                    consider(t.oddHalf, index &+ 1)
                    consider(b.evenHalf, index &+ w4)
                    consider(b.oddHalf, index &+ w4 &+ 1)
                    UnsafeMutableRawPointer(yRow + j).storeBytes(of: best, as: SIMD4<Float>.self)
                    UnsafeMutableRawPointer(aRow + j).storeBytes(of: at, as: SIMD4<Int32>.self)
                    j &+= 4
                }
                maxPool2x2Scalar(xp, top: top, width: W, columns: j..<Wo, yRow, aRow)
            }
        }
    }
}
