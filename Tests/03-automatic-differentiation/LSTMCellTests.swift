// The fused LSTM cell (Variable+LSTMCell.swift) against the same cell
// written with the engine's elementwise operations (slices, sigmoid, tanh,
// products, a sum), which the finite-difference checks hold independently:
// values and gradients over three chained steps, in Double on both
// backends and in Float on the SIMD kernels. Finite differences of the
// fused operation itself are in GradientCheckTests.swift, its naive and
// SIMD twins in BackendTwinTests.swift.

import AutomaticDifferentiation
import BackpropCore
import TestSupport
import Testing

@Suite struct LSTMCellTests {
    /// (h′, c′) by the engine's elementwise operations.
    static func composed<S: TensorScalar>(_ a: Variable<S>, _ c: Variable<S>) throws -> (h: Variable<S>, c: Variable<S>) {
        let h = a.shape[1] / 4
        func gate(_ k: Int) throws -> Variable<S> { try a.slice(axis: 1, (k * h)..<((k + 1) * h)) }
        let (i, f, g, o) = (try gate(0).sigmoid(), try gate(1).sigmoid(), try gate(2).tanh(), try gate(3).sigmoid())
        let cNew = try f * c + i * g
        return (try o * cNew.tanh(), cNew)
    }

    /// Three steps from gates a₁, a₂, a₃ [B, 4H] and c₀ [B, H], each step's
    /// gates also reading the previous h (so gradients flow through h and c):
    /// the outputs [h₁ h₂ h₃ c₃] and every input's gradient under seed R.
    static func threeSteps<S: TensorScalar>(
        _ inputs: [Tensor<S>], backend: Backend, fused: Bool
    ) throws -> [Tensor<S>] {
        let tape = Tape<S>(backend: backend)
        let leaves = inputs.map { tape.variable($0) }
        var c = leaves[3], outputs: [Variable<S>] = []
        var h: Variable<S>?
        for t in 0..<3 {
            var a = leaves[t]
            if let h { a = try a + Variable.concatenated([h, h, h, h], axis: 1) }
            let step = fused ? try Variable.lstmCell(gates: a, cell: c) : try composed(a, c)
            (h, c) = (step.h, step.c)
            outputs.append(step.h)
        }
        let y = try Variable.concatenated(outputs + [c], axis: 1)
        try y.backward(seed: randomTensor(y.shape, seed: 71).converted())
        return [y.value] + leaves.map { $0.grad! }
    }

    static func inputs<S: TensorScalar>(batch: Int, hidden: Int) -> [Tensor<S>] {
        (0..<3).map { randomTensor([batch, 4 * hidden], seed: 60 &+ UInt64($0), scale: 2).converted() }
            + [randomTensor([batch, hidden], seed: 64).converted()]
    }

    @Test("the fused cell gives the composition's values and gradients (Double, both backends)", arguments: Backend.allCases)
    func fusedMatchesComposition(backend: Backend) throws {
        let x: [Tensor<Double>] = Self.inputs(batch: 3, hidden: 10)
        let fused = try Self.threeSteps(x, backend: backend, fused: true)
        let composed = try Self.threeSteps(x, backend: backend, fused: false)
        for (k, (a, b)) in zip(fused, composed).enumerated() {
            // the same derivatives, summed in another order: a few ulp of Double
            #expect(maxRelativeDifference(a, b) < 1e-12, "\(backend): \(k == 0 ? "outputs" : "gradient of input \(k - 1)")")
        }
    }

    @Test("in Float on the SIMD kernels, fused and composed agree to Float rounding (H = 36: a tail of four)")
    func fusedMatchesCompositionInFloat() throws {
        let x: [Tensor<Float>] = Self.inputs(batch: 5, hidden: 36)
        let fused = try Self.threeSteps(x, backend: .simd, fused: true)
        let composed = try Self.threeSteps(x, backend: .simd, fused: false)
        for (k, (a, b)) in zip(fused, composed).enumerated() {
            #expect(maxRelativeDifference(a, b) < 1e-5, "\(k == 0 ? "outputs" : "gradient of input \(k - 1)")")
        }
    }

    @Test("one record for the operation and one per output; the tape saves the gates, c and tanh c′")
    func recordsAndSavedBytes() throws {
        let tape = Tape<Double>(backend: .naive)
        let a = tape.variable(randomTensor([2, 12], seed: 1)), c = tape.variable(randomTensor([2, 3], seed: 2))
        let before = tape.count
        let s = try Variable.lstmCell(gates: a, cell: c)
        #expect(tape.count - before == 3)
        #expect(tape.operations.suffix(3) == ["lstmCell", "lstmCell output 0", "lstmCell output 1"])
        #expect(tape.bytesHeld == (2 * 12 + 2 * 3 + 2 * 3) * 8)
        #expect(s.h.shape == [2, 3] && s.c.shape == [2, 3])
        // constants in, constants out: nothing recorded
        let k = try Variable.lstmCell(gates: tape.constant(a.value), cell: tape.constant(c.value))
        #expect(!k.h.requiresGrad && !k.c.requiresGrad && tape.count - before == 3)
    }

    @Test("gates that are not [B, 4H] with a cell [B, H] are a shape error")
    func shapeErrors() throws {
        let tape = Tape<Double>(backend: .naive)
        let c = tape.variable(try Tensor.zeros([2, 3]))
        for gates in [[2, 10], [2, 12, 1], [3, 12]] {
            let a = tape.variable(try Tensor.zeros(gates))
            #expect(throws: AutodiffError.shapeMismatch(operation: "lstmCell", lhs: gates, rhs: [2, 3],
                                                        reason: "needs gate pre-activations [B, 4H] and a cell state [B, H]")) {
                _ = try Variable.lstmCell(gates: a, cell: c)
            }
        }
        #expect(throws: AutodiffError.differentTapes(operation: "lstmCell")) {
            _ = try Variable.lstmCell(gates: Tape<Double>(backend: .naive).variable(try Tensor.zeros([2, 12])), cell: c)
        }
    }
}
