// Tests for the embedding folded into the input projection
// (RecurrentLayer+EmbeddedInput.swift): the same layer run on the rows
// E[ids] formed explicitly and on the ids with the table, in Float with the
// SIMD kernels. The forward pass must be bit-identical; the gradients (the
// same sums grouped by token) agree within the twin tests' tolerance.

import BackpropCore
import Backpropagation
import Testing
import TestSupport
@testable import RecurrentNetworks

@Suite struct EmbeddedInputTests {
    /// B = 9, H = 24 (a partial column panel, chunks of 4 and 5 rows), V = 7
    /// ids drawn with repeats, a carried initial state and ∂L/∂h_T.
    @Test(arguments: CellKind.allCases)
    func foldedInputMatchesExplicitRows(_ kind: CellKind) throws {
        let (b, t, i, h, v) = (9, 4, 5, 24, 7)
        var rng = SeededRandom(seed: 720)
        let layer = try RecurrentLayer<Float>(kind, inputSize: i, hiddenSize: h, rng: &rng, backend: .simd)
        let embedding = try Embedding<Float>(count: v, dimension: i, rng: &rng)
        let ids = (0..<(t * b)).map { _ in Int(rng.uniform(0, Double(v))) % v }
        let h0: [Float] = randomTensor([b, h], seed: 721).converted().scalars
        let c0: [Float]? = kind == .lstm ? randomTensor([b, h], seed: 722).converted().scalars : nil
        let dy: [Float] = randomTensor([t * b, h], seed: 723).converted().scalars
        let dhT: [Float] = randomTensor([b, h], seed: 724).converted().scalars

        // explicit rows x_r = E[id_r], then dE by scatter-adding dx
        let x = ids.flatMap { Array(embedding.weight.value.scalars[($0 * i)..<($0 * i + i)]) }
        let explicit = try layer.forwardTimeMajor(x, batch: b, h0: h0, c0: c0)
        let g1 = try layer.backwardTimeMajor(dy, dFinalH: dhT, cache: explicit)
        var dE = [Float](repeating: 0, count: v * i)
        for (r, id) in ids.enumerated() { for j in 0..<i { dE[id * i + j] += g1.dx[r * i + j] } }
        let grads1 = layer.parameters.map(\.grad)

        layer.parameters.forEach { $0.zeroGrad() }
        embedding.weight.zeroGrad()
        let folded = try layer.forwardTimeMajor(tokens: ids, embedding: embedding, batch: b, h0: h0, c0: c0)
        #expect(folded.hs == explicit.hs)
        #expect(folded.cs == explicit.cs)
        let g2 = try layer.backwardTimeMajor(dy, dFinalH: dhT, cache: folded)
        #expect(g2.dx.isEmpty)
        #expect(g2.dh0 == g1.dh0)
        #expect(g2.dc0 == g1.dc0)
        let tolerance = 1e-5
        for (p, g) in zip(layer.parameters, grads1) {
            #expect(maxRelativeDifference(p.grad, g) < tolerance, "\(kind) \(p.name)")
        }
        #expect(maxRelativeDifference(embedding.weight.grad, try Tensor(shape: [v, i], scalars: dE)) < tolerance, "\(kind) embedding")
    }

    @Test func idsOutsideTheTableAreTypedErrors() throws {
        var rng = SeededRandom(seed: 730)
        let layer = try RecurrentLayer<Float>(.lstm, inputSize: 3, hiddenSize: 8, rng: &rng, backend: .simd)
        let embedding = try Embedding<Float>(count: 4, dimension: 3, rng: &rng)
        #expect(throws: TextError.self) { try layer.forwardTimeMajor(tokens: [0, 4], embedding: embedding, batch: 2) }
        let wide = try Embedding<Float>(count: 4, dimension: 5, rng: &rng)
        #expect(throws: TensorError.self) { try layer.forwardTimeMajor(tokens: [0, 1], embedding: wide, batch: 2) }
    }
}
