// The chapter 5 graders are tested too: each accepts the reference solution
// and rejects broken answers with typical mistakes, saying why where it can;
// the graders' own references are checked against the book's
// ConvolutionalNetworks code (itself tested against PyTorch). Skipped when an
// instructor has removed exercises/solutions/05-convolutional-networks (the
// package then has no Solutions05 module).

#if canImport(Solutions05)
import BackpropCore
import ConvolutionalNetworks
import ExerciseKit
import Foundation
@testable import Graders05
import Solutions05
import Testing

@Suite struct Chapter05GraderSelfTests {
    // MARK: 5.1

    @Test func outputSizeGraderAcceptsTheSolution() throws {
        let report = try Chapter05Graders.convolutionOutputSize(Solutions05.convolutionOutputSize)
        #expect(report.passed, "\(report.failures)")
    }

    /// The grader's window count agrees with the book's ConvolutionGeometry
    /// wherever the window fits.
    @Test func windowCountAgreesWithConvolutionGeometry() throws {
        for n in 1...12 {
            for k in 1...5 {
                for s in 1...4 {
                    for p in 0...2 {
                        for d in 1...3 where n + 2 * p >= d * (k - 1) + 1 {
                            let g = try ConvolutionGeometry(
                                batch: 1, inChannels: 1, height: n, width: n, outChannels: 1, kernelHeight: k,
                                kernelWidth: k, stride: s, padding: p, dilation: d)
                            let c = Chapter05Graders.SizeCase(n: n, k: k, s: s, p: p, d: d)
                            #expect(Chapter05Graders.windowStarts(c).count == g.outHeight, "\(c)")
                        }
                    }
                }
            }
        }
    }

