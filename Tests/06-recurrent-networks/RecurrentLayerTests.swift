// Tests for the recurrent cells and BPTT (RecurrentLayer): PyTorch fixtures
// for nn.RNN / nn.LSTM / nn.GRU in both kernel twins, Double finite
// differences for one step (the cell) and for a 3-step window with a carried
// initial state, and naive-vs-SIMD agreement in Float on the vector path.

import BackpropCore
import Foundation
import Testing
import TestSupport
@testable import RecurrentNetworks

/// L = Σ y ⊙ r_y + Σ h_T ⊙ r_h (+ Σ c_T ⊙ r_c): every output and the final
/// state receive gradient, as in make_fixtures_ch6.py.
struct SequenceLoss {
    let ry: Tensor<Double>, rh: Tensor<Double>, rc: Tensor<Double>?

    func value(_ layer: RecurrentLayer<Double>, _ x: Tensor<Double>, _ initial: RecurrentState<Double>) throws -> Double {
        let (y, final, _) = try layer.forward(x, initial: initial)
        var total = try y.multiplying(ry).sum() + final.h.multiplying(rh).sum()
        if let rc, let c = final.c { total += try c.multiplying(rc).sum() }
        return total
    }

    func gradients(_ layer: RecurrentLayer<Double>, _ x: Tensor<Double>, _ initial: RecurrentState<Double>) throws
        -> (dx: Tensor<Double>, dInitial: RecurrentState<Double>) {
        layer.parameters.forEach { $0.zeroGrad() }
        let (_, _, cache) = try layer.forward(x, initial: initial)
        return try layer.backward(ry, dFinal: RecurrentState(h: rh, c: rc), cache: cache)
    }
}

@Suite struct RecurrentLayerTests {
    static let fixtures: [(CellKind, String)] = [(.rnn, "ch6_rnn"), (.lstm, "ch6_lstm"), (.gru, "ch6_gru")]

