// The third oracle (beside finite differences and the PyTorch fixtures):
// Conv2D's hand-written backward pass against a convolution written with
// chapter 3's engine, which derives the backward pass from the forward
// operations alone. The engine has no convolution, so it is built from the
// definition the chapter starts with, as im2col: every output position's
// receptive field is gathered (row by row of the flattened input, an extra
// zero row standing for the padding), and one product with the weights
// flattened to [C_out, C_in·k·k] gives all outputs. Gather's backward is a
// scatter-add, so the overlapping fields' gradients add up by themselves.

import AutomaticDifferentiation
import Backpropagation
import BackpropCore
import ConvolutionalNetworks
import Testing
import TestSupport

@Suite struct EngineOracleTests {
    @Test("Conv2D's backward pass agrees with the engine's im2col derivation",
          arguments: [(1, 0, 1), (2, 1, 1), (1, 2, 2), (2, 0, 1)])
    func convolutionMatchesTheEngine(stride: Int, padding: Int, dilation: Int) throws {
        let (n, c, h, w, o, k) = (2, 3, 7, 6, 4, 3)
        let x = randomTensor([n, c, h, w], seed: 51)
        let span = dilation * (k - 1) + 1
        let (oh, ow) = ((h + 2 * padding - span) / stride + 1, (w + 2 * padding - span) / stride + 1)
        let r = randomTensor([n, o, oh, ow], seed: 52)
        for backend in Backend.allCases {
            var rng = SeededRandom(seed: 53)
            let layer = try Conv2D<Double>(c, o, kernelSize: k, stride: stride, padding: padding, dilation: dilation,
                                           rng: &rng, backend: backend)
            layer.bias!.value = randomTensor([o], seed: 54)

            // The engine: rows of the flattened input, index n·c·h·w the zero row.
            let tape = Tape<Double>(backend: .naive)
            let xv = tape.variable(x)
            let padded = try Variable.concatenated([xv.reshaped([n * c * h * w, 1]), tape.constant(try Tensor.zeros([1, 1]))], axis: 0)
            var ids: [Int] = []   // [N·OH·OW, C·k·k], row-major
            for b in 0..<n { for i in 0..<oh { for j in 0..<ow {
                for ch in 0..<c { for u in 0..<k { for v in 0..<k {
                    let (y, xx) = (i * stride - padding + u * dilation, j * stride - padding + v * dilation)
                    ids.append(y >= 0 && y < h && xx >= 0 && xx < w ? ((b * c + ch) * h + y) * w + xx : n * c * h * w)
                }}}
            }}}
            let patches = try padded.gather(rows: ids).reshaped([n * oh * ow, c * k * k])
            let weight = try tape.parameter(layer.weight).reshaped([o, c * k * k])
            let y = try patches.matmul(weight, .nt) + tape.parameter(layer.bias!)   // [N·OH·OW, C_out]
            // R in the same (position, channel) order
            var rRows = [Double](repeating: 0, count: n * oh * ow * o)
            for b in 0..<n { for ch in 0..<o { for p in 0..<(oh * ow) {
                rRows[(b * oh * ow + p) * o + ch] = r.scalars[(b * o + ch) * oh * ow + p]
            }}}
            for p in layer.parameters { p.zeroGrad() }
            try (y * tape.constant(try Tensor(shape: [n * oh * ow, o], scalars: rRows))).sum().backward()
            let expected = layer.parameters.map(\.grad) + [try #require(xv.grad)]

            for p in layer.parameters { p.zeroGrad() }
            let (out, cache) = try layer.forward(x, mode: .training)
            #expect(out.shape == [n, o, oh, ow])
            let dx = try layer.backward(r, cache: cache)
            let got = layer.parameters.map(\.grad) + [dx]
            for (name, (g, e)) in zip(["dW", "db", "dx"], zip(got, expected)) {
                #expect(maxRelativeDifference(g, e) < 1e-12, "\(backend) stride \(stride) padding \(padding) dilation \(dilation) \(name)")
            }
        }
    }
}
