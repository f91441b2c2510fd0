// Pooling layers, NCHW.
//
//   max pooling      y[n,c,i,j] = max over the window of x;  backward routes
//                    each dy to the position of its max (the arg-max), adding
//                    where windows overlap — the max's derivative is 1 for
//                    the winner and 0 for the rest.
//   average pooling  y = (1/(k_h·k_w)) Σ over the window (padding counts as
//                    zeros, PyTorch's default); backward spreads dy/(k_h·k_w).
//   global average   [N, C, H, W] → [N, C], y = mean over H·W; backward
//                    spreads dy/(H·W).

import BackpropCore
import Backpropagation

/// Shared window setup of the pooling layers.
public struct PoolingWindow: Sendable {
    public let size: Int, stride: Int, padding: Int

    func geometry(for shape: [Int], _ op: String) throws -> ConvolutionGeometry {
        guard shape.count == 4 else {
            throw TensorError.invalidShape(operation: op, shape: shape, reason: "input must be [N, C, H, W]")
        }
        guard padding * 2 <= size else {
            throw TensorError.invalidShape(operation: op, shape: shape, reason: "padding \(padding) exceeds half the window \(size)")
        }
        return try ConvolutionGeometry(
            batch: shape[0], inChannels: shape[1], height: shape[2], width: shape[3], outChannels: shape[1],
            kernelHeight: size, kernelWidth: size, stride: stride, padding: padding)
    }
}

/// Max pooling with a square window.
public final class MaxPool2D<Scalar: TensorScalar>: Layer {
    public let window: PoolingWindow
    public var backend: Backend
    /// y and argmax (training) and dx, kept between steps (ReusedBuffer.swift).
    private var outputBuffer = ReusedBuffer<Scalar>(), gradientBuffer = ReusedBuffer<Scalar>()
    private var argmaxBuffer = ReusedBuffer<Int32>()
    public var parameters: [Parameter<Scalar>] { [] }
    public var summary: String { "MaxPool2D(\(window.size)×\(window.size), stride \(window.stride))" }

    /// - Parameter stride: defaults to the window size (non-overlapping).
    public init(_ size: Int, stride: Int? = nil, padding: Int = 0, backend: Backend = .simd) {
        window = PoolingWindow(size: size, stride: stride ?? size, padding: padding)
        self.backend = backend
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: ([Int32], ConvolutionGeometry)) {
        let g = try window.geometry(for: x.shape, "MaxPool2D")
        let conv = backend.convolution
        let count = g.outputShape.reduce(1, *)
        var freshY = ReusedBuffer<Scalar>(), freshArgmax = ReusedBuffer<Int32>()
        let training = mode == .training
        var argmax: [Int32] = []
        // The kernel writes every output and every index: y is filled inside
        // the argmax buffer's write.
        let y = x.withUnsafeBufferPointer { px in
            let write = { (py: UnsafeMutablePointer<Scalar>) in
                let fill = { (pa: UnsafeMutablePointer<Int32>) in conv.maxPoolForward(g, input: px.baseAddress!, output: py, argmax: pa) }
                argmax = training ? self.argmaxBuffer.array(count: count, fill) : freshArgmax.array(count: count, fill)
            }
            return training ? outputBuffer.tensor(g.outputShape, write) : freshY.tensor(g.outputShape, write)
        }
        return (y, (argmax, g))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: ([Int32], ConvolutionGeometry)) throws -> Tensor<Scalar> {
        let (argmax, g) = cache
        guard dy.shape == g.outputShape else {
            throw TensorError.shapeMismatch(operation: "MaxPool2D.backward", lhs: dy.shape, rhs: g.outputShape, reason: "dy must have the output's shape")
        }
        let conv = backend.convolution
        return dy.withUnsafeBufferPointer { pdy in
            argmax.withUnsafeBufferPointer { pa in
                gradientBuffer.tensor(g.inputShape) { pdx in  // overwritten by the kernel
                    conv.maxPoolBackward(g, outputGradient: pdy.baseAddress!, argmax: pa.baseAddress!, inputGradient: pdx)
                }
            }
        }
    }
}

/// Average pooling with a square window (padding counted as zeros).
public final class AvgPool2D<Scalar: TensorScalar>: Layer {
    public let window: PoolingWindow
    public var backend: Backend
    public var parameters: [Parameter<Scalar>] { [] }
    public var summary: String { "AvgPool2D(\(window.size)×\(window.size), stride \(window.stride))" }

    public init(_ size: Int, stride: Int? = nil, padding: Int = 0, backend: Backend = .simd) {
        window = PoolingWindow(size: size, stride: stride ?? size, padding: padding)
        self.backend = backend
    }

    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: ConvolutionGeometry) {
        let g = try window.geometry(for: x.shape, "AvgPool2D")
        var y = try Tensor<Scalar>.zeros(g.outputShape)
        let conv = backend.convolution
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in conv.averagePoolForward(g, input: px.baseAddress!, output: py.baseAddress!) }
        }
        return (y, g)
    }

    public func backward(_ dy: Tensor<Scalar>, cache g: ConvolutionGeometry) throws -> Tensor<Scalar> {
        guard dy.shape == g.outputShape else {
            throw TensorError.shapeMismatch(operation: "AvgPool2D.backward", lhs: dy.shape, rhs: g.outputShape, reason: "dy must have the output's shape")
        }
        var dx = try Tensor<Scalar>.zeros(g.inputShape)
        let conv = backend.convolution
        dy.withUnsafeBufferPointer { pdy in
            dx.withUnsafeMutableBufferPointer { pdx in
                conv.averagePoolBackward(g, outputGradient: pdy.baseAddress!, inputGradient: pdx.baseAddress!)
            }
        }
        return dx
    }
}

/// Global average pooling: [N, C, H, W] → [N, C], through the core's row sums.
public final class GlobalAvgPool<Scalar: TensorScalar>: Layer {
    public var backend: Backend
    public var parameters: [Parameter<Scalar>] { [] }
    public var summary: String { "GlobalAvgPool" }

    public init(backend: Backend = .simd) { self.backend = backend }

    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: [Int]) {
        guard x.rank == 4 else { throw TensorError.invalidShape(operation: "GlobalAvgPool", shape: x.shape, reason: "input must be [N, C, H, W]") }
        let (n, c, hw) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        let sums = try x.reshaped([n * c, hw]).rowSums(backend: backend)
        return (try sums.scaled(by: 1 / Scalar(hw), backend: backend).reshaped([n, c]), x.shape)
    }

    public func backward(_ dy: Tensor<Scalar>, cache shape: [Int]) throws -> Tensor<Scalar> {
        let (n, c, hw) = (shape[0], shape[1], shape[2] * shape[3])
        guard dy.shape == [n, c] else {
            throw TensorError.shapeMismatch(operation: "GlobalAvgPool.backward", lhs: dy.shape, rhs: [n, c], reason: "dy must be [N, C]")
        }
        var dx = try Tensor<Scalar>.zeros(shape)
        let scale = 1 / Scalar(hw)
        for i in 0..<(n * c) {
            let v = dy.scalars[i] * scale
            for j in 0..<hw { dx.scalars[i * hw + j] = v }
        }
        return dx
    }
}
