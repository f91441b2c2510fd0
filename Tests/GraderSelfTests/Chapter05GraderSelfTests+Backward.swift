// Self-tests of chapter 5's graders for the backward passes (exercises 5.5
// and 5.6): each grader accepts the reference solution and rejects broken
// ones, written out below as copies of a backward pass with one mistake,
// including subtle ones (one element's sign, a window short by one, a
// variance term over n − 1). The graders' own forward passes are checked
// against the book's NaiveConvolution, their hand-worked cases against
// finite differences.

#if canImport(Solutions05)
import BackpropCore
import ConvolutionalNetworks
import ExerciseKit
import Foundation
@testable import Graders05
import Solutions05
import Testing

@Suite struct Chapter05BackwardGraderSelfTests {
    // MARK: 5.5

    @Test func convolutionBackwardGraderAcceptsTheSolution() throws {
        let report = try Chapter05Graders.convolutionBackward {
            try Solutions05.convolutionBackward(x: $0, weight: $1, dy: $2, stride: $3, padding: $4)
        }
        #expect(report.passed, "\(report.failures)")
    }

    /// The grader's forward loop agrees with the book's NaiveConvolution
    /// (with a bias), and its hand-worked gradients with finite differences.
    @Test func convolutionBackwardReferencesAgree() throws {
        for c in Chapter05Graders.convBackwardCases {
            let (cin, h, w, cout, k) = (c.x.count, c.x[0].count, c.x[0][0].count, c.w.count, c.w[0][0].count)
            let bias = (0..<cout).map { 0.5 - Double($0) }
            let mine = Chapter05Graders.convolutionForward(c.x, c.w, bias, stride: c.stride, padding: c.padding)
            let g = try ConvolutionGeometry(
                batch: 1, inChannels: cin, height: h, width: w, outChannels: cout, kernelHeight: k, kernelWidth: k,
                stride: c.stride, padding: c.padding)
            let x = c.x.flatMap { $0.flatMap { $0 } }, wt = c.w.flatMap { $0.flatMap { $0.flatMap { $0 } } }
            var y = [Double](repeating: .nan, count: cout * g.outHeight * g.outWidth)
            x.withUnsafeBufferPointer { px in
                wt.withUnsafeBufferPointer { pw in
                    bias.withUnsafeBufferPointer { pb in
                        y.withUnsafeMutableBufferPointer { py in
                            NaiveConvolution.convolutionForward(
                                g, input: px.baseAddress!, weight: pw.baseAddress!, bias: pb.baseAddress!,
                                output: py.baseAddress!)
                        }
                    }
                }
            }
            #expect(Grade.close(mine.flatMap { $0.flatMap { $0 } }, y, 1e-12), "\(c.note)")
            #expect(c.dy.count == cout && c.dy.allSatisfy { Grade.hasShape($0, g.outHeight, g.outWidth) }, "\(c.note)")
            if let hand = c.handWorked {
                let numeric = Chapter05Graders.convolutionGradientsByDifferences(c)
                #expect(Grade.close(numeric.dx, hand.dx.flatMap { $0.flatMap { $0 } }, 1e-8), "\(numeric.dx)")
                #expect(Grade.close(numeric.dW, hand.dW.flatMap { $0.flatMap { $0.flatMap { $0 } } }, 1e-8), "\(numeric.dW)")
                #expect(Grade.close(numeric.db, hand.db, 1e-8), "\(numeric.db)")
            }
        }
    }

    enum ConvBug { case dxRotated, dxRowsFlipped, dxPaddingIgnored, dWPaddingIgnored, strideIgnored, dbMean,
                   lastOutputRowSkipped, oneSignFlipped }

    /// The reference solution's loops with one bug.
    static func brokenConvolutionBackward(_ bug: ConvBug) -> ConvolutionBackward {
        { x, weight, dy, stride, padding in
            let (channels, height, width, k) = (x.count, x[0].count, x[0][0].count, weight[0][0].count)
            let s = bug == .strideIgnored ? 1 : stride
            let outHeight = min((height + 2 * padding - k) / s + 1, dy[0].count)
            let outWidth = min((width + 2 * padding - k) / s + 1, dy[0][0].count)
            var dx = x.map { $0.map { $0.map { _ in 0.0 } } }
            var dW = weight.map { $0.map { $0.map { $0.map { _ in 0.0 } } } }
            var db = [Double](repeating: 0, count: weight.count)
            for o in weight.indices {
                for i in 0..<(bug == .lastOutputRowSkipped ? outHeight - 1 : outHeight) {
                    for j in 0..<outWidth {
                        let g = dy[o][i][j]
                        db[o] += bug == .dbMean ? g / Double(dy[o].count * dy[o][0].count) : g
                        for c in 0..<channels {
                            for u in 0..<k {
                                for v in 0..<k {
                                    let (r, col) = (i * s - padding + u, j * s - padding + v)
                                    let (rx, cx) = bug == .dxPaddingIgnored ? (i * s + u, j * s + v) : (r, col)
                                    let (rw, cw) = bug == .dWPaddingIgnored ? (i * s + u, j * s + v) : (r, col)
                                    let tap = switch bug {
                                    case .dxRotated: weight[o][c][k - 1 - u][k - 1 - v]
                                    case .dxRowsFlipped: weight[o][c][k - 1 - u][v]
                                    default: weight[o][c][u][v]
                                    }
                                    if rx >= 0, rx < height, cx >= 0, cx < width { dx[c][rx][cx] += tap * g }
                                    if rw >= 0, rw < height, cw >= 0, cw < width { dW[o][c][u][v] += x[c][rw][cw] * g }
                                }
                            }
                        }
                    }
                }
            }
            if bug == .oneSignFlipped { dx[channels - 1][height - 1][width - 1] *= -1 }
            return (dx, dW, db)
        }
    }

