// ConvolutionKernels: the contract shared by chapter 5's kernel twins.
//
// `NaiveConvolution` (NaiveConvolution.swift) writes each formula below as
// nested loops; `Im2colConvolution` (Im2colConvolution.swift) computes the same
// numbers by unfolding receptive fields into a matrix and multiplying it with
// SIMD micro-kernels (ConvolutionGEMM.swift), on both cores. The layers (Conv2D, the pooling
// layers) take a `ConvolutionKernels.Type`, so a network runs on either twin
// and the tests compare them.
//
// Contract
// - Layout is NCHW, as PyTorch: x [N, C_in, H, W], w [C_out, C_in, k_h, k_w],
//   b [C_out], y [N, C_out, H_out, W_out]; all sizes come from the
//   `ConvolutionGeometry` (stride s, zero padding p, dilation d, the same on
//   both axes). Pooling uses the same geometry with C_out = C_in.
// - Kernels trust their arguments: every pointer is valid for the count its
//   shape implies, and outputs do not alias inputs. Shape checking happens in
//   `ConvolutionGeometry.init` and in the layers.
// - Forward kernels and backward-input kernels overwrite their output;
//   backward-weight accumulates (dw +=, db +=), as gradients of parameters do.
// - Kernels may run on several threads internally; they are safe to call from
//   any thread, and two calls on disjoint buffers may run concurrently.
// - The twins agree up to floating-point reassociation (see each file).

import BackpropCore

/// The kernels of a convolutional network: 2-D convolution and pooling, each
/// forward and backward.
public protocol ConvolutionKernels: Sendable {
    /// "naive" or "im2col", as shown in benchmarks.
    static var name: String { get }

    /// y[n,o,i,j] = b[o] + Σ_c Σ_u Σ_v w[o,c,u,v] · x[n, c, i·s − p + u·d, j·s − p + v·d]
    /// (x is zero outside [0, H) × [0, W); b = 0 when `bias` is nil).
    static func convolutionForward<T: TensorScalar>(
        _ g: ConvolutionGeometry, input: UnsafePointer<T>, weight: UnsafePointer<T>,
        bias: UnsafePointer<T>?, output: UnsafeMutablePointer<T>)

    /// dx[n,c,h,w] = Σ_o Σ_u Σ_v w[o,c,u,v] · dy[n,o,i,j] over the (i, j, u, v)
    /// with i·s − p + u·d = h and j·s − p + v·d = w: the sum over the windows
    /// that touched each input element. Overwrites dx.
    static func convolutionBackwardInput<T: TensorScalar>(
        _ g: ConvolutionGeometry, outputGradient: UnsafePointer<T>, weight: UnsafePointer<T>,
        inputGradient: UnsafeMutablePointer<T>)

    /// dw[o,c,u,v] += Σ_n Σ_i Σ_j dy[n,o,i,j] · x[n, c, i·s − p + u·d, j·s − p + v·d];
    /// db[o] += Σ_n Σ_i Σ_j dy[n,o,i,j] (skipped when `biasGradient` is nil).
    static func convolutionBackwardWeight<T: TensorScalar>(
        _ g: ConvolutionGeometry, input: UnsafePointer<T>, outputGradient: UnsafePointer<T>,
        weightGradient: UnsafeMutablePointer<T>, biasGradient: UnsafeMutablePointer<T>?)

    /// Both backward passes of a layer: dx as `convolutionBackwardInput`
    /// (overwritten), dW and db as `convolutionBackwardWeight` (accumulated).
    /// The default makes the two calls; a twin may fuse them.
    static func convolutionBackward<T: TensorScalar>(
        _ g: ConvolutionGeometry, input: UnsafePointer<T>, outputGradient: UnsafePointer<T>, weight: UnsafePointer<T>,
        inputGradient: UnsafeMutablePointer<T>, weightGradient: UnsafeMutablePointer<T>, biasGradient: UnsafeMutablePointer<T>?)

    /// Max pooling (g.outChannels == g.inChannels, no weight):
    /// y[n,c,i,j] = max over (u, v) of x[n, c, i·s − p + u·d, j·s − p + v·d],
    /// padding positions counting as −∞. `argmax[n,c,i,j]` receives the index
    /// of the maximum *within its (n, c) plane*, h·W + w (PyTorch's
    /// `return_indices` convention), as Int32. The window is scanned row by
    /// row; the first maximum wins on ties and a NaN wins over numbers, as in
    /// PyTorch. A window lying wholly in the padding gives y = −∞, argmax = −1.
    static func maxPoolForward<T: TensorScalar>(
        _ g: ConvolutionGeometry, input: UnsafePointer<T>, output: UnsafeMutablePointer<T>,
        argmax: UnsafeMutablePointer<Int32>)

    /// dx[n,c,h,w] = Σ dy[n,c,i,j] over the windows (i, j) whose argmax is h·W + w:
    /// each dy is routed to its argmax, accumulating when windows overlap
    /// (argmax −1 is skipped). Overwrites dx.
    static func maxPoolBackward<T: TensorScalar>(
        _ g: ConvolutionGeometry, outputGradient: UnsafePointer<T>, argmax: UnsafePointer<Int32>,
        inputGradient: UnsafeMutablePointer<T>)

    /// Average pooling with PyTorch's defaults (count_include_pad = true):
    /// y[n,c,i,j] = (1 / (k_h·k_w)) Σ_u Σ_v x[n, c, i·s − p + u·d, j·s − p + v·d],
    /// zero outside the input.
    static func averagePoolForward<T: TensorScalar>(
        _ g: ConvolutionGeometry, input: UnsafePointer<T>, output: UnsafeMutablePointer<T>)

    /// dx[n,c,h,w] = (1 / (k_h·k_w)) Σ dy[n,c,i,j] over the windows (i, j) that
    /// contain (h, w). Overwrites dx.
    static func averagePoolBackward<T: TensorScalar>(
        _ g: ConvolutionGeometry, outputGradient: UnsafePointer<T>, inputGradient: UnsafeMutablePointer<T>)
}

extension ConvolutionKernels {
    public static func convolutionBackward<T: TensorScalar>(
        _ g: ConvolutionGeometry, input: UnsafePointer<T>, outputGradient: UnsafePointer<T>, weight: UnsafePointer<T>,
        inputGradient: UnsafeMutablePointer<T>, weightGradient: UnsafeMutablePointer<T>, biasGradient: UnsafeMutablePointer<T>?
    ) {
        convolutionBackwardInput(g, outputGradient: outputGradient, weight: weight, inputGradient: inputGradient)
        convolutionBackwardWeight(g, input: input, outputGradient: outputGradient, weightGradient: weightGradient,
                                  biasGradient: biasGradient)
    }
}

extension Backend {
    /// This chapter's kernels for the backend: the direct loops
    /// (`NaiveConvolution`) or im2col + the SIMD matrix product
    /// (`Im2colConvolution`).
    public var convolution: any ConvolutionKernels.Type {
        switch self {
        case .naive: return NaiveConvolution.self
        case .simd: return Im2colConvolution.self
        }
    }
}
