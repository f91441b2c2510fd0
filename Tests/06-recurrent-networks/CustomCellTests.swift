// Tests for the seam of exercise 6.7 (RecurrentLayer+CustomCell.swift): an
// LSTM layer that unrolls a cell written outside the library computes what
// the built-in cell computes, forward and backward, on both kernel twins;
// the cell is really used; a CharRNN trains through it; misuse is an error.

import BackpropCore
import Foundation
import Testing
import TestSupport
@testable import RecurrentNetworks

/// The library's own elementwise step (LSTMCell, one scalar at a time)
/// behind the protocol, so the seam's plumbing is compared with the built-in
/// path on the same arithmetic. Backward recomputes the forward pass for the
/// activated gates and tanh c′ it needs.
struct LibraryLSTMCell: LSTMCellStep {
    func step(_ z: [Double], _ c: [Double]) -> (gates: [Double], tanhC: [Double], h: [Double], c: [Double]) {
        let hidden = c.count
        var gates = z, hw = [Double](repeating: 0, count: z.count)
        var tanhC = c, h = c, cNew = c
        gates.withUnsafeMutableBufferPointer { g in
            hw.withUnsafeMutableBufferPointer { q in
                c.withUnsafeBufferPointer { cp in
                    cNew.withUnsafeMutableBufferPointer { cn in
                        tanhC.withUnsafeMutableBufferPointer { tc in
                            h.withUnsafeMutableBufferPointer { hp in
                                let own = UnsafePointer(g.baseAddress!)
                                LSTMCell.forward(Double.self, rows: 1, hidden: hidden, pre: g.baseAddress!, input: { own + $0 * 4 * hidden },
                                                 hw: UnsafePointer(q.baseAddress!),
                                                 cPrev: cp.baseAddress!, c: cn.baseAddress!, tanhC: tc.baseAddress!, h: hp.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        return (gates, tanhC, h, cNew)
    }

    func forward(z: [Double], c: [Double]) throws -> (h: [Double], c: [Double]) {
        let s = step(z, c)
        return (s.h, s.c)
    }

    func backward(z: [Double], c: [Double], dh: [Double], dc: [Double]) throws -> (dz: [Double], dc: [Double]) {
        let s = step(z, c)
        var dcInOut = dc, dz = z
        dh.withUnsafeBufferPointer { d in
            dcInOut.withUnsafeMutableBufferPointer { dcp in
                s.gates.withUnsafeBufferPointer { a in
                    c.withUnsafeBufferPointer { cp in
                        s.tanhC.withUnsafeBufferPointer { tc in
                            dz.withUnsafeMutableBufferPointer { out in
                                LSTMCell.backward(Double.self, rows: 1, hidden: c.count, dh: d.baseAddress!, dy: nil, dc: dcp.baseAddress!,
                                                  act: a.baseAddress!, cPrev: cp.baseAddress!, tanhC: tc.baseAddress!, dPre: out.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        return (dz, dcInOut)
    }
}

/// A cell that forgets everything: h′ = c′ = 0.
struct ZeroCell: LSTMCellStep {
    func forward(z: [Double], c: [Double]) throws -> (h: [Double], c: [Double]) { (c.map { _ in 0 }, c.map { _ in 0 }) }
    func backward(z: [Double], c: [Double], dh: [Double], dc: [Double]) throws -> (dz: [Double], dc: [Double]) {
        (z.map { _ in 0 }, c.map { _ in 0 })
    }
}

/// A cell whose h′ has one entry too many.
struct WideCell: LSTMCellStep {
    func forward(z: [Double], c: [Double]) throws -> (h: [Double], c: [Double]) { (c + [0], c) }
    func backward(z: [Double], c: [Double], dh: [Double], dc: [Double]) throws -> (dz: [Double], dc: [Double]) { (z, c) }
}

@Suite struct CustomCellTests {
    /// Forward (y, final h and c) and backward (dx, dh₀, dc₀ and the four
    /// parameter gradients) agree with the built-in cell, with a carried
    /// state and gradient on the outputs and the final state.
    @Test(arguments: [Backend.naive, .simd])
    func agreesWithTheBuiltInCell(_ backend: Backend) throws {
        let (b, t, i, h) = (3, 4, 2, 5)
        var layers: [RecurrentLayer<Double>] = []
        var results: [(y: Tensor<Double>, final: RecurrentState<Double>, dx: Tensor<Double>, d0: RecurrentState<Double>)] = []
        for custom in [false, true] {
            var rng = SeededRandom(seed: 670)
            let layer = try RecurrentLayer<Double>(.lstm, inputSize: i, hiddenSize: h, rng: &rng, backend: backend)
            if custom { try layer.useCell(LibraryLSTMCell()) }
            let initial = RecurrentState(h: randomTensor([b, h], seed: 671), c: randomTensor([b, h], seed: 672))
            let (y, final, cache) = try layer.forward(randomTensor([b, t, i], seed: 673, scale: 2), initial: initial)
            let dFinal = RecurrentState(h: randomTensor([b, h], seed: 674), c: randomTensor([b, h], seed: 675))
            let (dx, d0) = try layer.backward(randomTensor([b, t, h], seed: 676), dFinal: dFinal, cache: cache)
            layers.append(layer)
            results.append((y, final, dx, d0))
        }
        let (builtIn, custom) = (results[0], results[1])
        #expect(maxRelativeDifference(builtIn.y, custom.y) < 1e-12)
        #expect(maxRelativeDifference(builtIn.final.h, custom.final.h) < 1e-12)
        #expect(maxRelativeDifference(builtIn.final.c!, custom.final.c!) < 1e-12)
        #expect(maxRelativeDifference(builtIn.dx, custom.dx) < 1e-12)
        #expect(maxRelativeDifference(builtIn.d0.h, custom.d0.h) < 1e-12)
        #expect(maxRelativeDifference(builtIn.d0.c!, custom.d0.c!) < 1e-12)
        for (a, c) in zip(layers[0].parameters, layers[1].parameters) {
            #expect(maxRelativeDifference(a.grad, c.grad) < 1e-12, "\(a.name)")
        }
        #expect(layers[1].summary == "LSTM(2 → 5) with LibraryLSTMCell")
    }

    /// The gradient the layer reports at every h_t (the vanishing-gradient
    /// probe) is the built-in cell's too.
    @Test func observedHiddenGradientsAgree() throws {
        var norms: [[Double]] = []
        for custom in [false, true] {
            var rng = SeededRandom(seed: 680)
            let layer = try RecurrentLayer<Double>(.lstm, inputSize: 2, hiddenSize: 3, rng: &rng, backend: .naive)
            if custom { try layer.useCell(LibraryLSTMCell()) }
            let cache = try layer.forwardTimeMajor(randomTensor([5, 2, 2], seed: 681).scalars, batch: 2)
            var seen = [Double](repeating: 0, count: 5)
            _ = try layer.backwardTimeMajor(nil, dFinalH: randomTensor([2, 3], seed: 682).scalars, cache: cache) { t, dh in
                seen[t - 1] = dh.reduce(0) { $0 + $1 * $1 }
            }
            norms.append(seen)
        }
        for (a, b) in zip(norms[0], norms[1]) { #expect(abs(a - b) <= 1e-12 * max(1, a)) }
        #expect(norms[0].allSatisfy { $0 > 0 })
    }

    /// The cell is used: a cell that outputs zeros gives zero outputs, and
    /// `useCell(nil)` restores the built-in one.
    @Test func theCellIsUsed() throws {
        var rng = SeededRandom(seed: 690)
        let layer = try RecurrentLayer<Double>(.lstm, inputSize: 2, hiddenSize: 3, rng: &rng)
        let x = randomTensor([2, 3, 2], seed: 691)
        let builtIn = try layer.forward(x).output
        try layer.useCell(ZeroCell())
        #expect(try layer.forward(x).output.scalars.allSatisfy { $0 == 0 })
        try layer.useCell(nil)
        #expect(try layer.forward(x).output == builtIn)
    }

    /// A character model trains through a custom cell exactly as through the
    /// built-in one (Float: the cell computes in Double, so the losses agree
    /// to Float rounding).
    @Test func charRNNTrainsThroughACustomCell() throws {
        let corpus = try CharacterCorpus.shakespeare(prefix: 4000)
        var options = CharRNNOptions(cell: .lstm, seed: 3)
        options.model = CharRNNConfig(cell: .lstm, embeddingSize: 4, hiddenSize: 8)
        options.context = 8
        options.batch = 4
        var losses: [[Double]] = []
        for custom in [false, true] {
            var rng = SeededRandom(seed: options.seed)
            let model = try CharRNN(options.model, vocabulary: corpus.vocabulary, rng: &rng, backend: .naive)
            if custom { try model.rnn.useCell(LibraryLSTMCell()) }
            let trainer = try CharRNNTrainer(model: model, train: corpus.train, options: options)
            losses.append(try (0..<5).map { _ in try trainer.step() })
        }
        for (a, b) in zip(losses[0], losses[1]) { #expect(abs(a - b) < 1e-4, "\(losses)") }
        #expect(losses[1].last! < losses[1].first!)
    }

    @Test func misuseIsAnError() throws {
        var rng = SeededRandom(seed: 695)
        let gru = try RecurrentLayer<Double>(.gru, inputSize: 2, hiddenSize: 3, rng: &rng)
        #expect(throws: TrainingError.self) { try gru.useCell(LibraryLSTMCell()) }
        let lstm = try RecurrentLayer<Double>(.lstm, inputSize: 2, hiddenSize: 3, rng: &rng)
        try lstm.useCell(WideCell())
        #expect(throws: CellShapeError.self) { try lstm.forward(randomTensor([1, 2, 2], seed: 696)) }
    }
}
