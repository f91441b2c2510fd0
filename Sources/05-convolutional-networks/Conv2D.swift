// Conv2D: a 2-D convolution layer (strictly, a cross-correlation, as in every
// deep-learning library), NCHW.
//
//   forward   x [N, C_in, H, W] → y [N, C_out, H_out, W_out]
//             y[n,o,i,j] = b[o] + Σ_c Σ_u Σ_v w[o,c,u,v] · x[n, c, i·s − p + u·d, j·s − p + v·d]
//   backward  dx[n,c,h,w]  = Σ over the outputs whose window covers (h, w) of w · dy
//             dw[o,c,u,v] += Σ_n Σ_i Σ_j dy[n,o,i,j] · x[n, c, i·s − p + u·d, j·s − p + v·d]
//             db[o]       += Σ_n Σ_i Σ_j dy[n,o,i,j]
// Derivation: chapters/05-convolutional-networks.md, "The backward pass of a
// convolution". The arithmetic runs on a ConvolutionKernels twin: the
// direct loops (NaiveConvolution) or im2col + SIMD matmul (Im2colConvolution).

import BackpropCore
import Backpropagation

/// A 2-D convolution with square kernels' generalisation to kh × kw.
public final class Conv2D<Scalar: TensorScalar>: Layer {
    public let weight: Parameter<Scalar>
    public let bias: Parameter<Scalar>?
    public let stride: Int, padding: Int, dilation: Int
    public var backend: Backend
    /// y (training) and dx, kept between steps (ReusedBuffer.swift).
    private var outputBuffer = ReusedBuffer<Scalar>(), gradientBuffer = ReusedBuffer<Scalar>()
    /// The convolution twin in use, the backend's `convolution`.
    public var convolution: any ConvolutionKernels.Type { backend.convolution }

    public var inChannels: Int { weight.value.shape[1] }
    public var outChannels: Int { weight.value.shape[0] }
    public var parameters: [Parameter<Scalar>] { bias.map { [weight, $0] } ?? [weight] }
    public var summary: String {
        let s = weight.value.shape
        return "Conv2D(\(s[1]) → \(s[0]), \(s[2])×\(s[3]), stride \(stride), padding \(padding)\(dilation > 1 ? ", dilation \(dilation)" : ""))"
    }

