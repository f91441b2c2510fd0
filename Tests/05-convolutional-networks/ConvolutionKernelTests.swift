// ConvolutionKernelTests: the convolution and pooling twins.
//
// Contract
// - Im2colConvolution agrees with NaiveConvolution, in Float and Double, on
//   every combination of awkward geometry: 5×7 images, 3×3 and 2×3 kernels,
//   stride 1 and 2, padding 0/1/2, dilation 1 and 2 (those that fit), with
//   channel/batch settings C_in ∈ {1, 3}, C_out ∈ {1, 4}, N ∈ {1, 3}; plus
//   two larger cases that exercise the multi-image GEMM groups and the
//   two-thread split. Convolution tolerance (derived, not tuned): two orders
//   of summing the same t products differ by at most t·ε·Σ|terms| (each is
//   within (t/2)·ε of the exact sum), so we allow (t + 2)·ε·Σ|terms| per
//   element, Σ|terms| being the naive kernel run on |inputs|. Pooling visits
//   the same taps in the same order in both twins: equality is exact
//   (argmax included).
// - NaiveConvolution's forward equals a hand-worked example; its backward
//   input, weight and bias gradients equal centered finite differences of
//   L = Σ y ⊙ R in Double (relative error ≤ 1e-7: L is linear in each
//   argument, so only rounding separates them).
// - Max-pool backward routes dy to the argmax (hand examples: a tie, overlap,
//   negative inputs with padding); average-pool backward equals finite
//   differences.
// - Everything is small: the file runs in well under 5 s in a debug build.

import BackpropCore
import ConvolutionalNetworks
import Foundation
import TestSupport
import Testing

/// One convolution shape for the twin tests.
struct ConvolutionCase: Sendable, CustomTestStringConvertible {
    let batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int
    let kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int, dilation: Int

    var testDescription: String {
        "N\(batch) C\(inChannels)→\(outChannels) \(height)×\(width) k\(kernelHeight)×\(kernelWidth) s\(stride) p\(padding) d\(dilation)"
    }

    func geometry(pooling: Bool = false) throws -> ConvolutionGeometry {
        try ConvolutionGeometry(
            batch: batch, inChannels: inChannels, height: height, width: width,
            outChannels: pooling ? inChannels : outChannels, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
            stride: stride, padding: padding, dilation: dilation)
    }

    /// Every fitting combination of the awkward settings, plus two larger shapes.
    static let all: [ConvolutionCase] = {
        var cases: [ConvolutionCase] = []
        let channels = [(1, 1, 1), (3, 4, 3), (1, 4, 3), (3, 1, 1)]  // (C_in, C_out, N)
        for (kh, kw) in [(3, 3), (2, 3)] {
            for stride in [1, 2] {
                for padding in [0, 1, 2] {
                    for dilation in [1, 2] {
                        for (ci, co, n) in channels {
                            let c = ConvolutionCase(
                                batch: n, inChannels: ci, outChannels: co, height: 5, width: 7,
                                kernelHeight: kh, kernelWidth: kw, stride: stride, padding: padding, dilation: dilation)
                            if (try? c.geometry()) != nil { cases.append(c) }
                        }
                    }
                }
            }
        }
        // Two threads (≥ 2¹⁹ multiply-adds): chunks of one and two images, the
        // second chunk one two-image GEMM.
        cases.append(ConvolutionCase(batch: 3, inChannels: 8, outChannels: 16, height: 12, width: 13,
                                     kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1, dilation: 1))
        // One image per GEMM (H_out·W_out = 25·25 > 512), dilation 2.
        cases.append(ConvolutionCase(batch: 2, inChannels: 2, outChannels: 3, height: 25, width: 23,
                                     kernelHeight: 3, kernelWidth: 2, stride: 1, padding: 2, dilation: 2))
        return cases
    }()
}

