// The tape's contract: typed errors naming the problem and the shapes,
// gradients only where required, inference records nothing, the tape is
// freed after backward (unless retained), and leaves accumulate.

import AutomaticDifferentiation
import Backpropagation
import BackpropCore
import TestSupport
import Testing

@Suite struct TapeTests {
    let tape = Tape<Double>(backend: .naive)

    @Test("backward on a non-scalar without a seed is an error naming the shape")
    func nonScalarWithoutSeed() throws {
        let x = tape.variable(randomTensor([2, 3], seed: 1))
        let error = #expect(throws: AutodiffError.self) { try x.tanh().backward() }
        #expect(error == .nonScalarWithoutSeed(shape: [2, 3]))
        #expect(error?.description.contains("[2, 3]") == true)
        let wrongSeed = #expect(throws: AutodiffError.self) { try x.tanh().backward(seed: randomTensor([3, 2], seed: 2)) }
        #expect(wrongSeed == .seedShapeMismatch(output: [2, 3], seed: [3, 2]))
    }

    @Test("shape mismatches and broadcasting failures name both shapes")
    func shapeErrors() throws {
        let a = tape.variable(randomTensor([3, 4], seed: 1)), b = tape.variable(randomTensor([3, 5], seed: 2))
        let broadcast = #expect(throws: AutodiffError.self) { try a + b }
        #expect(broadcast == .broadcastFailure(operation: "add", lhs: [3, 4], rhs: [3, 5], axis: 0))
        #expect(broadcast?.description == "add: shapes [3, 4] and [3, 5] cannot be broadcast (dimension 0 from the right: 4 vs 5, neither is 1)")
        let c = tape.variable(randomTensor([2, 3, 4], seed: 3)), d = tape.variable(randomTensor([2, 4], seed: 4))
        let middle = #expect(throws: AutodiffError.self) { try c * d }
        #expect(middle == .broadcastFailure(operation: "multiply", lhs: [2, 3, 4], rhs: [2, 4], axis: 1))
        let product = #expect(throws: AutodiffError.self) { try a.matmul(b) }
        #expect(product == .shapeMismatch(operation: "matmul(nn)", lhs: [3, 4], rhs: [3, 5], reason: "inner dimensions 4 and 3 differ"))
        #expect(throws: AutodiffError.self) { try a.reshaped([5, 2]) }
        #expect(throws: AutodiffError.self) { try V.concatenated([a, b], axis: 0) }
        #expect(throws: AutodiffError.self) { try a.sum(axis: 2) }
        let targets = #expect(throws: AutodiffError.self) { try a.crossEntropy(targets: [0, 1]) }
        #expect(targets?.description.contains("[3, 4]") == true)
    }

    @Test("a gather index outside the table is an error naming the index and the size")
    func gatherOutOfRange() {
        let table = tape.variable(randomTensor([5, 2], seed: 1))
        let error = #expect(throws: AutodiffError.self) { try table.gather(rows: [0, 5]) }
        #expect(error == .indexOutOfRange(operation: "gather", index: 5, count: 5))
        #expect(error?.description == "gather: index 5 is outside 0..<5")
        #expect(throws: AutodiffError.self) { try table.gather(rows: [-1]) }
        #expect(throws: AutodiffError.self) { try table.crossEntropy(targets: [0, 1, 2, 3, 2]) }
    }

    @Test("the tape is freed after backward: saved tensors released, a second backward is an error")
    func freedAfterBackward() throws {
        let x = tape.variable(randomTensor([4, 3], seed: 1))
        let loss = try (x.tanh() * x).sum()
        #expect(tape.bytesHeld > 0)
        try loss.backward()
        #expect(tape.isFreed)
        #expect(tape.bytesHeld == 0)
        let first = try #require(x.grad)
        let error = #expect(throws: AutodiffError.self) { try loss.backward() }
        #expect(error == .graphFreed(operation: "backward"))
        #expect(x.grad == first, "the leaf's gradient survives the freeing, unchanged")
    }