    @Test("the convolution backward grader rejects broken gradients and says why", arguments: [
        ("dx through the kernel rotated by 180°", ConvBug.dxRotated, "rotated by 180°"),
        ("dx through the kernel flipped along one axis", .dxRowsFlipped, "one axis only"),
        ("dx ignores the padding", .dxPaddingIgnored, "dx ignores the padding"),
        ("dW ignores the padding", .dWPaddingIgnored, "dW ignores the padding"),
        ("stride ignored", .strideIgnored, "ignored the stride"),
        ("db a mean", .dbMean, "db is a mean"),
        ("the last output row left out (off by one)", .lastOutputRowSkipped, "expected dW"),
        ("one element of dx with the wrong sign", .oneSignFlipped, "expected dx"),
    ])
    func convolutionBackwardGraderRejects(name: String, bug: ConvBug, hint: String) throws {
        let report = try Chapter05Graders.convolutionBackward(Self.brokenConvolutionBackward(bug))
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    // MARK: 5.6

    @Test func batchNormBackwardGraderAcceptsTheSolution() throws {
        let report = try Chapter05Graders.batchNormBackward {
            try Solutions05.batchNormBackward(x: $0, gamma: $1, dy: $2, epsilon: $3)
        }
        #expect(report.passed, "\(report.failures)")
    }

    /// The hand-worked case agrees with finite differences, and every
    /// numerical dx has columns that sum to 0.
    @Test func batchNormBackwardReferencesAgree() throws {
        for c in Chapter05Graders.batchNormBackwardCases {
            let numeric = Chapter05Graders.batchNormGradientsByDifferences(c)
            for f in c.gamma.indices { #expect(abs(numeric.dx.reduce(0) { $0 + $1[f] }) < 1e-7, "\(c.note)") }
            if let hand = c.handWorked {
                #expect(Grade.close(numeric.dx, hand.dx, 1e-7), "\(numeric.dx)")
                #expect(Grade.close(numeric.dGamma, hand.dGamma, 1e-7) && Grade.close(numeric.dBeta, hand.dBeta, 1e-7))
            }
        }
    }

    enum BatchNormBug { case noMeanTerm, noVarianceTerm, unbiasedVariance, epsilonOutside, dBetaMean,
                        varianceTermOverNMinusOne, oneSignFlipped }

    /// The reference solution with one bug.
    static func brokenBatchNormBackward(_ bug: BatchNormBug) -> BatchNormBackward {
        { x, gamma, dy, epsilon in
            let n = Double(x.count)
            var dx = x, dGamma = gamma, dBeta = gamma
            for f in gamma.indices {
                let mean = x.reduce(0) { $0 + $1[f] } / n
                let squares = x.reduce(0) { $0 + ($1[f] - mean) * ($1[f] - mean) }
                let variance = squares / (bug == .unbiasedVariance ? n - 1 : n)
                let rho = bug == .epsilonOutside ? 1 / (variance.squareRoot() + epsilon) : 1 / (variance + epsilon).squareRoot()
                let xhat = x.map { ($0[f] - mean) * rho }
                let sumDy = dy.reduce(0) { $0 + $1[f] }
                let sumDyXhat = zip(dy, xhat).reduce(0) { $0 + $1.0[f] * $1.1 }
                let meanTerm = bug == .noMeanTerm ? 0 : sumDy / n
                let varianceWeight = switch bug {
                case .noVarianceTerm: 0.0
                case .unbiasedVariance, .varianceTermOverNMinusOne: 1 / (n - 1)
                default: 1 / n
                }
                for i in x.indices {
                    dx[i][f] = gamma[f] * rho * (dy[i][f] - meanTerm - xhat[i] * sumDyXhat * varianceWeight)
                }
                dGamma[f] = sumDyXhat
                dBeta[f] = bug == .dBetaMean ? sumDy / n : sumDy
            }
            if bug == .oneSignFlipped { dx[0][0] *= -1 }
            return (dx, dGamma, dBeta)
        }
    }

    @Test("the batch norm backward grader rejects broken gradients and says why", arguments: [
        ("the route through μ missing", BatchNormBug.noMeanTerm, "path through μ is missing"),
        ("the route through σ² missing", .noVarianceTerm, "path through σ² is missing"),
        ("the unbiased variance", .unbiasedVariance, "unbiased variance"),
        ("ε outside the square root", .epsilonOutside, "outside the square root"),
        ("dβ a mean", .dBetaMean, "expected dβ"),
        ("the route through σ² over n − 1 (forward right)", .varianceTermOverNMinusOne, "expected dx"),
        ("one element of dx with the wrong sign", .oneSignFlipped, "expected dx"),
    ])
    func batchNormBackwardGraderRejects(name: String, bug: BatchNormBug, hint: String) throws {
        let report = try Chapter05Graders.batchNormBackward(Self.brokenBatchNormBackward(bug))
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    /// The exact gradient of a forward pass with √σ² + ε is rejected too, and
    /// named, but only where ε is not negligible next to σ.
    @Test func batchNormBackwardGraderNamesTheDerivedEpsilonMistake() throws {
        let broken: BatchNormBackward = { x, gamma, dy, eps in
            Chapter05Graders.batchNormBackwardWith(.epsilonOutsideDerived, x, gamma, dy, eps)
        }
        let report = try Chapter05Graders.batchNormBackward(broken)
        #expect(!report.passed)
        #expect(report.failures.contains { $0.contains("ε = 0.1") && $0.contains("outside the square root") },
                "\(report.failures)")
    }
}
#endif
