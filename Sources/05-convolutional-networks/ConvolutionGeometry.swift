// The shape arithmetic of a 2-D convolution (NCHW layout, as PyTorch).
//
//   input   x [N, C_in, H, W]
//   weight  w [C_out, C_in, k_h, k_w]
//   output  y [N, C_out, H_out, W_out] with
//     H_out = ⌊(H + 2p − d(k_h − 1) − 1) / s⌋ + 1   (likewise W_out)
// for stride s, zero padding p and dilation d (the same along both axes).
// Pooling uses the same arithmetic with C_out = C_in and no weight.

import BackpropCore

/// The sizes of one convolution or pooling window sweep.
public struct ConvolutionGeometry: Sendable, Equatable, CustomStringConvertible {
    public let batch: Int
    public let inChannels: Int
    public let height: Int
    public let width: Int
    public let outChannels: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let stride: Int
    public let padding: Int
    public let dilation: Int

    /// H_out = ⌊(H + 2p − d(k_h − 1) − 1) / s⌋ + 1
    public var outHeight: Int { (height + 2 * padding - dilation * (kernelHeight - 1) - 1) / stride + 1 }
    /// W_out = ⌊(W + 2p − d(k_w − 1) − 1) / s⌋ + 1
    public var outWidth: Int { (width + 2 * padding - dilation * (kernelWidth - 1) - 1) / stride + 1 }

    public var inputShape: [Int] { [batch, inChannels, height, width] }
    public var weightShape: [Int] { [outChannels, inChannels, kernelHeight, kernelWidth] }
    public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }

    /// Multiply-adds of the forward pass: N·C_out·H_out·W_out·C_in·k_h·k_w.
    public var multiplyAdds: Int { batch * outChannels * outHeight * outWidth * inChannels * kernelHeight * kernelWidth }

    /// - Throws: `TensorError.invalidShape` unless every size is positive,
    ///   padding is non-negative, and the window fits the padded input.
    public init(
        batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int,
        kernelHeight: Int, kernelWidth: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1
    ) throws {
        let shape = [batch, inChannels, height, width]
        for (name, v) in [("batch", batch), ("channels", inChannels), ("height", height), ("width", width),
                          ("output channels", outChannels), ("kernel height", kernelHeight), ("kernel width", kernelWidth),
                          ("stride", stride), ("dilation", dilation)] where v < 1 {
            throw TensorError.invalidShape(operation: "convolution", shape: shape, reason: "\(name) \(v) must be at least 1")
        }
        guard padding >= 0 else {
            throw TensorError.invalidShape(operation: "convolution", shape: shape, reason: "padding \(padding) is negative")
        }
        self.batch = batch
        self.inChannels = inChannels
        self.height = height
        self.width = width
        self.outChannels = outChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        guard height + 2 * padding >= dilation * (kernelHeight - 1) + 1,
              width + 2 * padding >= dilation * (kernelWidth - 1) + 1 else {
            throw TensorError.invalidShape(
                operation: "convolution", shape: shape,
                reason: "a \(kernelHeight)×\(kernelWidth) window (dilation \(dilation)) does not fit a \(height)×\(width) input padded by \(padding)")
        }
    }

    public var description: String {
        "N\(batch) C\(inChannels)→\(outChannels) \(height)×\(width) k\(kernelHeight)×\(kernelWidth) s\(stride) p\(padding) d\(dilation)"
    }
}