/// Array-in, array-out wrappers around a kernel twin.
private enum Kernels {
    static func array<T: TensorScalar>(_: T.Type, _ count: Int, seed: UInt64) -> [T] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in T(rng.uniform(-1, 1)) }
    }

    static func forward<T: TensorScalar>(
        _ k: any ConvolutionKernels.Type, _ g: ConvolutionGeometry, _ x: [T], _ w: [T], _ b: [T]?
    ) -> [T] {
        var y = [T](repeating: .nan, count: g.outputShape.reduce(1, *))
        x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                y.withUnsafeMutableBufferPointer { py in
                    if let b {
                        b.withUnsafeBufferPointer { pb in
                            k.convolutionForward(g, input: px.baseAddress!, weight: pw.baseAddress!, bias: pb.baseAddress!, output: py.baseAddress!)
                        }
                    } else {
                        k.convolutionForward(g, input: px.baseAddress!, weight: pw.baseAddress!, bias: nil, output: py.baseAddress!)
                    }
                }
            }
        }
        return y
    }

    static func backwardInput<T: TensorScalar>(
        _ k: any ConvolutionKernels.Type, _ g: ConvolutionGeometry, _ dy: [T], _ w: [T]
    ) -> [T] {
        var dx = [T](repeating: .nan, count: g.inputShape.reduce(1, *))  // must be overwritten
        dy.withUnsafeBufferPointer { pdy in
            w.withUnsafeBufferPointer { pw in
                dx.withUnsafeMutableBufferPointer { pdx in
                    k.convolutionBackwardInput(g, outputGradient: pdy.baseAddress!, weight: pw.baseAddress!, inputGradient: pdx.baseAddress!)
                }
            }
        }
        return dx
    }

    /// (dw0 + ∂L/∂w, db0 + ∂L/∂b): backward weight accumulates onto dw0, db0.
    static func backwardWeight<T: TensorScalar>(
        _ k: any ConvolutionKernels.Type, _ g: ConvolutionGeometry, _ x: [T], _ dy: [T], dw0: [T], db0: [T]
    ) -> ([T], [T]) {
        var dw = dw0, db = db0
        x.withUnsafeBufferPointer { px in
            dy.withUnsafeBufferPointer { pdy in
                dw.withUnsafeMutableBufferPointer { pdw in
                    db.withUnsafeMutableBufferPointer { pdb in
                        k.convolutionBackwardWeight(g, input: px.baseAddress!, outputGradient: pdy.baseAddress!,
                                                    weightGradient: pdw.baseAddress!, biasGradient: pdb.baseAddress!)
                    }
                }
            }
        }
        return (dw, db)
    }

    static func maxPool<T: TensorScalar>(_ k: any ConvolutionKernels.Type, _ g: ConvolutionGeometry, _ x: [T]) -> ([T], [Int32]) {
        let count = g.outputShape.reduce(1, *)
        var y = [T](repeating: .nan, count: count), argmax = [Int32](repeating: -7, count: count)
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                argmax.withUnsafeMutableBufferPointer { pa in
                    k.maxPoolForward(g, input: px.baseAddress!, output: py.baseAddress!, argmax: pa.baseAddress!)
                }
            }
        }
        return (y, argmax)
    }

    static func maxPoolBackward<T: TensorScalar>(
        _ k: any ConvolutionKernels.Type, _ g: ConvolutionGeometry, _ dy: [T], _ argmax: [Int32]
    ) -> [T] {
        var dx = [T](repeating: .nan, count: g.inputShape.reduce(1, *))
        dy.withUnsafeBufferPointer { pdy in
            argmax.withUnsafeBufferPointer { pa in
                dx.withUnsafeMutableBufferPointer { pdx in
                    k.maxPoolBackward(g, outputGradient: pdy.baseAddress!, argmax: pa.baseAddress!, inputGradient: pdx.baseAddress!)
                }
            }
        }
        return dx
    }

    static func averagePool<T: TensorScalar>(_ k: any ConvolutionKernels.Type, _ g: ConvolutionGeometry, _ x: [T]) -> [T] {
        var y = [T](repeating: .nan, count: g.outputShape.reduce(1, *))
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                k.averagePoolForward(g, input: px.baseAddress!, output: py.baseAddress!)
            }
        }
        return y
    }

    static func averagePoolBackward<T: TensorScalar>(_ k: any ConvolutionKernels.Type, _ g: ConvolutionGeometry, _ dy: [T]) -> [T] {
        var dx = [T](repeating: .nan, count: g.inputShape.reduce(1, *))
        dy.withUnsafeBufferPointer { pdy in
            dx.withUnsafeMutableBufferPointer { pdx in
                k.averagePoolBackward(g, outputGradient: pdy.baseAddress!, inputGradient: pdx.baseAddress!)
            }
        }
        return dx
    }

    /// The index of the first element with |fast − naive| > (terms + 2)·ε·magnitude, if any.
    static func firstViolation<T: TensorScalar>(_ fast: [T], _ naive: [T], magnitude: [T], terms: Int) -> Int? {
        let bound = T(terms + 2) * T.ulpOfOne
        return fast.indices.first { i in !(abs(fast[i] - naive[i]) <= bound * magnitude[i]) }
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
}

