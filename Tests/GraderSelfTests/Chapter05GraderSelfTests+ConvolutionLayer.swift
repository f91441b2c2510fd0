// Self-tests of exercise 5.7's grader (a convolution layer trained in the
// digits CNN): it accepts the reference solution and the book's own Conv2D,
// its training threshold is out of reach for a network whose convolutions
// never learn, and it rejects broken layers (each a wrapper around the
// reference with one mistake) with a hint that names the mistake.

#if canImport(Solutions05)
import Backpropagation
import BackpropCore
import ConvolutionalNetworks
import ExerciseKit
import Foundation
@testable import Graders05
import Solutions05
import Testing

/// The reference layer with one mistake switched on.
final class BrokenConvolutionLayer: Layer {
    enum Mistake: Int, CaseIterable {
        case overwritesGradients, weightGradientMean, weightGradientLastImage, biasGradientMean, dxKernelRotated,
             outputSizeWithoutPadding, noParameters, dxZero, lastInputRowIgnored, gradientsNotAdded
    }

    let inner: Solutions05.ConvolutionLayer
    let mistake: Mistake
    var backend: Backend = .naive
    var parameters: [Parameter<Double>] { mistake == .noParameters ? [] : inner.parameters }
    var summary: String { "broken \(mistake)" }

    init(weight: Tensor<Double>, bias: Tensor<Double>, stride: Int, padding: Int, mistake: Mistake) {
        inner = Solutions05.ConvolutionLayer(weight: weight, bias: bias, stride: stride,
                                             padding: mistake == .outputSizeWithoutPadding ? 0 : padding)
        self.mistake = mistake
    }

    func forward(_ x: Tensor<Double>, mode: Mode) throws -> (output: Tensor<Double>, cache: Tensor<Double>) {
        guard mistake == .lastInputRowIgnored else { return try inner.forward(x, mode: mode) }
        var cut = x
        let (h, w) = (x.shape[2], x.shape[3])
        for block in 0..<(x.shape[0] * x.shape[1]) { for col in 0..<w { cut.scalars[(block * h + h - 1) * w + col] = 0 } }
        return (try inner.forward(cut, mode: mode).output, x)
    }

    func backward(_ dy: Tensor<Double>, cache x: Tensor<Double>) throws -> Tensor<Double> {
        let (w0, b0) = (inner.weight.grad, inner.bias.grad)
        var dx = try inner.backward(dy, cache: x)
        let dw = zip(inner.weight.grad.scalars, w0.scalars).map { $0 - $1 }
        let db = zip(inner.bias.grad.scalars, b0.scalars).map { $0 - $1 }
        func set(_ p: Parameter<Double>, _ before: Tensor<Double>, _ delta: [Double]) throws {
            p.grad = try Tensor(shape: before.shape, scalars: zip(before.scalars, delta).map { $0 + $1 })
        }
        let n = Double(x.shape[0])
        switch mistake {
        case .overwritesGradients:
            inner.weight.grad = try Tensor(shape: w0.shape, scalars: dw)
            inner.bias.grad = try Tensor(shape: b0.shape, scalars: db)
        case .weightGradientMean: try set(inner.weight, w0, dw.map { $0 / n })
        case .weightGradientLastImage:
            var last = dy
            let perImage = dy.count / dy.shape[0]
            for i in 0..<(dy.count - perImage) { last.scalars[i] = 0 }
            inner.weight.grad = w0
            _ = try inner.backward(last, cache: x)
            inner.bias.grad = try Tensor(shape: b0.shape, scalars: zip(b0.scalars, db).map { $0 + $1 })
        case .biasGradientMean: try set(inner.bias, b0, db.map { $0 / Double(dy.shape[2] * dy.shape[3]) })
        case .dxKernelRotated:
            let w = inner.weight.value, k = w.shape[2]
            var rotated = w
            for block in 0..<(w.shape[0] * w.shape[1]) {
                for u in 0..<k { for v in 0..<k { rotated.scalars[(block * k + u) * k + v] = w.scalars[(block * k + k - 1 - u) * k + k - 1 - v] } }
            }
            let other = Solutions05.ConvolutionLayer(weight: rotated, bias: inner.bias.value, stride: inner.stride,
                                                     padding: inner.padding)
            dx = try other.backward(dy, cache: x)
        case .dxZero: dx = try Tensor.zeros(x.shape)
        case .gradientsNotAdded:
            inner.weight.grad = w0
            inner.bias.grad = b0
        case .outputSizeWithoutPadding, .noParameters, .lastInputRowIgnored: break
        }
        return dx
    }
}

