// Grouped-query attention: PyTorch (H_kv = H, 2, 1), finite differences,
// the head mapping, causality, the twins, and bad shapes.

import BackpropCore
import Backpropagation
import TestSupport
import Testing
@testable import TokensAndTheModernLLM

@Suite struct GroupedQueryAttentionTests {
    func fromFixture<S: TensorScalar>(_ f: Fixture, _ backend: Backend, as: S.Type = S.self) throws -> GroupedQueryAttention<S> {
        try GroupedQueryAttention<S>(query: try f.tensor("param:q_proj.weight"), key: try f.tensor("param:k_proj.weight"),
                                     value: try f.tensor("param:v_proj.weight"), output: try f.tensor("param:o_proj.weight"),
                                     heads: Int(try f.scalar("heads")), kvHeads: Int(try f.scalar("kv_heads")),
                                     positions: 16, backend: backend)
    }

    func matchesPyTorch<S: TensorScalar>(_ name: String, _: S.Type, _ backend: Backend) throws {
        let f = try fixture(name)
        let tol = tolerances(S.self)
        let attention: GroupedQueryAttention<S> = try fromFixture(f, backend)
        let (y, cache) = try attention.forward(try f.tensor("x"), mode: .training)   // [2, 5, 16]
        #expect(maxRelativeDifference(y, try f.tensor("y")) < tol.output, "\(name) \(S.self) y")
        let dx = try attention.backward(try f.tensor("dy"), cache: cache)
        #expect(maxRelativeDifference(dx, try f.tensor("dx")) < tol.gradient, "\(name) \(S.self) dx")
        let (worst, worstName) = try worstGradient(attention.namedParameters, against: f)
        #expect(worst < tol.gradient, "\(name) \(S.self) \(worstName): \(worst)")
    }

    @Test("GQA matches PyTorch (repeat_kv, RoPE, causal softmax) with 4 query heads and 4, 2, 1 kv heads",
          arguments: ["ch8_gqa_mha", "ch8_gqa_kv2", "ch8_gqa_mqa"], [Backend.naive, .simd])
    func fixtureMatch(name: String, backend: Backend) throws {
        try matchesPyTorch(name, Double.self, backend)
        try matchesPyTorch(name, Float.self, backend)
    }

    @Test("GQA backward matches finite differences (input and the four projections)", arguments: [Backend.naive, .simd])
    func gradient(backend: Backend) throws {
        var rng = SeededRandom(seed: 841)
        let attention = try GroupedQueryAttention<Double>(width: 8, heads: 4, kvHeads: 2, positions: 3, std: 0.6, outputStd: 0.6,
                                                          rng: &rng, backend: backend)
        let reports = try checkLayer(attention, input: randomTensor([2, 3, 8], seed: 842), seed: 843)   // x [B, T, C], d = 2
        #expect(reports["input"]!.passes(1e-6), "input: \(reports["input"]!)")
        for (i, (name, p)) in attention.namedParameters.enumerated() {
            let report = reports["\(i).weight"]!
            // Absolute comparison as for chapter 7's attention: some entries are tiny.
            #expect(maxRelativeDifference(p.grad, report.numericGradient) < 1e-8, "\(name): \(report)")
        }
    }

    @Test("The head mapping: query head h reads kv head ⌊h/(H/H_kv)⌋; MQA equals MHA with every kv head the same")
    func headMapping() throws {
        var rng = SeededRandom(seed: 844)
        let gqa = try GroupedQueryAttention<Double>(width: 32, heads: 8, kvHeads: 2, positions: 4, rng: &rng)
        #expect((0..<8).map { gqa.kvHead(forQueryHead: $0) } == [0, 0, 0, 0, 1, 1, 1, 1])
        #expect(gqa.groupSize == 4)
        // One shared head (MQA) against four heads that are copies of it (MHA).
        let c = 8, d = 2
        let wq = randomTensor([c, c], seed: 845), wo = randomTensor([c, c], seed: 846)
        let wk = randomTensor([d, c], seed: 847), wv = randomTensor([d, c], seed: 848)
        let repeated = { (w: Tensor<Double>) in try Tensor(shape: [4 * d, c], scalars: Array([[Double]](repeating: w.scalars, count: 4).joined())) }
        let mqa = try GroupedQueryAttention<Double>(query: wq, key: wk, value: wv, output: wo, heads: 4, kvHeads: 1, positions: 5)
        let mha = try GroupedQueryAttention<Double>(query: wq, key: try repeated(wk), value: try repeated(wv), output: wo,
                                                    heads: 4, kvHeads: 4, positions: 5)
        let x = randomTensor([2, 5, c], seed: 849)
        #expect(maxRelativeDifference(try mqa(x), try mha(x)) < 1e-13)
        // The shared head's gradient is the sum of the copies' gradients.
        let dy = randomTensor([2, 5, c], seed: 850)
        _ = try mqa.backward(dy, cache: try mqa.forward(x, mode: .training).cache)
        _ = try mha.backward(dy, cache: try mha.forward(x, mode: .training).cache)
        var summed = [Double](repeating: 0, count: d * c)
        for h in 0..<4 { for i in 0..<(d * c) { summed[i] += mha.key.weight.grad.scalars[h * d * c + i] } }
        #expect(maxRelativeDifference(mqa.key.weight.grad, try Tensor(shape: [d, c], scalars: summed)) < 1e-13)
    }

