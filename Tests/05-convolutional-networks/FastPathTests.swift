// FastPathTests: the fast twin's special cases and the buffers the layers
// reuse between training steps.
//
// Contract
// - The 2×2 max pool (Im2colConvolution+MaxPool2x2.swift) equals the naive
//   scan exactly, output and argmax, in Float and Double, on widths that
//   take its eight-, four- and one-window paths and their mixtures (W = 2…
//   35, odd W and H leaving a column or row out), and on inputs full of ties,
//   signed zeros, infinities and NaNs (where the rule "greater or NaN
//   replaces" decides which index wins).
// - Training-mode outputs share a layer's reused buffer, yet a tensor still
//   held from an earlier call keeps its values (copy-on-write).
// - `Sequential.backwardParameters` (the trainer's backward) accumulates the
//   same parameter gradients as `backward`, and Conv2D's
//   `accumulateParameterGradients` the same dW and db as its `backward`.
// - The fused `Im2colConvolution.convolutionBackward` agrees with the naive
//   twin's two backward passes (the kernel twin tests' bounds), on one and
//   on two threads, with and without the bias gradient.

import BackpropCore
import Backpropagation
import ConvolutionalNetworks
import TestSupport
import Testing

@Suite struct FastPathTests {
    /// Max-pool 2×2 of both twins on `x` [n, c, h, w].
    func pools<T: TensorScalar>(_ x: [T], _ n: Int, _ c: Int, _ h: Int, _ w: Int) throws
        -> (fast: ([T], [Int32]), naive: ([T], [Int32]))
    {
        let g = try ConvolutionGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: c,
                                        kernelHeight: 2, kernelWidth: 2, stride: 2)
        func run(_ k: any ConvolutionKernels.Type) -> ([T], [Int32]) {
            let count = g.outputShape.reduce(1, *)
            var y = [T](repeating: 7, count: count), argmax = [Int32](repeating: -7, count: count)
            k.maxPoolForward(g, input: x, output: &y, argmax: &argmax)
            return (y, argmax)
        }
        return (run(Im2colConvolution.self), run(NaiveConvolution.self))
    }

    /// Bitwise equality (a NaN equals the same NaN, −0 differs from +0).
    func same<T: TensorScalar>(_ a: [T], _ b: [T]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { u, v in
            u.sign == v.sign && u.exponentBitPattern == v.exponentBitPattern && u.significandBitPattern == v.significandBitPattern
        }
    }

    func checkPool<T: TensorScalar>(_: T.Type, width: Int, height: Int, special: Bool) throws {
        let (n, c) = (2, 3)
        var rng = SeededRandom(seed: UInt64(width * 100 + height))
        let values: [T] = [0, -0.0, 1, 1, -1, .infinity, -.infinity, .nan, -.nan, 2]
        let x: [T] = (0..<(n * c * height * width)).map { _ in
            special ? values[rng.integer(below: values.count)] : T(rng.uniform(-1, 1))
        }
        let (fast, naive) = try pools(x, n, c, height, width)
        #expect(same(fast.0, naive.0), "y \(T.self) \(height)×\(width)")
        #expect(fast.1 == naive.1, "argmax \(T.self) \(height)×\(width)")
    }

    @Test("2×2 max pool equals the naive scan, ties and NaNs included", arguments: Array(2...35))
    func maxPool2x2(width: Int) throws {
        for height in [2, 3, 8] {
            for special in [false, true] {
                try checkPool(Float.self, width: width, height: height, special: special)
                try checkPool(Double.self, width: width, height: height, special: special)
            }
        }
    }

    @Test("a large 2×2 max pool (split over threads) equals the naive scan")
    func maxPool2x2Large() throws {
        try checkPool(Float.self, width: 28, height: 28, special: true)  // with n·c = 6: one thread
        var rng = SeededRandom(seed: 3)
        let (n, c, h, w) = (64, 6, 28, 28)  // ≥ 2¹⁸ elements: two threads
        let x: [Float] = (0..<(n * c * h * w)).map { _ in Float(rng.uniform(-1, 1)) }
        let (fast, naive) = try pools(x, n, c, h, w)
        #expect(fast.0 == naive.0 && fast.1 == naive.1)
    }

    @Test("a tensor held from an earlier training step keeps its values")
    func reusedBuffersCopyOnWrite() throws {
        let model: Sequential<Float> = try DigitsCNN.make(dropout: 0, seed: 5)
        let a = randomTensor([4, 64], seed: 6).converted() as Tensor<Float>
        let b = randomTensor([4, 64], seed: 7).converted() as Tensor<Float>
        let first = try model.forward(a, mode: .training)
        let kept = first.output
        let second = try model.forward(b, mode: .training)
        let again = try model.forward(a, mode: .training)
        #expect(kept == again.output)
        #expect(kept != second.output)
        // Every layer's output too, not just the logits.
        for (x, y) in zip(first.cache, again.cache) {
            if let x = x as? (Tensor<Float>, Tensor<Float>), let y = y as? (Tensor<Float>, Tensor<Float>) {
                #expect(x.0 == y.0 && x.1 == y.1)
            }
        }
    }

    @Test("backwardParameters accumulates the same gradients as backward")
    func parameterGradientsOnly() throws {
        for backend in Backend.allCases {
            let model: Sequential<Double> = try DigitsCNN.make(dropout: 0, seed: 8, backend: backend)
            let x = randomTensor([3, 64], seed: 9)
            let (y, cache) = try model.forward(x, mode: .training)
            let dy = randomTensor(y.shape, seed: 10)
            model.zeroGrad()
            _ = try model.backward(dy, cache: cache)
            let full = model.parameters.map(\.grad)
            model.zeroGrad()
            try model.backwardParameters(dy, cache: cache)
            #expect(model.parameters.map(\.grad) == full, "\(backend)")
        }
    }

    @Test("Conv2D's parameter-only backward equals backward's dW and db")
    func convolutionParameterGradients() throws {
        var rng = SeededRandom(seed: 11)
        let layer = try Conv2D<Double>(2, 3, kernelSize: 3, padding: 1, rng: &rng)
        let (y, cache) = try layer.forward(randomTensor([2, 2, 5, 6], seed: 12), mode: .training)
        let dy = randomTensor(y.shape, seed: 13)
        _ = try layer.backward(dy, cache: cache)
        let (dw, db) = (layer.weight.grad, layer.bias!.grad)
        layer.weight.zeroGrad()
        layer.bias!.zeroGrad()
        try layer.accumulateParameterGradients(dy, cache: cache)
        #expect(layer.weight.grad == dw && layer.bias!.grad == db)
    }

    @Test("the fused backward equals the naive backward passes", arguments: [(2, 3, 4, 5, 6), (4, 16, 32, 8, 8), (6, 1, 6, 28, 28)])
    func fusedBackward(n: Int, cin: Int, cout: Int, h: Int, w: Int) throws {
        let g = try ConvolutionGeometry(batch: n, inChannels: cin, height: h, width: w, outChannels: cout,
                                        kernelHeight: 3, kernelWidth: 3, padding: 1)
        func values(_ count: Int, _ seed: UInt64) -> [Float] {
            var rng = SeededRandom(seed: seed)
            return (0..<count).map { _ in Float(rng.uniform(-1, 1)) }
        }
        let x = values(g.inputShape.reduce(1, *), 1), wt = values(g.weightShape.reduce(1, *), 2)
        let dy = values(g.outputShape.reduce(1, *), 3), dw0 = values(wt.count, 4), db0 = values(cout, 5)
        for withBias in [true, false] {
            func naiveWeight(_ x: [Float], _ dy: [Float], _ dw: inout [Float], _ db: inout [Float]) {
                db.withUnsafeMutableBufferPointer { pb in
                    NaiveConvolution.convolutionBackwardWeight(g, input: x, outputGradient: dy, weightGradient: &dw,
                                                               biasGradient: withBias ? pb.baseAddress! : nil)
                }
            }
            var (dx, dw, db) = ([Float](repeating: .nan, count: x.count), dw0, db0)
            var (ndx, ndw, ndb) = ([Float](repeating: 0, count: x.count), dw0, db0)
            var (mdx, mdw, mdb) = ([Float](repeating: 0, count: x.count), dw0.map(abs), db0.map(abs))
            dw.withUnsafeMutableBufferPointer { pw in
                db.withUnsafeMutableBufferPointer { pb in
                    Im2colConvolution.convolutionBackward(g, input: x, outputGradient: dy, weight: wt, inputGradient: &dx,
                                                          weightGradient: pw.baseAddress!, biasGradient: withBias ? pb.baseAddress! : nil)
                }
            }
            NaiveConvolution.convolutionBackwardInput(g, outputGradient: dy, weight: wt, inputGradient: &ndx)
            naiveWeight(x, dy, &ndw, &ndb)
            NaiveConvolution.convolutionBackwardInput(g, outputGradient: dy.map(abs), weight: wt.map(abs), inputGradient: &mdx)
            naiveWeight(x.map(abs), dy.map(abs), &mdw, &mdb)
            func within(_ a: [Float], _ b: [Float], _ m: [Float], terms: Int) -> Bool {
                let bound = Float(terms + 2) * Float.ulpOfOne
                return a.indices.allSatisfy { abs(a[$0] - b[$0]) <= bound * m[$0] }
            }
            let hw = g.outHeight * g.outWidth
            #expect(within(dx, ndx, mdx, terms: cout * 9), "dx bias \(withBias)")
            #expect(within(dw, ndw, mdw, terms: n * hw), "dw bias \(withBias)")
            #expect(withBias ? within(db, ndb, mdb, terms: n * hw) : db == db0, "db bias \(withBias)")
        }
    }
}
