// The 2-2-1 network that chapter 2 ("Backpropagation by hand") works through
// with pencil and paper: every forward value and every gradient printed in
// the chapter, reproduced by the library's layers. The expected numbers are
// the chapter's hand arithmetic (all exact in binary), not outputs of the code.

import BackpropCore
import Backpropagation
import Testing

@Suite struct WorkedExampleTests {
    @Test("the chapter's 2-2-1 example: the code reproduces every number worked by hand", arguments: [Backend.naive, .simd])
    func twoTwoOneByHand(backend: Backend) throws {
        let first = try Linear<Double>(weight: try Tensor(rows: [[0.5, -0.5], [-0.5, 1.0]]),
                                       bias: Tensor([0.25, 0]), backend: backend)
        let second = try Linear<Double>(weight: try Tensor(rows: [[1.0, 0.5]]), bias: Tensor([0.5]), backend: backend)
        let network = Sequential<Double>([first, Activation<Double>(.relu, backend: backend), second])
        let x = try Tensor<Double>(rows: [[1, 2]])
        let target = 1.0

        // Forward: z₁ = (−0.25, 1.5), h = (0, 1.5), ŷ = 1.25, L = ½(ŷ − t)² = 0.03125.
        let (z1, _) = try first.forward(x, mode: .training)
        #expect(z1.scalars == [-0.25, 1.5])
        let (yHat, cache) = try network.forward(x, mode: .training)
        #expect(yHat.scalars == [1.25])
        let loss = 0.5 * (yHat.scalars[0] - target) * (yHat.scalars[0] - target)
        #expect(loss == 0.03125)

        // Backward from dL/dŷ = ŷ − t = 0.25.
        let dx = try network.backward(try Tensor(rows: [[yHat.scalars[0] - target]]), cache: cache)
        #expect(second.weight.grad.scalars == [0, 0.375])
        #expect(second.bias.grad.scalars == [0.25])
        #expect(first.weight.grad.scalars == [0, 0, 0.125, 0.25])
        #expect(first.bias.grad.scalars == [0, 0.125])
        #expect(dx.scalars == [-0.0625, 0.125])
    }

    @Test("the chapter's check by hand: nudging W₂ by ±0.01 changes the loss by 0.375 per unit")
    func nudgeByHand() throws {
        // L(w) = ½(0·1.0 + 1.5·w + 0.5 − 1)², a quadratic in w, so the centered
        // difference is exact: (L(0.51) − L(0.49)) / 0.02 = 0.375.
        func loss(_ w: Double) throws -> Double {
            let second = try Linear<Double>(weight: try Tensor(rows: [[1.0, w]]), bias: Tensor([0.5]))
            let y = try second(try Tensor(rows: [[0, 1.5]])).scalars[0]
            return 0.5 * (y - 1) * (y - 1)
        }
        #expect(abs((try loss(0.51) - loss(0.49)) / 0.02 - 0.375) < 1e-12)
    }
}