@Suite("Convolution kernel twins")
struct ConvolutionKernelTests {
    // MARK: Twins agree

    func checkConvolutionTwins<T: TensorScalar>(_: T.Type, _ c: ConvolutionCase) throws {
        let g = try c.geometry()
        let seed = UInt64(c.testDescription.utf8.reduce(7) { $0 &* 31 &+ Int($1) } & 0xFFFF)
        let x = Kernels.array(T.self, g.inputShape.reduce(1, *), seed: seed)
        let w = Kernels.array(T.self, g.weightShape.reduce(1, *), seed: seed + 1)
        let b = Kernels.array(T.self, g.outChannels, seed: seed + 2)
        let dy = Kernels.array(T.self, g.outputShape.reduce(1, *), seed: seed + 3)
        let dw0 = Kernels.array(T.self, w.count, seed: seed + 4), db0 = Kernels.array(T.self, b.count, seed: seed + 5)
        let (ax, aw, ab, ady) = (x.map(abs), w.map(abs), b.map(abs), dy.map(abs))
        let (kh, kw) = (g.kernelHeight, g.kernelWidth)
        let hw = g.outHeight * g.outWidth

        // Forward, with and without bias: K = C_in·k_h·k_w products (+ b).
        for bias in [b, nil] as [[T]?] {
            let naive = Kernels.forward(NaiveConvolution.self, g, x, w, bias)
            let fast = Kernels.forward(Im2colConvolution.self, g, x, w, bias)
            let magnitude = Kernels.forward(NaiveConvolution.self, g, ax, aw, bias == nil ? nil : ab)
            let bad = Kernels.firstViolation(fast, naive, magnitude: magnitude, terms: g.inChannels * kh * kw + 1)
            #expect(bad == nil, "forward\(bias == nil ? " (no bias)" : "") \(c.testDescription) at \(bad ?? -1): \(bad.map { "\(fast[$0]) vs \(naive[$0])" } ?? "")")
        }

        // Backward input: C_out·k_h·k_w products per element.
        do {
            let naive = Kernels.backwardInput(NaiveConvolution.self, g, dy, w)
            let fast = Kernels.backwardInput(Im2colConvolution.self, g, dy, w)
            let magnitude = Kernels.backwardInput(NaiveConvolution.self, g, ady, aw)
            let bad = Kernels.firstViolation(fast, naive, magnitude: magnitude, terms: g.outChannels * kh * kw)
            #expect(bad == nil, "backward input \(c.testDescription) at \(bad ?? -1): \(bad.map { "\(fast[$0]) vs \(naive[$0])" } ?? "")")
        }

        // Backward weight: N·H_out·W_out products, added to dw0 (and db0).
        do {
            let (naiveW, naiveB) = Kernels.backwardWeight(NaiveConvolution.self, g, x, dy, dw0: dw0, db0: db0)
            let (fastW, fastB) = Kernels.backwardWeight(Im2colConvolution.self, g, x, dy, dw0: dw0, db0: db0)
            let (magW, magB) = Kernels.backwardWeight(NaiveConvolution.self, g, ax, ady, dw0: dw0.map(abs), db0: db0.map(abs))
            let badW = Kernels.firstViolation(fastW, naiveW, magnitude: magW, terms: g.batch * hw)
            let badB = Kernels.firstViolation(fastB, naiveB, magnitude: magB, terms: g.batch * hw)
            #expect(badW == nil, "backward weight \(c.testDescription) at \(badW ?? -1)")
            #expect(badB == nil, "backward bias \(c.testDescription) at \(badB ?? -1)")
        }
    }

