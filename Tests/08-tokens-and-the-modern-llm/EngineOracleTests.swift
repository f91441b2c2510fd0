// The third oracle (beside finite differences and the PyTorch fixtures): the
// modern block's hand-written backward passes against the same layers written
// with chapter 3's engine, which derives the backward pass from the forward
// operations alone. In Double; the loss is L = Σ y ⊙ R for a fixed random R.

import AutomaticDifferentiation
import Backpropagation
import BackpropCore
import Foundation
import Testing
import TestSupport
import TokensAndTheModernLLM

@Suite struct EngineOracleTests {
    typealias V = Variable<Double>

    /// The hand-written gradients (every parameter's, then dx) of L = Σ y ⊙ R.
    static func handWritten<L: Layer>(_ layer: L, x: Tensor<Double>, r: Tensor<Double>) throws -> [Tensor<Double>] where L.Scalar == Double {
        for p in layer.parameters { p.zeroGrad() }
        let (_, cache) = try layer.forward(x, mode: .training)
        let dx = try layer.backward(r, cache: cache)
        return layer.parameters.map(\.grad) + [dx]
    }

    @Test("RMSNorm's backward agrees with the engine's derivation on both backends")
    func rmsNorm() throws {
        let (n, c) = (6, 12)
        let x = randomTensor([n, c], seed: 71), r = randomTensor([n, c], seed: 72)
        for backend in Backend.allCases {
            let norm = try RMSNorm<Double>(width: c, backend: backend)
            norm.gain.value = try Tensor(shape: [c], scalars: randomTensor([c], seed: 73, scale: 0.5).scalars.map { $0 + 1 })
            let expected = try Self.handWritten(norm, x: x, r: r)
            for p in norm.parameters { p.zeroGrad() }
            // y = x / √(mean(x²) + ε) ⊙ g
            let tape = Tape<Double>(backend: .naive)
            let xv = tape.variable(x)
            let y = try xv * (xv * xv).mean(axis: 1, keepingDimension: true).adding(norm.epsilon).power(-0.5) * tape.parameter(norm.gain)
            try (y * tape.constant(r)).sum().backward()
            let got = norm.parameters.map(\.grad) + [try #require(xv.grad)]
            for (g, e) in zip(got, expected) { #expect(maxRelativeDifference(g, e) < 1e-12, "\(backend)") }
        }
    }

    @Test("SwiGLU's backward agrees with the engine's derivation on both backends")
    func swiGLU() throws {
        let (n, c, hidden) = (5, 8, 12)
        let x = randomTensor([n, c], seed: 74), r = randomTensor([n, c], seed: 75)
        for backend in Backend.allCases {
            var rng = SeededRandom(seed: 76)
            let mlp = try SwiGLU<Double>(width: c, hidden: hidden, std: 0.4, outputStd: 0.4, rng: &rng, backend: backend)
            let expected = try Self.handWritten(mlp, x: x, r: r)
            for p in mlp.parameters { p.zeroGrad() }
            // y = W₂ (silu(W₁x) ⊙ W₃x), silu(a) = a·σ(a)
            let tape = Tape<Double>(backend: .naive)
            let xv = tape.variable(x)
            let a = try xv.matmul(tape.parameter(mlp.gate.weight), .nt), u = try xv.matmul(tape.parameter(mlp.up.weight), .nt)
            let y = try (a * a.sigmoid() * u).matmul(tape.parameter(mlp.down.weight), .nt)
            try (y * tape.constant(r)).sum().backward()
            let got = mlp.parameters.map(\.grad) + [try #require(xv.grad)]
            #expect(got.count == expected.count)
            for (g, e) in zip(got, expected) { #expect(maxRelativeDifference(g, e) < 1e-12, "\(backend)") }
        }
    }

    @Test("RoPE's backward (the inverse rotation) agrees with the engine's derivation, angles from the definition")
    func rotary() throws {
        let (b, t, heads, d) = (2, 5, 3, 8)
        let x = randomTensor([b, t, heads * d], seed: 77), r = randomTensor([b, t, heads * d], seed: 78)
        // cos and sin of p·θᵢ, θᵢ = 10000^(−2i/d), written out for every row and feature (rotate-half pairing)
        var cosines = [Double](), sines = [Double]()
        for _ in 0..<b { for p in 0..<t { for _ in 0..<heads { for j in 0..<d {
            let angle = Double(p) * pow(10_000, -2 * Double(j % (d / 2)) / Double(d))
            cosines.append(cos(angle)); sines.append(sin(angle))
        }}}}
        for backend in Backend.allCases {
            let rope = try RotaryEmbedding<Double>(headWidth: d, positions: t, backend: backend)
            let expected = try Self.handWritten(rope, x: x, r: r)
            let tape = Tape<Double>(backend: .naive)
            let xv = tape.variable(x)
            let rows = try xv.reshaped([b * t * heads, d])
            let (lo, hi) = (try rows.slice(axis: 1, 0..<(d / 2)), try rows.slice(axis: 1, (d / 2)..<d))
            let rotated = try Variable.concatenated([hi.scaled(by: -1), lo], axis: 1)       // (−x[i+h], x[i])
            let y = try rows * tape.constant(Tensor(shape: [b * t * heads, d], scalars: cosines))
                + rotated * tape.constant(Tensor(shape: [b * t * heads, d], scalars: sines))
            try (y.reshaped([b, t, heads * d]) * tape.constant(r)).sum().backward()
            #expect(maxRelativeDifference(expected.last!, try #require(xv.grad)) < 1e-12, "\(backend)")
        }
    }
}
