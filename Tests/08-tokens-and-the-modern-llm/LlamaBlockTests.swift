// One whole Llama block: finite differences, PyTorch (HF Llama's layer
// written out), and the twins.

import BackpropCore
import Backpropagation
import TestSupport
import Testing
@testable import TokensAndTheModernLLM

@Suite struct LlamaBlockTests {
    @Test("A Llama block's backward matches finite differences (input and every parameter)")
    func gradient() throws {
        var rng = SeededRandom(seed: 861)
        let block = try LlamaBlock<Double>(width: 8, heads: 4, kvHeads: 2, hidden: 6, positions: 3, std: 0.5, rng: &rng)
        for (i, p) in block.parameters.enumerated() where p.value.rank == 1 {   // gains away from 1
            p.value = try p.value.adding(randomTensor(p.value.shape, seed: 862 + UInt64(i), scale: 0.3))
        }
        let reports = try checkLayer(block, input: randomTensor([2, 3, 8], seed: 863), seed: 864)
        #expect(reports["input"]!.passes(1e-6), "input: \(reports["input"]!)")
        for (i, (name, p)) in block.namedParameters.enumerated() {
            let report = reports["\(i).weight"]!
            #expect(maxRelativeDifference(p.grad, report.numericGradient) < 1e-8, "\(name): \(report)")
        }
    }

    func matchesPyTorch<S: TensorScalar>(_: S.Type, _ backend: Backend) throws {
        let f = try fixture("ch8_llama_block")
        let tol = tolerances(S.self)
        var rng = SeededRandom(seed: 865)
        let block = try LlamaBlock<S>(width: Int(try f.scalar("width")), heads: Int(try f.scalar("heads")),
                                      kvHeads: Int(try f.scalar("kv_heads")), hidden: Int(try f.scalar("hidden")),
                                      positions: 5, rng: &rng, backend: backend)
        try load(block.namedParameters, from: f)
        let (z, cache) = try block.forward(try f.tensor("x"), mode: .training)   // [2, 5, 16]
        #expect(maxRelativeDifference(z, try f.tensor("z")) < tol.output)
        #expect(maxRelativeDifference(try block.backward(try f.tensor("dz"), cache: cache), try f.tensor("dx")) < tol.gradient)
        let (worst, name) = try worstGradient(block.namedParameters, against: f)
        #expect(worst < tol.gradient, "\(S.self) \(name): \(worst)")
    }

    @Test("A Llama block matches PyTorch (RMSNorm, GQA with RoPE, SwiGLU, residuals): z, dx, every gradient",
          arguments: [Backend.naive, .simd])
    func fixtureMatch(backend: Backend) throws {
        try matchesPyTorch(Double.self, backend)
        try matchesPyTorch(Float.self, backend)
    }

    @Test("Naive and SIMD Llama blocks agree in Float")
    func twins() throws {
        let x: Tensor<Float> = random([2, 11, 32], seed: 866)
        let dz: Tensor<Float> = random([2, 11, 32], seed: 867)
        var results: [(Tensor<Float>, Tensor<Float>, [Tensor<Float>])] = []
        for backend in [Backend.naive, .simd] {
            var rng = SeededRandom(seed: 868)
            let block = try LlamaBlock<Float>(width: 32, heads: 4, kvHeads: 2, hidden: SwiGLU<Float>.llamaHidden(width: 32),
                                              positions: 11, layers: 2, std: 0.2, rng: &rng, backend: backend)
            let (z, cache) = try block.forward(x, mode: .training)
            results.append((z, try block.backward(dz, cache: cache), block.parameters.map(\.grad)))
        }
        #expect(maxRelativeDifference(results[0].0, results[1].0) < 2e-5)
        #expect(maxRelativeDifference(results[0].1, results[1].1) < 1e-4)
        for i in results[0].2.indices { #expect(maxRelativeDifference(results[0].2[i], results[1].2[i]) < 1e-4, "parameter \(i)") }
    }
}