    func checkPoolingTwins<T: TensorScalar>(_: T.Type, _ c: ConvolutionCase) throws {
        let g = try c.geometry(pooling: true)
        let x = Kernels.array(T.self, g.inputShape.reduce(1, *), seed: 11)
        let dy = Kernels.array(T.self, g.outputShape.reduce(1, *), seed: 12)
        let (naiveY, naiveArg) = Kernels.maxPool(NaiveConvolution.self, g, x)
        let (fastY, fastArg) = Kernels.maxPool(Im2colConvolution.self, g, x)
        #expect(fastY == naiveY, "max pool \(c.testDescription)")
        #expect(fastArg == naiveArg, "max pool argmax \(c.testDescription)")
        #expect(Kernels.maxPoolBackward(Im2colConvolution.self, g, dy, naiveArg)
                == Kernels.maxPoolBackward(NaiveConvolution.self, g, dy, naiveArg), "max pool backward \(c.testDescription)")
        #expect(Kernels.averagePool(Im2colConvolution.self, g, x)
                == Kernels.averagePool(NaiveConvolution.self, g, x), "average pool \(c.testDescription)")
        #expect(Kernels.averagePoolBackward(Im2colConvolution.self, g, dy)
                == Kernels.averagePoolBackward(NaiveConvolution.self, g, dy), "average pool backward \(c.testDescription)")
    }

    @Test("im2col convolution agrees with the naive loops", arguments: ConvolutionCase.all)
    func convolutionTwins(_ c: ConvolutionCase) throws {
        try checkConvolutionTwins(Float.self, c)
        try checkConvolutionTwins(Double.self, c)
    }

    @Test("fast pooling equals the naive loops exactly", arguments: ConvolutionCase.all)
    func poolingTwins(_ c: ConvolutionCase) throws {
        try checkPoolingTwins(Float.self, c)
        try checkPoolingTwins(Double.self, c)
    }

    @Test("backends name their kernel sets")
    func backends() {
        #expect(Backend.naive.convolution.name == "naive")
        #expect(Backend.simd.convolution.name == "im2col")
    }

    // MARK: Naive forward by hand

    /// x has two 3×3 channels, x₀ = [[1,2,3],[4,5,6],[7,8,9]] and x₁ = all ones;
    /// w₀ = [[1,2],[3,4]], w₁ = [[1,1],[1,1]], b = 0.5, stride 2, padding 1, so
    /// H_out = ⌊(3 + 2 − 1 − 1)/2⌋ + 1 = 2 and output (i, j) reads rows 2i−1+u,
    /// columns 2j−1+v. Channel 1 adds the number of in-bounds taps.
    ///   (0,0): only (0,0) inside: 4·1 = 4;                          + 1 tap  → 4 + 1 + 0.5 = 5.5
    ///   (0,1): (0,1),(0,2) with w₀[1,0], w₀[1,1]: 3·2 + 4·3 = 18;   + 2 taps → 20.5
    ///   (1,0): (1,0),(2,0) with w₀[0,1], w₀[1,1]: 2·4 + 4·7 = 36;   + 2 taps → 38.5
    ///   (1,1): rows 1–2, cols 1–2: 1·5 + 2·6 + 3·8 + 4·9 = 77;      + 4 taps → 81.5
    @Test("naive forward matches a hand-worked example")
    func handWorkedForward() throws {
        let g = try ConvolutionGeometry(batch: 1, inChannels: 2, height: 3, width: 3, outChannels: 1,
                                        kernelHeight: 2, kernelWidth: 2, stride: 2, padding: 1)
        let x: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 9] + Array(repeating: 1, count: 9)
        let w: [Double] = [1, 2, 3, 4, 1, 1, 1, 1]
        #expect(g.outputShape == [1, 1, 2, 2])
        #expect(Kernels.forward(NaiveConvolution.self, g, x, w, [0.5]) == [5.5, 20.5, 38.5, 81.5])
        #expect(Kernels.forward(Im2colConvolution.self, g, x, w, [0.5]) == [5.5, 20.5, 38.5, 81.5])
    }

    // MARK: Naive backward against finite differences

    @Test("naive convolution gradients equal finite differences of Σ y ⊙ R",
          arguments: [
              ConvolutionCase(batch: 2, inChannels: 2, outChannels: 3, height: 5, width: 7,
                              kernelHeight: 3, kernelWidth: 2, stride: 2, padding: 1, dilation: 2),
              ConvolutionCase(batch: 1, inChannels: 3, outChannels: 2, height: 5, width: 6,
                              kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 2, dilation: 1),
          ])
    func naiveGradients(_ c: ConvolutionCase) throws {
        let g = try c.geometry()
        let x = randomTensor(g.inputShape, seed: 21), w = randomTensor(g.weightShape, seed: 22)
        let b = randomTensor([g.outChannels], seed: 23), r = randomTensor(g.outputShape, seed: 24)
        func loss(_ x: Tensor<Double>, _ w: Tensor<Double>, _ b: Tensor<Double>) -> Double {
            Kernels.dot(Kernels.forward(NaiveConvolution.self, g, x.scalars, w.scalars, b.scalars), r.scalars)
        }
        let dx = Kernels.backwardInput(NaiveConvolution.self, g, r.scalars, w.scalars)
        let (dw, db) = Kernels.backwardWeight(NaiveConvolution.self, g, x.scalars, r.scalars,
                                              dw0: Array(repeating: 0, count: w.count), db0: Array(repeating: 0, count: b.count))
        let input = try GradientCheck.check({ loss($0, w, b) }, at: x, analytic: Tensor(shape: x.shape, scalars: dx))
        let weight = try GradientCheck.check({ loss(x, $0, b) }, at: w, analytic: Tensor(shape: w.shape, scalars: dw))
        let bias = try GradientCheck.check({ loss(x, w, $0) }, at: b, analytic: Tensor(shape: b.shape, scalars: db))
        #expect(input.passes(1e-7), "dx: \(input)")
        #expect(weight.passes(1e-7), "dw: \(weight)")
        #expect(bias.passes(1e-7), "db: \(bias)")
    }

    // MARK: Pooling by hand and by finite differences

    /// x = [[1, 3, 3, 0], [2, 3, −1, 5]], 2×2 windows, stride 2: the left window
    /// holds 3 twice, at (0,1) = index 1 and (1,1) = index 5; the first in
    /// row-major scan wins (PyTorch), so argmax = [1, 7] and dx gets dy₀ at 1
    /// and dy₁ at 7.
    @Test("max pooling routes the gradient to the first maximum on ties")
    func maxPoolTie() throws {
        for k in [NaiveConvolution.self, Im2colConvolution.self] as [any ConvolutionKernels.Type] {
            let g = try ConvolutionGeometry(batch: 1, inChannels: 1, height: 2, width: 4, outChannels: 1,
                                            kernelHeight: 2, kernelWidth: 2, stride: 2)
            let (y, argmax) = Kernels.maxPool(k, g, [1, 3, 3, 0, 2, 3, -1, 5] as [Double])
            #expect(y == [3, 5])
            #expect(argmax == [1, 7])
            #expect(Kernels.maxPoolBackward(k, g, [10, 20] as [Double], argmax) == [0, 10, 0, 0, 0, 0, 0, 20])
        }
    }

    /// Overlapping windows (1×2, stride 1) over x = [1, 4, 2]: both windows'
    /// maximum is x₁, so dx₁ = dy₀ + dy₁. And with padding 1 on all-negative
    /// x, a padding position (−∞) never wins: a 3×3 window, stride 2, over the
    /// 3×3 image −[[1,2,3],[4,5,6],[7,8,9]] gives the largest real neighbour.
    @Test("max pooling accumulates overlaps and treats padding as −∞")
    func maxPoolOverlapAndPadding() throws {
        for k in [NaiveConvolution.self, Im2colConvolution.self] as [any ConvolutionKernels.Type] {
            let g = try ConvolutionGeometry(batch: 1, inChannels: 1, height: 1, width: 3, outChannels: 1,
                                            kernelHeight: 1, kernelWidth: 2, stride: 1)
            let (y, argmax) = Kernels.maxPool(k, g, [1, 4, 2] as [Float])
            #expect(y == [4, 4] && argmax == [1, 1])
            #expect(Kernels.maxPoolBackward(k, g, [0.5, 0.25] as [Float], argmax) == [0, 0.75, 0])

            // Output (i, j) covers rows and columns {2i−1, 2i, 2i+1} × {2j−1, 2j, 2j+1}; over the
            // in-bounds taps: (0,0) → max(−1,−2,−4,−5) = −1 at 0; (0,1) → max(−2,−3,−5,−6) = −2 at 1;
            // (1,0) → max(−4,−5,−7,−8) = −4 at 3; (1,1) → max(−5,−6,−8,−9) = −5 at 4. A padding
            // zero would have won every window.
            let gp = try ConvolutionGeometry(batch: 1, inChannels: 1, height: 3, width: 3, outChannels: 1,
                                             kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1)
            let (yp, ap) = Kernels.maxPool(k, gp, [-1, -2, -3, -4, -5, -6, -7, -8, -9] as [Double])
            #expect(yp == [-1, -2, -4, -5])
            #expect(ap == [0, 1, 3, 4])
        }
    }

    @Test("average-pool backward equals finite differences (padding counts in the divisor)")
    func averagePoolGradient() throws {
        // Overlapping 3×3 windows, stride 2, padding 1 on a 5×7 image; and 2×3 windows with dilation 2.
        let cases = [
            ConvolutionCase(batch: 2, inChannels: 2, outChannels: 2, height: 5, width: 7,
                            kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1, dilation: 1),
            ConvolutionCase(batch: 1, inChannels: 3, outChannels: 3, height: 5, width: 7,
                            kernelHeight: 2, kernelWidth: 3, stride: 1, padding: 1, dilation: 2),
        ]
        for c in cases {
            let g = try c.geometry(pooling: true)
            let x = randomTensor(g.inputShape, seed: 31), r = randomTensor(g.outputShape, seed: 32)
            for k in [NaiveConvolution.self, Im2colConvolution.self] as [any ConvolutionKernels.Type] {
                let dx = Kernels.averagePoolBackward(k, g, r.scalars)
                let report = try GradientCheck.check({ Kernels.dot(Kernels.averagePool(k, g, $0.scalars), r.scalars) },
                                                     at: x, analytic: Tensor(shape: x.shape, scalars: dx))
                #expect(report.passes(1e-7), "\(k.name) \(c.testDescription): \(report)")
            }
        }
        // By hand: a 2×2 image of ones, 2×2 window, padding 1, stride 2 → each window
        // sees one real pixel and three zeros: y = 1/4 everywhere (count_include_pad).
        let g = try ConvolutionGeometry(batch: 1, inChannels: 1, height: 2, width: 2, outChannels: 1,
                                        kernelHeight: 2, kernelWidth: 2, stride: 2, padding: 1)
        #expect(Kernels.averagePool(NaiveConvolution.self, g, [1, 1, 1, 1] as [Double]) == [0.25, 0.25, 0.25, 0.25])
    }
}
