// The third oracle (beside finite differences and the PyTorch fixtures): the
// recurrent layers' hand-written BPTT (RecurrentLayer+Unroll.swift and the
// cells' files) against the same layer written with chapter 3's engine,
// which derives the backward pass from the forward operations alone. The
// engine version is the equations of the cells' headers, step by step, in
// Double; the loss is L = Σ y ⊙ R for a fixed random R, so ∂L/∂y = R.

import AutomaticDifferentiation
import Backpropagation
import BackpropCore
import RecurrentNetworks
import Testing
import TestSupport

@Suite struct EngineOracleTests {
    /// The gradients (dW_ih, dW_hh, db_ih, db_hh, dx) of L = Σ y ⊙ R through
    /// `layer` written with the engine, for x [B, T, I].
    static func engineGradients(_ layer: RecurrentLayer<Double>, x: Tensor<Double>, r: Tensor<Double>) throws -> [Tensor<Double>] {
        for p in layer.parameters { p.zeroGrad() }
        let tape = Tape<Double>(backend: .naive)
        let (b, t, h) = (x.shape[0], x.shape[1], layer.hiddenSize)
        let xv = tape.variable(x)
        let wih = tape.parameter(layer.weightIH), whh = tape.parameter(layer.weightHH)
        let bih = tape.parameter(layer.biasIH), bhh = tape.parameter(layer.biasHH)
        var hPrev = tape.constant(try Tensor.zeros([b, h])), cPrev = tape.constant(try Tensor.zeros([b, h]))
        var outputs: [Variable<Double>] = []
        func gate(_ v: Variable<Double>, _ k: Int) throws -> Variable<Double> { try v.slice(axis: 1, (k * h)..<((k + 1) * h)) }
        for step in 0..<t {
            let xt = try xv.slice(axis: 1, step..<(step + 1)).reshaped([b, layer.inputSize])
            let p = try xt.matmul(wih, .nt) + bih       // [B, G·H]
            let q = try hPrev.matmul(whh, .nt) + bhh    // [B, G·H]
            switch layer.kind {
            case .rnn:
                hPrev = try (p + q).tanh()
            case .lstm:
                let a = try p + q
                let i = try gate(a, 0).sigmoid(), f = try gate(a, 1).sigmoid()
                let g = try gate(a, 2).tanh(), o = try gate(a, 3).sigmoid()
                cPrev = try f * cPrev + i * g
                hPrev = try o * cPrev.tanh()
            case .gru:
                let rg = try (gate(p, 0) + gate(q, 0)).sigmoid(), z = try (gate(p, 1) + gate(q, 1)).sigmoid()
                let n = try (gate(p, 2) + rg * gate(q, 2)).tanh()
                hPrev = try n + z * (hPrev - n)
            }
            outputs.append(try hPrev.reshaped([b, 1, h]))
        }
        let y = try Variable.concatenated(outputs, axis: 1)  // [B, T, H]
        let loss = try (y * tape.constant(r)).sum()
        try loss.backward()
        return layer.parameters.map(\.grad) + [try #require(xv.grad)]
    }

    @Test("BPTT agrees with the engine's derivation for every cell on both backends", arguments: CellKind.allCases)
    func bpttMatchesTheEngine(kind: CellKind) throws {
        var rng = SeededRandom(seed: 31)
        let (b, t, inputs, hidden) = (3, 5, 4, 8)
        let x = randomTensor([b, t, inputs], seed: 32), r = randomTensor([b, t, hidden], seed: 33)
        for backend in Backend.allCases {
            let layer = try RecurrentLayer<Double>(kind, inputSize: inputs, hiddenSize: hidden, rng: &rng, backend: backend)
            let expected = try Self.engineGradients(layer, x: x, r: r)
            for p in layer.parameters { p.zeroGrad() }
            let (y, cache) = try layer.forward(x, mode: .training)
            #expect(y.shape == [b, t, hidden])
            let dx = try layer.backward(r, cache: cache)
            let got = layer.parameters.map(\.grad) + [dx]
            for (name, (g, e)) in zip(["dW_ih", "dW_hh", "db_ih", "db_hh", "dx"], zip(got, expected)) {
                // Both are exact derivatives summed in different orders: a few ulp apart.
                #expect(maxRelativeDifference(g, e) < 1e-12, "\(kind) \(backend) \(name)")
            }
        }
    }
}

/// The char-LSTM written with the engine (CharRNN+Engine.swift) trains the
/// same model as the hand-written step, with the cell written with the
/// engine's elementwise operations and as its fused LSTM-cell operation.
@Suite struct EngineCharLSTMTests {
    @Test("stepWithEngine follows step() to the same losses on both backends", arguments: [false, true])
    func engineTrainingMatchesHandWritten(fusedCell: Bool) throws {
        let corpus = try CharacterCorpus.shakespeare(prefix: 20_000)
        var o = CharRNNOptions(cell: .lstm, seed: 7)
        o.model = CharRNNConfig(cell: .lstm, embeddingSize: 8, hiddenSize: 16)
        (o.context, o.batch) = (12, 4)
        for backend in Backend.allCases {
            o.backend = backend
            var rng1 = SeededRandom(seed: o.seed), rng2 = SeededRandom(seed: o.seed)
            let hand = try CharRNNTrainer(model: try CharRNN(o.model, vocabulary: corpus.vocabulary, rng: &rng1, backend: backend),
                                          train: corpus.train, options: o)
            let engine = try CharRNNTrainer(model: try CharRNN(o.model, vocabulary: corpus.vocabulary, rng: &rng2, backend: backend),
                                            train: corpus.train, options: o)
            var worst = 0.0
            for _ in 0..<12 {
                let (a, b) = (try hand.step(), try engine.stepWithEngine(fusedCell: fusedCell))
                worst = max(worst, abs(a - b) / a)
            }
            // The same Float arithmetic summed in other orders (both fold the embedding into
            // the input projection, grouped differently); differences stay near Float's ε.
            #expect(worst < 1e-5, "\(backend), fused cell \(fusedCell): losses differ by \(worst) relative")
            #expect(engine.lastTapeBytes > 0)
            let p1 = hand.model.parameters.flatMap(\.value.scalars), p2 = engine.model.parameters.flatMap(\.value.scalars)
            let drift = zip(p1, p2).map { abs(Double($0) - Double($1)) }.max()!
            #expect(drift < 1e-4, "\(backend), fused cell \(fusedCell): parameters drift by \(drift)")
        }
    }
}