/// A layer whose parameters never receive a gradient, trained directly (not
/// through the grader, which would stop at its contract checks): it shows
/// that the accuracy threshold needs convolutions that learn.
final class FrozenConvolutionLayer: Layer {
    let inner: Solutions05.ConvolutionLayer
    var backend: Backend = .naive
    var parameters: [Parameter<Double>] { [] }
    var summary: String { "frozen" }

    init(weight: Tensor<Double>, bias: Tensor<Double>, stride: Int, padding: Int) {
        inner = Solutions05.ConvolutionLayer(weight: weight, bias: bias, stride: stride, padding: padding)
    }

    func forward(_ x: Tensor<Double>, mode: Mode) throws -> (output: Tensor<Double>, cache: Tensor<Double>) {
        try inner.forward(x, mode: mode)
    }

    func backward(_ dy: Tensor<Double>, cache x: Tensor<Double>) throws -> Tensor<Double> {
        try inner.backward(dy, cache: x)
    }
}

@Suite struct Chapter05ConvolutionLayerGraderSelfTests {
    @Test func convolutionLayerGraderAcceptsTheSolution() throws {
        let report = try Chapter05Graders.convolutionLayer {
            Solutions05.ConvolutionLayer(weight: $0, bias: $1, stride: $2, padding: $3)
        }
        #expect(report.passed, "\(report.failures)")
    }

    /// The book's Conv2D (naive twin) meets the same contract and reaches the
    /// same accuracy in the same run: the threshold is the book's own.
    @Test func theBooksConv2DPassesTheSameGrader() throws {
        let report = try Chapter05Graders.convolutionLayer {
            try Conv2D<Double>(weight: $0, bias: $1, stride: $2, padding: $3, backend: .naive)
        }
        #expect(report.passed, "\(report.failures)")
    }

    /// With convolutions that never learn (only the last layer trains), the
    /// same run stays below the threshold.
    @Test func frozenConvolutionsStayBelowTheThreshold() throws {
        let run = try Chapter05Graders.trainDigitsCNN {
            FrozenConvolutionLayer(weight: $0, bias: $1, stride: $2, padding: $3)
        }
        #expect(run.accuracy < Chapter05Graders.DigitsRun.requiredAccuracy - 0.05, "\(run)")
    }

    @Test("the convolution-layer grader rejects broken layers and says why", arguments: [
        (BrokenConvolutionLayer.Mistake.overwritesGradients, "overwrites weight.grad"),
        (.weightGradientMean, "mean over the batch"),
        (.weightGradientLastImage, "one image's gradient"),
        (.biasGradientMean, "that is a mean"),
        (.dxKernelRotated, "expected dx"),
        (.outputSizeWithoutPadding, "H_out counts"),
        (.noParameters, "`parameters` must list"),
        (.dxZero, "dx is all zeros"),
        (.lastInputRowIgnored, "the forward pass is wrong"),
        (.gradientsNotAdded, "weight.grad is still zero"),
    ])
    func convolutionLayerGraderRejects(mistake: BrokenConvolutionLayer.Mistake, hint: String) throws {
        let report = try Chapter05Graders.convolutionLayer {
            BrokenConvolutionLayer(weight: $0, bias: $1, stride: $2, padding: $3, mistake: mistake)
        }
        #expect(!report.passed)
        #expect(report.failures.contains { $0.contains(hint) }, "\(mistake): \(report.failures)")
        #expect(report.failures.last?.contains("not trained") == true)
    }
}
#endif