    /// He-uniform weights (fan-in C_in·k_h·k_w) and zero biases.
    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
        bias: Bool = true, rng: inout SeededRandom, backend: Backend = .simd
    ) throws {
        let fanIn = inChannels * kernelSize * kernelSize
        weight = Parameter("weight", try Initializer.heUniform.sample(
            shape: [outChannels, inChannels, kernelSize, kernelSize], fanIn: fanIn, fanOut: outChannels * kernelSize * kernelSize,
            using: &rng))
        self.bias = bias ? Parameter("bias", try Tensor.zeros([outChannels])) : nil
        (self.stride, self.padding, self.dilation) = (stride, padding, dilation)
        self.backend = backend
        _ = try geometry(for: [1, inChannels, dilation * (kernelSize - 1) + 1, dilation * (kernelSize - 1) + 1])
    }

    /// A layer with the given weight [C_out, C_in, k_h, k_w] and optional bias [C_out].
    public init(
        weight w: Tensor<Scalar>, bias b: Tensor<Scalar>?, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
        backend: Backend = .simd
    ) throws {
        guard w.rank == 4 else {
            throw TensorError.invalidShape(operation: "Conv2D", shape: w.shape, reason: "weight must be [C_out, C_in, k_h, k_w]")
        }
        if let b, b.shape != [w.shape[0]] {
            throw TensorError.shapeMismatch(operation: "Conv2D", lhs: w.shape, rhs: b.shape, reason: "bias needs \(w.shape[0]) elements")
        }
        weight = Parameter("weight", w)
        bias = b.map { Parameter("bias", $0) }
        (self.stride, self.padding, self.dilation) = (stride, padding, dilation)
        self.backend = backend
    }

    /// The geometry for an input shape, or a typed error naming the mismatch.
    public func geometry(for shape: [Int]) throws -> ConvolutionGeometry {
        guard shape.count == 4, shape[1] == inChannels else {
            throw TensorError.shapeMismatch(
                operation: "Conv2D", lhs: shape, rhs: weight.value.shape,
                reason: "input must be [N, \(inChannels), H, W] for this weight")
        }
        let w = weight.value.shape
        return try ConvolutionGeometry(
            batch: shape[0], inChannels: shape[1], height: shape[2], width: shape[3], outChannels: w[0],
            kernelHeight: w[2], kernelWidth: w[3], stride: stride, padding: padding, dilation: dilation)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: (Tensor<Scalar>, ConvolutionGeometry)) {
        let g = try geometry(for: x.shape)
        let conv = convolution
        var fresh = ReusedBuffer<Scalar>()
        let y = x.withUnsafeBufferPointer { px in
            weight.value.withUnsafeBufferPointer { pw in
                withOptionalPointer(bias?.value) { pb in
                    // The kernel overwrites every output element.
                    let write = { (py: UnsafeMutablePointer<Scalar>) in
                        conv.convolutionForward(g, input: px.baseAddress!, weight: pw.baseAddress!, bias: pb, output: py)
                    }
                    return mode == .training ? outputBuffer.tensor(g.outputShape, write) : fresh.tensor(g.outputShape, write)
                }
            }
        }
        return (y, (x, g))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: (Tensor<Scalar>, ConvolutionGeometry)) throws -> Tensor<Scalar> {
        let (x, g) = cache
        guard dy.shape == g.outputShape else {
            throw TensorError.shapeMismatch(operation: "Conv2D.backward", lhs: dy.shape, rhs: g.outputShape,
                                            reason: "dy must have the output's shape")
        }
        let conv = convolution
        return dy.withUnsafeBufferPointer { pdy in
            x.withUnsafeBufferPointer { px in
                weight.value.withUnsafeBufferPointer { pw in
                    weight.grad.withUnsafeMutableBufferPointer { pgw in
                        withOptionalMutablePointer(bias) { pgb in
                            gradientBuffer.tensor(g.inputShape) { pdx in  // overwritten by the kernel
                                conv.convolutionBackward(g, input: px.baseAddress!, outputGradient: pdy.baseAddress!,
                                                         weight: pw.baseAddress!, inputGradient: pdx,
                                                         weightGradient: pgw.baseAddress!, biasGradient: pgb)
                            }
                        }
                    }
                }
            }
        }
    }

    /// dW and db alone (the first layer of a model: the data needs no dx).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func accumulateParameterGradients(_ dy: Tensor<Scalar>, cache: (Tensor<Scalar>, ConvolutionGeometry)) throws {
        let (x, g) = cache
        guard dy.shape == g.outputShape else {
            throw TensorError.shapeMismatch(operation: "Conv2D.backward", lhs: dy.shape, rhs: g.outputShape,
                                            reason: "dy must have the output's shape")
        }
        let conv = convolution
        dy.withUnsafeBufferPointer { pdy in
            x.withUnsafeBufferPointer { px in
                weight.grad.withUnsafeMutableBufferPointer { pgw in
                    withOptionalMutablePointer(bias) { pgb in
                        conv.convolutionBackwardWeight(g, input: px.baseAddress!, outputGradient: pdy.baseAddress!,
                                                       weightGradient: pgw.baseAddress!, biasGradient: pgb)
                    }
                }
            }
        }
    }
}

/// body(pointer to t's elements), or body(nil) without a tensor.
@inline(__always)
func withOptionalPointer<T: TensorScalar, R>(_ t: Tensor<T>?, _ body: (UnsafePointer<T>?) -> R) -> R {
    guard let t else { return body(nil) }
    return t.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// body(pointer to the parameter's gradient), or body(nil) without a parameter.
@inline(__always)
func withOptionalMutablePointer<T: TensorScalar, R>(_ p: Parameter<T>?, _ body: (UnsafeMutablePointer<T>?) -> R) -> R {
    guard let p else { return body(nil) }
    return p.grad.withUnsafeMutableBufferPointer { body($0.baseAddress) }
}
