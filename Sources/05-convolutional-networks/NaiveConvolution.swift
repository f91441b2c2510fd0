// NaiveConvolution: the reference convolution and pooling kernels.
//
// Contract
// - Implements `ConvolutionKernels` (ConvolutionKernels.swift) with one loop
//   nest per formula, indices named as in the formulas (n, o, c, i, j, u, v).
//   Every sum runs in a fixed, documented order; these are the ground truth
//   `Im2colConvolution` is tested against and the baseline benchmarks divide by.
// - Positions outside the input are skipped (they contribute zero, or −∞ for
//   max pooling), exactly as zero padding defines them.
// - Generic, and specialised for Float and Double with `@_specialize`, so the
//   loops run at compiled speed when called from other modules.

import BackpropCore

/// Convolution and pooling written as the formulas' loops.
public enum NaiveConvolution: ConvolutionKernels {
    public static let name = "naive"

    /// y[n,o,i,j] = b[o] + Σ_c Σ_u Σ_v w[o,c,u,v] · x[n, c, i·s − p + u·d, j·s − p + v·d].
    /// The sum starts from b[o] and adds the terms in c, u, v order.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func convolutionForward<T: TensorScalar>(
        _ g: ConvolutionGeometry, input x: UnsafePointer<T>, weight w: UnsafePointer<T>,
        bias b: UnsafePointer<T>?, output y: UnsafeMutablePointer<T>
    ) {
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (C, O, kh, kw) = (g.inChannels, g.outChannels, g.kernelHeight, g.kernelWidth)
        let (s, p, d) = (g.stride, g.padding, g.dilation)
        for n in 0..<g.batch {
            for o in 0..<O {
                for i in 0..<Ho {
                    for j in 0..<Wo {
                        var sum: T = b?[o] ?? 0
                        for c in 0..<C {
                            for u in 0..<kh {
                                let h = i * s - p + u * d
                                if h < 0 || h >= H { continue }
                                for v in 0..<kw {
                                    let wc = j * s - p + v * d
                                    if wc < 0 || wc >= W { continue }
                                    sum += w[((o * C + c) * kh + u) * kw + v] * x[((n * C + c) * H + h) * W + wc]
                                }
                            }
                        }
                        y[((n * O + o) * Ho + i) * Wo + j] = sum
                    }
                }
            }
        }
    }

    /// dx[n,c,h,w] = Σ_o Σ_u Σ_v w[o,c,u,v] · dy[n,o,i,j] over the windows that
    /// touched (h, w), written as its scatter form: zero dx, then for every
    /// output element and every tap, dx[n, c, i·s − p + u·d, j·s − p + v·d] += w·dy.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func convolutionBackwardInput<T: TensorScalar>(
        _ g: ConvolutionGeometry, outputGradient dy: UnsafePointer<T>, weight w: UnsafePointer<T>,
        inputGradient dx: UnsafeMutablePointer<T>
    ) {
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (C, O, kh, kw) = (g.inChannels, g.outChannels, g.kernelHeight, g.kernelWidth)
        let (s, p, d) = (g.stride, g.padding, g.dilation)
        dx.update(repeating: 0, count: g.batch * C * H * W)
        for n in 0..<g.batch {
            for o in 0..<O {
                for i in 0..<Ho {
                    for j in 0..<Wo {
                        let gradient = dy[((n * O + o) * Ho + i) * Wo + j]
                        for c in 0..<C {
                            for u in 0..<kh {
                                let h = i * s - p + u * d
                                if h < 0 || h >= H { continue }
                                for v in 0..<kw {
                                    let wc = j * s - p + v * d
                                    if wc < 0 || wc >= W { continue }
                                    dx[((n * C + c) * H + h) * W + wc] += w[((o * C + c) * kh + u) * kw + v] * gradient
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// dw[o,c,u,v] += Σ_n Σ_i Σ_j dy[n,o,i,j] · x[n, c, i·s − p + u·d, j·s − p + v·d];
    /// db[o] += Σ_n Σ_i Σ_j dy[n,o,i,j]. Each sum is formed in n, i, j order,
    /// then added to the existing gradient.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func convolutionBackwardWeight<T: TensorScalar>(
        _ g: ConvolutionGeometry, input x: UnsafePointer<T>, outputGradient dy: UnsafePointer<T>,
        weightGradient dw: UnsafeMutablePointer<T>, biasGradient db: UnsafeMutablePointer<T>?
    ) {
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (C, O, kh, kw) = (g.inChannels, g.outChannels, g.kernelHeight, g.kernelWidth)
        let (s, p, d) = (g.stride, g.padding, g.dilation)
        for o in 0..<O {
            for c in 0..<C {
                for u in 0..<kh {
                    for v in 0..<kw {
                        var sum: T = 0
                        for n in 0..<g.batch {
                            for i in 0..<Ho {
                                let h = i * s - p + u * d
                                if h < 0 || h >= H { continue }
                                for j in 0..<Wo {
                                    let wc = j * s - p + v * d
                                    if wc < 0 || wc >= W { continue }
                                    sum += dy[((n * O + o) * Ho + i) * Wo + j] * x[((n * C + c) * H + h) * W + wc]
                                }
                            }
                        }
                        dw[((o * C + c) * kh + u) * kw + v] += sum
                    }
                }
            }
            if let db {
                var sum: T = 0
                for n in 0..<g.batch {
                    for i in 0..<Ho {
                        for j in 0..<Wo { sum += dy[((n * O + o) * Ho + i) * Wo + j] }
                    }
                }
                db[o] += sum
            }
        }
    }

    /// y[n,c,i,j] = max_(u,v) x[n, c, i·s − p + u·d, j·s − p + v·d] (padding = −∞),
    /// argmax = h·W + w of the first maximum in u-then-v order (a NaN replaces
    /// the running maximum, as PyTorch's `val > max || isnan(val)`).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func maxPoolForward<T: TensorScalar>(
        _ g: ConvolutionGeometry, input x: UnsafePointer<T>, output y: UnsafeMutablePointer<T>,
        argmax: UnsafeMutablePointer<Int32>
    ) {
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (C, kh, kw) = (g.inChannels, g.kernelHeight, g.kernelWidth)
        let (s, p, d) = (g.stride, g.padding, g.dilation)
        for n in 0..<g.batch {
            for c in 0..<C {
                let plane = x + (n * C + c) * H * W
                for i in 0..<Ho {
                    for j in 0..<Wo {
                        var best = -T.infinity
                        var index = -1
                        for u in 0..<kh {
                            let h = i * s - p + u * d
                            if h < 0 || h >= H { continue }
                            for v in 0..<kw {
                                let wc = j * s - p + v * d
                                if wc < 0 || wc >= W { continue }
                                let value = plane[h * W + wc]
                                if index < 0 || value > best || value.isNaN {
                                    best = value
                                    index = h * W + wc
                                }
                            }
                        }
                        let out = ((n * C + c) * Ho + i) * Wo + j
                        y[out] = best
                        argmax[out] = Int32(index)
                    }
                }
            }
        }
    }

    /// dx = 0, then dx[n, c, argmax[n,c,i,j]] += dy[n,c,i,j] for every output element.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func maxPoolBackward<T: TensorScalar>(
        _ g: ConvolutionGeometry, outputGradient dy: UnsafePointer<T>, argmax: UnsafePointer<Int32>,
        inputGradient dx: UnsafeMutablePointer<T>
    ) {
        let (H, W, Ho, Wo, C) = (g.height, g.width, g.outHeight, g.outWidth, g.inChannels)
        dx.update(repeating: 0, count: g.batch * C * H * W)
        for n in 0..<g.batch {
            for c in 0..<C {
                for i in 0..<Ho {
                    for j in 0..<Wo {
                        let out = ((n * C + c) * Ho + i) * Wo + j
                        let index = Int(argmax[out])
                        if index >= 0 { dx[(n * C + c) * H * W + index] += dy[out] }
                    }
                }
            }
        }
    }

    /// y[n,c,i,j] = (Σ_u Σ_v x[n, c, i·s − p + u·d, j·s − p + v·d]) / (k_h·k_w),
    /// padding counting as zero (count_include_pad = true).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func averagePoolForward<T: TensorScalar>(
        _ g: ConvolutionGeometry, input x: UnsafePointer<T>, output y: UnsafeMutablePointer<T>
    ) {
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (C, kh, kw) = (g.inChannels, g.kernelHeight, g.kernelWidth)
        let (s, p, d) = (g.stride, g.padding, g.dilation)
        let divisor = T(kh * kw)
        for n in 0..<g.batch {
            for c in 0..<C {
                for i in 0..<Ho {
                    for j in 0..<Wo {
                        var sum: T = 0
                        for u in 0..<kh {
                            let h = i * s - p + u * d
                            if h < 0 || h >= H { continue }
                            for v in 0..<kw {
                                let wc = j * s - p + v * d
                                if wc < 0 || wc >= W { continue }
                                sum += x[((n * C + c) * H + h) * W + wc]
                            }
                        }
                        y[((n * C + c) * Ho + i) * Wo + j] = sum / divisor
                    }
                }
            }
        }
    }

    /// dx = 0, then dx[n, c, i·s − p + u·d, j·s − p + v·d] += dy[n,c,i,j] / (k_h·k_w)
    /// for every output element and every in-bounds tap.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func averagePoolBackward<T: TensorScalar>(
        _ g: ConvolutionGeometry, outputGradient dy: UnsafePointer<T>, inputGradient dx: UnsafeMutablePointer<T>
    ) {
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (C, kh, kw) = (g.inChannels, g.kernelHeight, g.kernelWidth)
        let (s, p, d) = (g.stride, g.padding, g.dilation)
        let divisor = T(kh * kw)
        dx.update(repeating: 0, count: g.batch * C * H * W)
        for n in 0..<g.batch {
            for c in 0..<C {
                for i in 0..<Ho {
                    for j in 0..<Wo {
                        let share = dy[((n * C + c) * Ho + i) * Wo + j] / divisor
                        for u in 0..<kh {
                            let h = i * s - p + u * d
                            if h < 0 || h >= H { continue }
                            for v in 0..<kw {
                                let wc = j * s - p + v * d
                                if wc < 0 || wc >= W { continue }
                                dx[((n * C + c) * H + h) * W + wc] += share
                            }
                        }
                    }
                }
            }
        }
    }
}