    @Test("retainGraph keeps the tape; a second backward adds the same gradient again")
    func retainGraph() throws {
        let x = tape.variable(randomTensor([4, 3], seed: 1))
        let loss = try (x.tanh() * x).sum()
        try loss.backward(retainGraph: true)
        let once = try #require(x.grad)
        try loss.backward()
        #expect(maxRelativeDifference(try #require(x.grad), once.scaled(by: 2)) < 1e-15)
    }

    @Test("inference mode records nothing and keeps no tensor")
    func noGrad() throws {
        let w = tape.variable(randomTensor([3, 4], seed: 1))
        let recorded = tape.count
        let y = try tape.noGrad { try tape.constant(randomTensor([2, 3], seed: 2)).matmul(w).relu().softmax() }
        #expect(tape.count == recorded)
        #expect(tape.bytesHeld == 0)
        #expect(!y.requiresGrad)
        #expect(throws: AutodiffError.self) { try y.sum().backward() }
        #expect(tape.isRecording)
    }

    @Test("gradients only where required: constants get none and record nothing")
    func onlyWhereRequired() throws {
        let x = tape.constant(randomTensor([2, 3], seed: 1))
        let w = tape.variable(randomTensor([3, 3], seed: 2))
        let frozen = tape.variable(randomTensor([3], seed: 3), requiresGrad: false)
        let y = try x.exp().matmul(w) + frozen  // exp of a constant is not recorded
        #expect(tape.operations == ["leaf", "matmul(nn)", "add"])
        try y.sum().backward()
        #expect(x.grad == nil && frozen.grad == nil && w.grad != nil)
    }

    @Test("a parameter leaf adds into Parameter.grad; the optimizer's zeroGrad resets it")
    func parameterAccumulates() throws {
        let p = Parameter("w", randomTensor([2, 2], seed: 1))
        for _ in 0..<2 {
            let t = Tape<Double>()
            try t.parameter(p).sum().backward()
        }
        #expect(p.grad.scalars == [2, 2, 2, 2])
        try SGD([p], learningRate: 0.1).zeroGrad()
        #expect(p.grad.scalars == [0, 0, 0, 0])
    }

    @Test("operands from two tapes are refused")
    func differentTapes() {
        let other = Tape<Double>()
        let error = #expect(throws: AutodiffError.self) {
            try tape.variable(randomTensor([2], seed: 1)) + other.variable(randomTensor([2], seed: 2))
        }
        #expect(error == .differentTapes(operation: "add"))
    }

    @Test("a weight used by several products is packed once on a SIMD Float tape, and the copies freed by backward")
    func sharedWeightsArePacked() throws {
        let simd = Tape<Float>(backend: .simd)
        let w = simd.variable(randomTensor([24, 16], seed: 3).converted(to: Float.self))
        let once = simd.variable(randomTensor([16, 8], seed: 4).converted(to: Float.self))
        var h = simd.constant(randomTensor([5, 16], seed: 5).converted(to: Float.self))
        for _ in 0..<3 { h = try h.matmul(w, .nt).slice(axis: 1, 0..<16).tanh() }
        let y = try h.matmul(once).sum()
        #expect(simd.packedWeightCount == 1, "W packed once for its repeated forward products; the weight used once not at all")
        try y.backward()
        #expect(simd.packedWeightCount == 0)
        #expect(w.grad != nil && once.grad != nil)
        // naive and Double tapes never pack
        let naive = Tape<Float>(backend: .naive)
        let v = naive.variable(randomTensor([16, 16], seed: 3).converted(to: Float.self))
        _ = try naive.constant(randomTensor([2, 16], seed: 5).converted(to: Float.self)).matmul(v).matmul(v)
        #expect(naive.packedWeightCount == 0)
    }

    @Test("bytesHeld counts a saved tensor once per record; distinctBytesHeld once per buffer")
    func distinctSavedBytes() throws {
        let x = tape.variable(randomTensor([2, 3], seed: 1)), w = tape.variable(randomTensor([3, 4], seed: 2))
        // three products by the same weight, each saving x and w
        let y = try x.matmul(w) + x.matmul(w) + x.matmul(w)
        #expect(tape.bytesHeld == 3 * (6 + 12) * 8)
        #expect(tape.distinctBytesHeld == (6 + 12) * 8)
        try y.sum().backward()
        #expect(tape.bytesHeld == 0 && tape.distinctBytesHeld == 0)
    }
}
