// The engine against PyTorch (Tests/Fixtures/make_fixtures_ch3.py): a small
// composite graph's loss and every leaf gradient, and one MLP step. Both
// are computed in Double by PyTorch and by the engine with different
// summation orders, so they agree to ~1e-15 relative; 1e-12 is asserted.

import AutomaticDifferentiation
import Backpropagation
import BackpropCore
import TestSupport
import Testing

@Suite struct FixtureTests {
    @Test("a composite graph: loss and every leaf gradient match PyTorch", arguments: [Backend.naive, .simd])
    func compositeGraph(backend: Backend) throws {
        let f = try fixture("ch3_graph")
        let tape = Tape<Double>(backend: backend)
        let names = ["x", "w1", "b1", "w2"]
        let leaves = try names.map { tape.variable(try f.tensor($0)) }
        let (x, w1, b1, w2) = (leaves[0], leaves[1], leaves[2], leaves[3])
        let h = try (x.matmul(w1, .nt) + b1).tanh()       // [4, 5]
        let u = try h * h + h                              // h used twice
        let z = try u.matmul(w2)                           // [4, 4]
        let p = try z.softmax(), lp = try z.logSoftmax()
        let loss = try z.crossEntropy(targets: labels(try f.tensor("targets")))
            + (p * lp).sum(axis: 0).mean() + z.sum().scaled(by: 0.1)
        #expect(maxRelativeDifference(z.value, try f.tensor("z")) < 1e-12)
        #expect(abs(loss.item - (try f.scalar("loss"))) < 1e-12)
        try loss.backward()
        for (name, leaf) in zip(names, leaves) {
            #expect(maxRelativeDifference(try #require(leaf.grad), try f.tensor("grad.\(name)")) < 1e-12, "grad.\(name)")
        }
    }

    @Test("one MLP step: loss, every gradient and the parameters after Adam match PyTorch", arguments: [Backend.naive, .simd])
    func mlpStep(backend: Backend) throws {
        let f = try fixture("ch3_mlp")
        let model = try AutodiffMLP<Double>(inputs: 4, hidden: [8, 8], outputs: 3, activation: .relu, seed: 0, backend: backend)
        #expect(model.namedParameters.map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"])
        for (name, p) in model.namedParameters { p.value = try f.tensor(name) }
        let adam = try Adam(model.parameters, learningRate: try f.scalar("lr"), backend: backend)
        let loss = try model.step(try f.tensor("x"), labels(try f.tensor("targets")), optimizer: adam)
        #expect(abs(loss - (try f.scalar("loss"))) < 1e-12)
        for (name, p) in model.namedParameters {
            #expect(maxRelativeDifference(p.grad, try f.tensor("grad.\(name)")) < 1e-12, "grad.\(name)")
            #expect(maxRelativeDifference(p.value, try f.tensor("after_adam.\(name)")) < 1e-12, "after_adam.\(name)")
        }
    }
}