    @Test("Causal: changing a later position changes no earlier output")
    func causal() throws {
        var rng = SeededRandom(seed: 851)
        let attention = try GroupedQueryAttention<Double>(width: 8, heads: 2, kvHeads: 1, positions: 6, std: 0.5, rng: &rng)
        var x = randomTensor([1, 6, 8], seed: 852)
        let before = try attention(x)
        for j in 0..<8 { x.scalars[4 * 8 + j] += 1 }   // position 4
        let after = try attention(x)
        #expect(before.scalars[0..<32] == after.scalars[0..<32])
        #expect(before.scalars[32..<40] != after.scalars[32..<40])
    }

    /// T = 13 (not a multiple of the tiles), C = 64, 8 query heads of 8
    /// sharing 2 kv heads.
    @Test("Naive and SIMD GQA agree in Float (forward, dx and the weights' gradients)")
    func twins() throws {
        let x: Tensor<Float> = random([2, 13, 64], seed: 853, scale: 1)
        let dy: Tensor<Float> = random([2, 13, 64], seed: 854)
        var results: [(Tensor<Float>, Tensor<Float>, [Tensor<Float>])] = []
        for backend in [Backend.naive, .simd] {
            var rng = SeededRandom(seed: 855)
            let attention = try GroupedQueryAttention<Float>(width: 64, heads: 8, kvHeads: 2, positions: 13, std: 0.2, rng: &rng, backend: backend)
            let (y, cache) = try attention.forward(x, mode: .training)
            results.append((y, try attention.backward(dy, cache: cache), attention.parameters.map(\.grad)))
        }
        #expect(maxRelativeDifference(results[0].0, results[1].0) < 2e-5)
        #expect(maxRelativeDifference(results[0].1, results[1].1) < 1e-4)
        for i in 0..<4 { #expect(maxRelativeDifference(results[0].2[i], results[1].2[i]) < 1e-4, "weight \(i)") }
    }

    @Test("Bad head counts and shapes are typed errors naming them")
    func badShapes() throws {
        var rng = SeededRandom(seed: 856)
        #expect(throws: TrainingError.self) { try GroupedQueryAttention<Double>(width: 16, heads: 4, kvHeads: 3, positions: 4, rng: &rng) }
        #expect(throws: TrainingError.self) { try GroupedQueryAttention<Double>(width: 18, heads: 4, kvHeads: 2, positions: 4, rng: &rng) }
        #expect(throws: TrainingError.self) { try GroupedQueryAttention<Double>(width: 12, heads: 4, kvHeads: 2, positions: 4, rng: &rng) }  // d = 3
        let attention = try GroupedQueryAttention<Double>(width: 8, heads: 2, kvHeads: 1, positions: 4, rng: &rng)
        let error = #expect(throws: TensorError.self) { try attention.forward(randomTensor([2, 3, 6], seed: 1), mode: .inference) }
        #expect("\(error!)".contains("[2, 3, 6]"))
        let long = #expect(throws: TensorError.self) { try attention.forward(randomTensor([1, 5, 8], seed: 1), mode: .inference) }
        #expect("\(long!)".contains("0 ..< 5"))   // T = 5 > the 4 positions of the RoPE tables
        let (_, cache) = try attention.forward(randomTensor([1, 3, 8], seed: 1), mode: .training)
        #expect(throws: TensorError.self) { try attention.backward(randomTensor([1, 3, 4], seed: 2), cache: cache) }
        #expect(throws: TensorError.self) {
            try GroupedQueryAttention<Double>(query: randomTensor([8, 8], seed: 1), key: randomTensor([3, 8], seed: 2),
                                              value: randomTensor([4, 8], seed: 3), output: randomTensor([8, 8], seed: 4),
                                              heads: 2, kvHeads: 1, positions: 4)
        }
    }
}
