// The pooling half of the fast twin (Im2colConvolution.swift has the
// convolutions): the same taps in the same order as NaiveConvolution, so the
// results are bit-identical, but with each row's and column's in-bounds tap
// range computed once instead of testing every tap, and planes split over
// both cores for large inputs.

import BackpropCore
import Dispatch
import Foundation

extension Im2colConvolution {

    /// Max pooling: the naive scan (same taps, same order, same tie and NaN
    /// rule) with the in-bounds tap ranges computed once per row and column
    /// instead of testing every tap; planes split over cores when large.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func maxPoolForward<T: TensorScalar>(
        _ g: ConvolutionGeometry, input: UnsafePointer<T>, output: UnsafeMutablePointer<T>,
        argmax: UnsafeMutablePointer<Int32>
    ) {
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (s, p, d) = (g.stride, g.padding, g.dilation)
        let rows = TapRanges(out: Ho, size: H, kernel: g.kernelHeight, s, p, d)
        let columns = TapRanges(out: Wo, size: W, kernel: g.kernelWidth, s, p, d)
        nonisolated(unsafe) let (x, y, indices) = (input, output, argmax)
        if isPair2x2(g) {
            forEachPlaneChunk(g) { planes in maxPool2x2(g, planes: planes, x, y, indices) }
            return
        }
        forEachPlaneChunk(g) { planes in
            for plane in planes {
                let xp = x + plane * H * W
                var out = plane * Ho * Wo
                for i in 0..<Ho {
                    let (u0, u1) = rows[i]
                    let h0 = i * s - p
                    for j in 0..<Wo {
                        let (v0, v1) = columns[j]
                        let w0 = j * s - p
                        var best = -T.infinity
                        var index = -1
                        var u = u0
                        while u < u1 {
                            let rowStart = (h0 + u * d) * W + w0
                            var v = v0
                            while v < v1 {
                                let at = rowStart + v * d
                                let value = xp[at]
                                if index < 0 || value > best || value.isNaN { best = value; index = at }
                                v += 1
                            }
                            u += 1
                        }
                        y[out] = best
                        indices[out] = Int32(truncatingIfNeeded: index)
                        out += 1
                    }
                }
            }
        }
    }

    /// dx = 0, then dx[plane, argmax] += dy, plane by plane (same order as naive).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func maxPoolBackward<T: TensorScalar>(
        _ g: ConvolutionGeometry, outputGradient: UnsafePointer<T>, argmax: UnsafePointer<Int32>,
        inputGradient: UnsafeMutablePointer<T>
    ) {
        let planeIn = g.height * g.width, planeOut = g.outHeight * g.outWidth
        nonisolated(unsafe) let (dy, indices, dx) = (outputGradient, argmax, inputGradient)
        forEachPlaneChunk(g) { planes in
            dx.advanced(by: planes.lowerBound * planeIn).update(repeating: 0, count: planes.count * planeIn)
            for plane in planes {
                let dxp = dx + plane * planeIn
                let base = plane * planeOut
                for q in 0..<planeOut {
                    let index = Int(indices[base + q])
                    if index >= 0 { dxp[index] += dy[base + q] }
                }
            }
        }
    }

    /// Average pooling: in-bounds taps only, summed in the naive order, then
    /// divided by k_h·k_w (bit-identical to the naive twin).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func averagePoolForward<T: TensorScalar>(
        _ g: ConvolutionGeometry, input: UnsafePointer<T>, output: UnsafeMutablePointer<T>
    ) {
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (s, p, d) = (g.stride, g.padding, g.dilation)
        let rows = TapRanges(out: Ho, size: H, kernel: g.kernelHeight, s, p, d)
        let columns = TapRanges(out: Wo, size: W, kernel: g.kernelWidth, s, p, d)
        let divisor = T(g.kernelHeight * g.kernelWidth)
        nonisolated(unsafe) let (x, y) = (input, output)
        forEachPlaneChunk(g) { planes in
            for plane in planes {
                let xp = x + plane * H * W
                var out = plane * Ho * Wo
                for i in 0..<Ho {
                    let (u0, u1) = rows[i]
                    let h0 = i * s - p
                    for j in 0..<Wo {
                        let (v0, v1) = columns[j]
                        let w0 = j * s - p
                        var sum: T = 0
                        var u = u0
                        while u < u1 {
                            let row = xp + (h0 + u * d) * W + w0
                            var v = v0
                            while v < v1 { sum += row[v * d]; v += 1 }
                            u += 1
                        }
                        y[out] = sum / divisor
                        out += 1
                    }
                }
            }
        }
    }

    /// dx = 0, then each dy / (k_h·k_w) scattered over its in-bounds taps.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func averagePoolBackward<T: TensorScalar>(
        _ g: ConvolutionGeometry, outputGradient: UnsafePointer<T>, inputGradient: UnsafeMutablePointer<T>
    ) {
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (s, p, d) = (g.stride, g.padding, g.dilation)
        let rows = TapRanges(out: Ho, size: H, kernel: g.kernelHeight, s, p, d)
        let columns = TapRanges(out: Wo, size: W, kernel: g.kernelWidth, s, p, d)
        let divisor = T(g.kernelHeight * g.kernelWidth)
        nonisolated(unsafe) let (dy, dx) = (outputGradient, inputGradient)
        forEachPlaneChunk(g) { planes in
            dx.advanced(by: planes.lowerBound * H * W).update(repeating: 0, count: planes.count * H * W)
            for plane in planes {
                let dxp = dx + plane * H * W
                var out = plane * Ho * Wo
                for i in 0..<Ho {
                    let (u0, u1) = rows[i]
                    let h0 = i * s - p
                    for j in 0..<Wo {
                        let (v0, v1) = columns[j]
                        let w0 = j * s - p
                        let share = dy[out] / divisor
                        var u = u0
                        while u < u1 {
                            let row = dxp + (h0 + u * d) * W + w0
                            var v = v0
                            while v < v1 { row[v * d] += share; v += 1 }
                            u += 1
                        }
                        out += 1
                    }
                }
            }
        }
    }
}
