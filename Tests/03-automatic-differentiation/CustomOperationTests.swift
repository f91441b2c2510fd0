// `Variable.custom`: an operation defined from outside the engine by its
// value and backward closure is recorded, accumulated and checked like the
// engine's own.

@testable import AutomaticDifferentiation
import BackpropCore
import Foundation
import Testing

@Suite struct CustomOperationTests {
    /// y = x ⊙ x written as a custom op; used twice in L = Σ w ⊙ (y + y).
    @Test func customOperationGradientAccumulates() throws {
        let tape = Tape<Double>(backend: .naive)
        let x = tape.variable(Tensor([0.5, -1.5, 2]))
        let w = tape.constant(Tensor([1, 2, 3]))
        let xv = x.value
        let y = try Variable.custom("square", value: try Tensor(shape: xv.shape, scalars: xv.scalars.map { $0 * $0 }), inputs: [x], saved: [xv]) { g in
            [try Tensor(shape: g.shape, scalars: zip(g.scalars, xv.scalars).map { 2 * $0 * $1 })]
        }
        try ((y + y) * w).sum().backward()
        #expect(x.grad!.scalars == [2, -12, 24])  // 2·w·2x
        #expect(tape.operations.contains("square"))
    }

    @Test func sameInputTwiceGetsBothGradients() throws {
        let tape = Tape<Double>(backend: .naive)
        let x = tape.variable(Tensor([3.0]))
        let y = try Variable.custom("product", value: Tensor([9.0]), inputs: [x, x]) { g in [g.scaled(by: 3), g.scaled(by: 3)] }
        try y.sum().backward()
        #expect(x.grad!.scalars == [6])
    }

    @Test func misuseIsATypedError() throws {
        let tape = Tape<Double>(backend: .naive)
        let x = tape.variable(Tensor([1.0, 2]))
        let wrongCount = try Variable.custom("two", value: x.value, inputs: [x]) { g in [g, g] }
        #expect(throws: AutodiffError.self) { try wrongCount.sum().backward() }
        let other = Tape<Double>(backend: .naive)
        let wrongShape = try Variable.custom("shape", value: x.value, inputs: [other.variable(Tensor([1.0, 2]))]) { _ in [Tensor([1.0])] }
        #expect(throws: AutodiffError.shapeMismatch(operation: "backward of leaf", lhs: [1], rhs: [2],
                                                    reason: "a gradient must have its value's shape")) {
            try wrongShape.sum().backward()
        }
        #expect(throws: AutodiffError.differentTapes(operation: "mix")) {
            _ = try Variable.custom("mix", value: x.value, inputs: [x, other.variable(Tensor([1.0, 2]))]) { g in [g, g] }
        }
        #expect(throws: AutodiffError.self) { _ = try Variable<Double>.custom("none", value: x.value, inputs: []) { _ in [] } }
    }

    /// A constant input gets no record and its gradient is ignored.
    @Test func constantInputsAreNotRecorded() throws {
        let tape = Tape<Double>(backend: .naive)
        let c = tape.constant(Tensor([1.0]))
        let y = try Variable.custom("id", value: c.value, inputs: [c]) { g in [g] }
        #expect(!y.requiresGrad)
        #expect(tape.count == 0)
    }
}