    @Test("the output size grader rejects wrong formulas and says why", arguments: [
        ("forgets the dilation", 0, "ignored the dilation"),
        ("(n + 2p − k)/s without + 1", 1, "missing the + 1"),
        ("rounds up instead of down", 2, "rounded up"),
        ("pads one side only (n + p)", 3, "expected"),
        ("takes the dilated window's span as d·k (off by one)", 4, "expected"),
    ])
    func outputSizeGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: ConvolutionOutputSize = { n, k, s, p, d in
            switch variant {
            case 0: return (n + 2 * p - (k - 1) - 1) / s + 1
            case 1: return (n + 2 * p - k) / s
            case 2: return Int((Double(n + 2 * p - d * (k - 1) - 1) / Double(s)).rounded(.up)) + 1
            case 3: return (n + p - d * (k - 1) - 1) / s + 1
            default: return (n + 2 * p - d * k) / s + 1
            }
        }
        let report = try Chapter05Graders.convolutionOutputSize(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    // MARK: 5.2

    @Test func convolutionGraderAcceptsTheSolution() throws {
        let report = try Chapter05Graders.convolve2D(Solutions05.convolve2D)
        #expect(report.passed, "\(report.failures)")
    }

    /// The grader's padded loop reproduces the hand-worked results and the
    /// book's NaiveConvolution on every case.
    @Test func convolutionReferenceAgreesWithNaiveConvolution() throws {
        for c in Chapter05Graders.convolutionCases {
            let mine = Chapter05Graders.crossCorrelate(c.image, c.kernel, stride: c.stride, padding: c.padding)
            if let hand = c.handWorked { #expect(Chapter05Graders.close(mine, hand, 1e-12), "\(mine) vs \(hand)") }
            let g = try ConvolutionGeometry(
                batch: 1, inChannels: 1, height: c.image.count, width: c.image[0].count, outChannels: 1,
                kernelHeight: c.kernel.count, kernelWidth: c.kernel[0].count, stride: c.stride, padding: c.padding)
            let x = c.image.flatMap { $0 }, w = c.kernel.flatMap { $0 }
            var y = [Double](repeating: .nan, count: g.outHeight * g.outWidth)
            x.withUnsafeBufferPointer { px in
                w.withUnsafeBufferPointer { pw in
                    y.withUnsafeMutableBufferPointer { py in
                        NaiveConvolution.convolutionForward(
                            g, input: px.baseAddress!, weight: pw.baseAddress!, bias: nil, output: py.baseAddress!)
                    }
                }
            }
            #expect(mine.count == g.outHeight && mine.allSatisfy { $0.count == g.outWidth })
            #expect(Grade.close(mine.flatMap { $0 }, y, 1e-12), "\(mine) vs \(y)")
        }
    }

    @Test("the convolution grader rejects broken convolutions and says why", arguments: [
        ("flips the kernel (true convolution)", 0, "flipped the kernel"),
        ("ignores the stride", 1, "ignored the stride"),
        ("ignores the padding", 2, "ignored the padding"),
        ("pads with the edge value instead of zeros", 3, "expected"),
    ])
    func convolutionGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: Convolve2D = { image, kernel, s, p in
            switch variant {
            case 0: return try Solutions05.convolve2D(
                image: image, kernel: Chapter05Graders.flipped(kernel), stride: s, padding: p)
            case 1: return try Solutions05.convolve2D(image: image, kernel: kernel, stride: 1, padding: p)
            case 2: return try Solutions05.convolve2D(image: image, kernel: kernel, stride: s, padding: 0)
            default:
                // Replicate padding: clamp the coordinates into the image.
                let (h, w) = (image.count, image[0].count)
                let padded = (0..<(h + 2 * p)).map { r in
                    (0..<(w + 2 * p)).map { c in image[min(max(r - p, 0), h - 1)][min(max(c - p, 0), w - 1)] }
                }
                return try Solutions05.convolve2D(image: padded, kernel: kernel, stride: s, padding: 0)
            }
        }
        let report = try Chapter05Graders.convolve2D(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    // MARK: 5.3

    @Test func maxPoolGraderAcceptsTheSolution() throws {
        let report = try Chapter05Graders.maxPoolBackward(Solutions05.maxPoolBackward)
        #expect(report.passed, "\(report.failures)")
    }

    /// The hand-worked cases agree with the grader's routing rule and with
    /// the book's NaiveConvolution (PyTorch's arg-max convention), ties included.
    @Test func maxPoolHandCasesAgreeWithNaiveConvolution() throws {
        let cases = Chapter05Graders.poolCases
        #expect(cases.contains { $0.hasTie && $0.handWorked != nil }, "the grader needs a hand-worked tie")
        for c in cases {
            let (h, w, k) = (c.x.count, c.x[0].count, c.size)
            let routed = Chapter05Graders.route(c.x, c.dy, size: k, .firstMax)
            if let hand = c.handWorked { #expect(Chapter05Graders.close(routed, hand, 1e-12), "\(routed) vs \(hand)") }
            let g = try ConvolutionGeometry(
                batch: 1, inChannels: 1, height: h, width: w, outChannels: 1, kernelHeight: k, kernelWidth: k, stride: k)
            let x = c.x.flatMap { $0 }, dy = c.dy.flatMap { $0 }
            var y = [Double](repeating: 0, count: g.outHeight * g.outWidth)
            var argmax = [Int32](repeating: 0, count: y.count)
            var dx = [Double](repeating: .nan, count: h * w)
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    argmax.withUnsafeMutableBufferPointer { pa in
                        NaiveConvolution.maxPoolForward(g, input: px.baseAddress!, output: py.baseAddress!,
                                                        argmax: pa.baseAddress!)
                    }
                }
            }
            dy.withUnsafeBufferPointer { pdy in
                argmax.withUnsafeBufferPointer { pa in
                    dx.withUnsafeMutableBufferPointer { pdx in
                        NaiveConvolution.maxPoolBackward(g, outputGradient: pdy.baseAddress!, argmax: pa.baseAddress!,
                                                         inputGradient: pdx.baseAddress!)
                    }
                }
            }
            #expect(Grade.close(routed.flatMap { $0 }, dx, 1e-12), "\(routed) vs \(dx)")
            #expect(Grade.close(Chapter05Graders.maxPool(c.x, size: k).flatMap { $0 }, y, 1e-12))
        }
    }

    static func brokenPool(_ rule: Chapter05Graders.Routing) -> MaxPoolBackward {
        { x, dy, size in Chapter05Graders.route(x, dy, size: size, rule) }
    }

    @Test("the max pooling grader rejects broken backward passes and says why", arguments: [
        ("spreads dy evenly (average-pool backward)", 0, "spread the gradient evenly"),
        ("routes dy to the minimum", 1, "minimum"),
        ("routes dy to the last maximum on ties", 2, "last maximum"),
        ("scans the window column by column", 3, "column by column"),
        ("copies dy to every tied maximum", 4, "every tied maximum"),
        ("starts the search for the maximum at 0", 5, "negative"),
    ])
    func maxPoolGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: MaxPoolBackward
        switch variant {
        case 0: broken = Self.brokenPool(.spreadEvenly)
        case 1: broken = Self.brokenPool(.firstMin)
        case 2: broken = Self.brokenPool(.lastMax)
        case 3: broken = Self.brokenPool(.firstMaxByColumns)
        case 4: broken = Self.brokenPool(.everyMax)
        default:
            broken = { x, dy, k in
                var dx = x.map { $0.map { _ in 0.0 } }
                for i in 0..<(x.count / k) {
                    for j in 0..<(x[0].count / k) {
                        var best = 0.0, at = (i * k, j * k)
                        for u in 0..<k {
                            for v in 0..<k where x[i * k + u][j * k + v] > best { best = x[i * k + u][j * k + v]; at = (i * k + u, j * k + v) }
                        }
                        dx[at.0][at.1] += dy[i][j]
                    }
                }
                return dx
            }
        }
        let report = try Chapter05Graders.maxPoolBackward(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    /// Routing to the last maximum is right whenever a window has one
    /// maximum, so only the tie case may reject it: the grader must have one.
    @Test func maxPoolGraderRejectsLastMaxOnlyOnTies() throws {
        let report = try Chapter05Graders.maxPoolBackward(Self.brokenPool(.lastMax))
        #expect(report.failures.count == Chapter05Graders.poolCases.filter(\.hasTie).count, "\(report.failures)")
        #expect(report.failures.allSatisfy { $0.contains("on a tie") }, "\(report.failures)")
    }

    // MARK: 5.4

    @Test func batchNormGraderAcceptsTheSolution() throws {
        let report = try Chapter05Graders.batchNormForward(Solutions05.batchNormForward)
        #expect(report.passed, "\(report.failures)")
    }

    /// The grader's formula agrees with the book's BatchNorm2D (training
    /// mode) on [n, F, 1, 1] inputs, and with the hand-worked case.
    @Test func batchNormReferenceAgreesWithBatchNorm2D() throws {
        for c in Chapter05Graders.batchNormCases {
            let (n, f) = (c.x.count, c.gamma.count)
            let mine = Chapter05Graders.batchNormReference(c.x, c.gamma, c.beta, c.epsilon)
            if let hand = c.handWorked { #expect(Chapter05Graders.close(mine, hand, 1e-12), "\(mine) vs \(hand)") }
            let layer = try BatchNorm2D<Double>(f, epsilon: c.epsilon)
            layer.weight.value = try Tensor(shape: [f], scalars: c.gamma)
            layer.bias.value = try Tensor(shape: [f], scalars: c.beta)
            let (y, _) = try layer.forward(Tensor(shape: [n, f, 1, 1], scalars: c.x.flatMap { $0 }), mode: .training)
            #expect(Grade.close(mine.flatMap { $0 }, y.scalars, 1e-9), "\(mine) vs \(y.scalars)")
        }
    }

    @Test("the batch norm grader rejects broken forward passes and says why", arguments: [
        ("unbiased variance (n − 1)", 0, "unbiased variance"),
        ("ε outside the square root", 1, "outside the square root"),
        ("normalises rows (layer norm)", 2, "layer normalisation"),
        ("γ and β swapped", 3, "swapped"),
        ("no ε at all", 4, "NaN"),
    ])
    func batchNormGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: BatchNormForward = { x, gamma, beta, eps in
            switch variant {
            case 0: return Chapter05Graders.batchNormReference(x, gamma, beta, eps, unbiased: true)
            case 1: return Chapter05Graders.batchNormReference(x, gamma, beta, eps, epsilonOutside: true)
            case 2: return Chapter05Graders.batchNormReference(x, gamma, beta, eps, perRow: true)
            case 3: return try Solutions05.batchNormForward(x: x, gamma: beta, beta: gamma, epsilon: eps)
            default: return try Solutions05.batchNormForward(x: x, gamma: gamma, beta: beta, epsilon: 0)
            }
        }
        let report = try Chapter05Graders.batchNormForward(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