    @Test(arguments: fixtures, [Backend.naive, .simd])
    func matchesPyTorch(_ item: (CellKind, String), backend: Backend) throws {
        let (kind, name) = item
        let f = try fixture(name)
        let layer = try RecurrentLayer<Double>(
            kind, weightIH: f.tensor("weight_ih"), weightHH: f.tensor("weight_hh"),
            biasIH: f.tensor("bias_ih"), biasHH: f.tensor("bias_hh"), backend: backend)
        let initial = RecurrentState<Double>(h: try f.tensor("h0"), c: kind == .lstm ? try f.tensor("c0") : nil)
        let x: Tensor<Double> = try f.tensor("x")
        let (y, final, cache) = try layer.forward(x, initial: initial)
        #expect(maxRelativeDifference(y, try f.tensor("y")) < 1e-12)
        #expect(maxRelativeDifference(final.h, try f.tensor("h_T")) < 1e-12)
        if kind == .lstm { #expect(maxRelativeDifference(final.c!, try f.tensor("c_T")) < 1e-12) }

        let rc: Tensor<Double>? = kind == .lstm ? try f.tensor("r_c") : nil
        let (dx, dInitial) = try layer.backward(try f.tensor("r_y"), dFinal: RecurrentState(h: try f.tensor("r_h"), c: rc), cache: cache)
        #expect(maxRelativeDifference(dx, try f.tensor("dx")) < 1e-11)
        #expect(maxRelativeDifference(dInitial.h, try f.tensor("dh0")) < 1e-11)
        if kind == .lstm { #expect(maxRelativeDifference(dInitial.c!, try f.tensor("dc0")) < 1e-11) }
        for p in layer.parameters {
            #expect(maxRelativeDifference(p.grad, try f.tensor("d" + p.name)) < 1e-11, "\(name) \(p.name)")
        }
    }

    /// One step (the cell alone) and a 3-step window, with a random initial
    /// state whose gradient is checked too.
    @Test(arguments: CellKind.allCases, [1, 3])
    func finiteDifferences(_ kind: CellKind, steps: Int) throws {
        for backend in [Backend.naive, .simd] {
            var rng = SeededRandom(seed: 510)
            let (b, i, h) = (2, 3, 4)
            let layer = try RecurrentLayer<Double>(kind, inputSize: i, hiddenSize: h, rng: &rng, backend: backend)
            let x = randomTensor([b, steps, i], seed: 511)
            let initial = RecurrentState(h: randomTensor([b, h], seed: 512, scale: 0.8),
                                         c: kind == .lstm ? randomTensor([b, h], seed: 513, scale: 0.8) : nil)
            let loss = SequenceLoss(ry: randomTensor([b, steps, h], seed: 514), rh: randomTensor([b, h], seed: 515),
                                    rc: kind == .lstm ? randomTensor([b, h], seed: 516) : nil)
            let (dx, dInitial) = try loss.gradients(layer, x, initial)
            var reports = [
                "x": try GradientCheck.check({ try loss.value(layer, $0, initial) }, at: x, analytic: dx),
                "h0": try GradientCheck.check({ try loss.value(layer, x, RecurrentState(h: $0, c: initial.c)) }, at: initial.h, analytic: dInitial.h),
            ]
            if kind == .lstm {
                reports["c0"] = try GradientCheck.check({ try loss.value(layer, x, RecurrentState(h: initial.h, c: $0)) }, at: initial.c!, analytic: dInitial.c!)
            }
            for p in layer.parameters {
                let saved = p.value
                reports[p.name] = try GradientCheck.check({ v in
                    p.value = v
                    defer { p.value = saved }
                    return try loss.value(layer, x, initial)
                }, at: saved, analytic: p.grad)
            }
            for (name, report) in reports {
                #expect(report.passes(1e-5), "\(kind) \(backend) T=\(steps) \(name): \(report)")
            }
        }
    }

    /// H = 24 takes the SIMD8 path and leaves a partial 16-wide column panel in
    /// the packed per-step GEMM; B = 9 splits each sweep into chunks of 4 and 5
    /// rows, each with a partial 6-row panel. The twins agree in Float.
    @Test(arguments: CellKind.allCases)
    func naiveAndSIMDAgree(_ kind: CellKind) throws {
        var layers: [RecurrentLayer<Float>] = []
        var results: [(y: Tensor<Float>, final: RecurrentState<Float>, dx: Tensor<Float>, d0: RecurrentState<Float>)] = []
        for backend in [Backend.naive, .simd] {
            var rng = SeededRandom(seed: 520)
            let layer = try RecurrentLayer<Float>(kind, inputSize: 5, hiddenSize: 24, rng: &rng, backend: backend)
            let x: Tensor<Float> = randomTensor([9, 4, 5], seed: 521).converted()
            let initial = RecurrentState<Float>(h: randomTensor([9, 24], seed: 522).converted(),
                                                c: kind == .lstm ? randomTensor([9, 24], seed: 523).converted() : nil)
            let (y, final, cache) = try layer.forward(x, initial: initial)
            let dy: Tensor<Float> = randomTensor([9, 4, 24], seed: 524).converted()
            let (dx, d0) = try layer.backward(dy, dFinal: nil, cache: cache)
            layers.append(layer)
            results.append((y, final, dx, d0))
        }
        let tolerance = 1e-5
        #expect(maxRelativeDifference(results[0].y, results[1].y) < tolerance)
        #expect(maxRelativeDifference(results[0].final.h, results[1].final.h) < tolerance)
        #expect(maxRelativeDifference(results[0].dx, results[1].dx) < tolerance)
        #expect(maxRelativeDifference(results[0].d0.h, results[1].d0.h) < tolerance)
        if kind == .lstm { #expect(maxRelativeDifference(results[0].d0.c!, results[1].d0.c!) < tolerance) }
        for (a, b) in zip(layers[0].parameters, layers[1].parameters) {
            #expect(maxRelativeDifference(a.grad, b.grad) < tolerance, "\(kind) \(a.name)")
        }
    }

    @Test func badShapesAreTypedErrors() throws {
        var rng = SeededRandom(seed: 530)
        let layer = try RecurrentLayer<Double>(.lstm, inputSize: 3, hiddenSize: 4, rng: &rng)
        #expect(throws: TensorError.self) { try layer.forward(randomTensor([2, 3, 5], seed: 1)) }
        #expect(throws: TensorError.self) {
            try layer.forward(randomTensor([2, 3, 3], seed: 1), initial: RecurrentState(h: randomTensor([3, 4], seed: 2)))
        }
        #expect(throws: TensorError.self) {
            try RecurrentLayer<Double>(.gru, weightIH: randomTensor([8, 3], seed: 1), weightHH: randomTensor([8, 2], seed: 2),
                                       biasIH: randomTensor([8], seed: 3), biasHH: randomTensor([8], seed: 4))
        }
    }
}
