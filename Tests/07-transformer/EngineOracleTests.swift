// The third oracle (beside finite differences and the PyTorch fixtures): a
// Transformer block's hand-written backward pass (LayerNorm, the attention
// twins, the MLP and the residuals) against the same block written with
// chapter 3's engine, which derives the backward pass from the forward
// operations alone. The engine version follows the equations of
// TransformerBlock.swift and CausalAttention.swift in Double; the loss is
// L = Σ z ⊙ R for a fixed random R, so ∂L/∂z = R.

import AutomaticDifferentiation
import Backpropagation
import BackpropCore
import Testing
import TestSupport
import Transformer

@Suite struct EngineOracleTests {
    typealias V = Variable<Double>

    /// LN(x) over the last axis of x [N, C]: (x − μ)/√(σ² + ε)·γ + β, σ² the biased variance.
    static func layerNorm(_ x: V, _ norm: LayerNorm<Double>, tape: Tape<Double>) throws -> V {
        let centred = try x - x.mean(axis: 1, keepingDimension: true)
        let variance = try (centred * centred).mean(axis: 1, keepingDimension: true)
        let normalized = try centred * variance.adding(norm.epsilon).power(-0.5)
        let scaled = try normalized * tape.parameter(norm.gamma)
        return norm.hasBias ? try scaled + tape.parameter(norm.beta) : scaled
    }

    /// y = x·Wᵀ + b for x [N, in].
    static func linear(_ x: V, _ layer: Linear<Double>, tape: Tape<Double>) throws -> V {
        let y = try x.matmul(tape.parameter(layer.weight), .nt)
        return layer.hasBias ? try y + tape.parameter(layer.bias) : y
    }

    /// Causal multi-head attention of qkv [B·T, 3C], head by head and sequence by sequence.
    static func attention(_ qkv: V, batch: Int, length t: Int, width c: Int, heads: Int, tape: Tape<Double>) throws -> V {
        let d = c / heads
        // −10³⁰ above the diagonal: e^(s − max) underflows to exactly 0 there, as the kernels' mask gives
        var mask = try Tensor<Double>.zeros([t, t])
        for i in 0..<t { for j in (i + 1)..<max(i + 1, t) { mask.scalars[i * t + j] = -1e30 } }
        let maskV = tape.constant(mask)
        var sequences: [V] = []
        for b in 0..<batch {
            let rows = try qkv.slice(axis: 0, (b * t)..<((b + 1) * t))  // [T, 3C]
            var outputs: [V] = []
            for h in 0..<heads {
                let q = try rows.slice(axis: 1, (h * d)..<((h + 1) * d))
                let k = try rows.slice(axis: 1, (c + h * d)..<(c + (h + 1) * d))
                let v = try rows.slice(axis: 1, (2 * c + h * d)..<(2 * c + (h + 1) * d))
                let scores = try q.matmul(k, .nt).scaled(by: 1 / Double(d).squareRoot()) + maskV   // [T, T]
                outputs.append(try scores.softmax().matmul(v))                                     // [T, d]
            }
            sequences.append(try Variable.concatenated(outputs, axis: 1))  // [T, C]
        }
        return try Variable.concatenated(sequences, axis: 0)  // [B·T, C]
    }

    /// ∂L/∂x and every parameter's gradient through the engine's block.
    static func engineGradients(_ block: TransformerBlock<Double>, x: Tensor<Double>, r: Tensor<Double>) throws -> [Tensor<Double>] {
        for p in block.parameters { p.zeroGrad() }
        let tape = Tape<Double>(backend: .naive)
        let (b, t, c) = (x.shape[0], x.shape[1], x.shape[2])
        let xv = tape.variable(x)
        let rows = try xv.reshaped([b * t, c])
        let qkv = try linear(layerNorm(rows, block.norm1, tape: tape), block.attention.qkv, tape: tape)
        let attended = try attention(qkv, batch: b, length: t, width: c, heads: block.attention.heads, tape: tape)
        let u = try rows + linear(attended, block.attention.output, tape: tape)
        let hidden = try linear(layerNorm(u, block.norm2, tape: tape), block.expand, tape: tape).gelu()
        let z = try u + linear(hidden, block.contract, tape: tape)
        try (z.reshaped([b, t, c]) * tape.constant(r)).sum().backward()
        return block.parameters.map(\.grad) + [try #require(xv.grad)]
    }

    @Test("a block's backward pass agrees with the engine's derivation on both backends, with and without biases",
          arguments: [true, false])
    func blockMatchesTheEngine(bias: Bool) throws {
        let (b, t, c, heads) = (2, 5, 8, 2)
        let x = randomTensor([b, t, c], seed: 41), r = randomTensor([b, t, c], seed: 42)
        for backend in Backend.allCases {
            var rng = SeededRandom(seed: 43)
            let block = try TransformerBlock<Double>(width: c, heads: heads, layers: 2, bias: bias, std: 0.3, rng: &rng, backend: backend)
            // non-trivial gains and offsets, so γ and β enter the check
            for norm in [block.norm1, block.norm2] {
                norm.gamma.value = try Tensor(shape: [c], scalars: randomTensor([c], seed: 44, scale: 0.5).scalars.map { $0 + 1 })
                if bias { norm.beta.value = randomTensor([c], seed: 45, scale: 0.3) }
            }
            let expected = try Self.engineGradients(block, x: x, r: r)
            for p in block.parameters { p.zeroGrad() }
            let (z, cache) = try block.forward(x, mode: .training)
            #expect(z.shape == [b, t, c])
            let dx = try block.backward(r, cache: cache)
            let got = block.parameters.map(\.grad) + [dx]
            let names = block.namedParameters.map(\.0) + ["dx"]
            #expect(got.count == expected.count)
            for (name, (g, e)) in zip(names, zip(got, expected)) {
                // Exact derivatives summed in different orders; erf-based GELU′ agrees to ~1e-15.
                #expect(maxRelativeDifference(g, e) < 1e-11, "\(backend) bias \(bias) \(name)")
            }
        }
    }
}
