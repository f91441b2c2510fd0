// Rotary position embeddings: against HF Llama's rotate-half formula in
// PyTorch (a training window and positions beyond it), the inverse rotation
// as the backward pass, the relative-position property, and the twins.

import BackpropCore
import Backpropagation
import Foundation
import TestSupport
import Testing
@testable import TokensAndTheModernLLM

@Suite struct RotaryEmbeddingTests {
    func matchesPyTorch<S: TensorScalar>(_: S.Type, _ backend: Backend) throws {
        let f = try fixture("ch8_rope")
        let tol = tolerances(S.self)
        let training = Int(try f.scalar("training_length"))
        // Tables for the training context only, as a model trained on 6 positions has.
        let rope = try RotaryEmbedding<S>(headWidth: Int(try f.scalar("head_width")), positions: training,
                                          base: try f.scalar("base"), backend: backend)
        let (y, cache) = try rope.forward(try f.tensor("x"), offset: 0)        // [2, 6, 24]
        #expect(maxRelativeDifference(y, try f.tensor("y")) < tol.output)
        #expect(maxRelativeDifference(try rope.backward(try f.tensor("dy"), cache: cache), try f.tensor("dx")) < tol.gradient)
        // Beyond the training context (the KV-cache path): the next position, then 61 ..< 64.
        let next: Tensor<S> = try f.tensor("next_x")
        #expect(throws: TensorError.self) { try rope.forward(next, offset: training) }
        rope.reserve(positions: 64)
        for (prefix, offset) in [("next_", Int(try f.scalar("offset_next"))), ("far_", Int(try f.scalar("offset_far")))] {
            let (y, cache) = try rope.forward(try f.tensor(prefix + "x"), offset: offset)
            #expect(maxRelativeDifference(y, try f.tensor(prefix + "y")) < tol.output, "\(prefix)y")
            let dx = try rope.backward(try f.tensor(prefix + "dy"), cache: cache)
            #expect(maxRelativeDifference(dx, try f.tensor(prefix + "dx")) < tol.gradient, "\(prefix)dx")
        }
    }

    @Test("RoPE matches HF Llama's rotate-half in PyTorch (y and dx), in and beyond the training context",
          arguments: [Backend.naive, .simd])
    func fixtureMatch(backend: Backend) throws {
        try matchesPyTorch(Double.self, backend)
        try matchesPyTorch(Float.self, backend)
    }

    @Test("RoPE's backward (the inverse rotation) matches finite differences, at offset 0 and beyond", arguments: [Backend.naive, .simd])
    func gradient(backend: Backend) throws {
        let rope = try RotaryEmbedding<Double>(headWidth: 6, positions: 40, backend: backend)
        let reports = try checkLayer(rope, input: randomTensor([2, 3, 12], seed: 821))   // two heads of 6
        #expect(reports["input"]!.passes(1e-6), "\(reports["input"]!)")
        let x = randomTensor([1, 2, 12], seed: 822), r = randomTensor([1, 2, 12], seed: 823)
        let (_, cache) = try rope.forward(x, offset: 37)
        let dx = try rope.backward(r, cache: cache)
        let report = try GradientCheck.check({ try rope.forward($0, offset: 37).output.multiplying(r).sum() }, at: x, analytic: dx)
        #expect(report.passes(1e-6), "\(report)")
    }

    @Test("Rotations keep norms, backward undoes forward, and ⟨R(m)q, R(n)k⟩ depends on m − n only")
    func rotationProperties() throws {
        let d = 16
        let rope = try RotaryEmbedding<Double>(headWidth: d, positions: 200)
        let x = randomTensor([1, 5, d], seed: 824)
        let (y, cache) = try rope.forward(x, offset: 3)
        #expect(maxRelativeDifference(try rope.backward(y, cache: cache), x) < 1e-14)
        for t in 0..<5 {
            let norm = { (v: Tensor<Double>) in v.scalars[(t * d)..<((t + 1) * d)].map { $0 * $0 }.reduce(0, +) }
            #expect(abs(norm(x) - norm(y)) < 1e-12)
        }
        let q = randomTensor([1, 1, d], seed: 825), k = randomTensor([1, 1, d], seed: 826)
        func score(_ m: Int, _ n: Int) throws -> Double {
            try rope.forward(q, offset: m).output.multiplying(try rope.forward(k, offset: n).output).sum()
        }
        let near = try score(3, 1)
        #expect(abs(try score(10, 8) - near) < 1e-12)
        #expect(abs(try score(150, 148) - near) < 1e-12)
        #expect(abs(try score(4, 1) - near) > 1e-3)   // a different distance gives a different score
    }

    @Test("The tables: θᵢ = 10000^(−2i/d), cos and sin of p·θᵢ, position 0 the identity")
    func tables() throws {
        let rope = try RotaryEmbedding<Double>(headWidth: 8, positions: 3)
        #expect(rope.frequencies.count == 4)
        #expect(rope.frequencies[0] == 1 && abs(rope.frequencies[2] - 0.01) < 1e-15)
        #expect(Array(rope.cosTable[0..<4]) == [1, 1, 1, 1] && Array(rope.sinTable[0..<4]) == [0, 0, 0, 0])
        #expect(abs(rope.cosTable[2 * 4 + 1] - cos(2 * 0.1)) < 1e-15)
        let before = rope.cosTable
        rope.reserve(positions: 10)
        #expect(rope.positions == 10 && Array(rope.cosTable[0..<before.count]) == before)
    }

    /// d = 20: a half of 10 is one Float vector and a tail of 2; 3 heads;
    /// 4·150 rows of 60 are enough work for two cores.
    @Test("Naive and SIMD RoPE agree in Float (forward and backward, vector tails, two cores, an offset)")
    func twins() throws {
        let x: Tensor<Float> = random([4, 150, 60], seed: 827, scale: 2)
        var results: [(Tensor<Float>, Tensor<Float>)] = []
        for backend in [Backend.naive, .simd] {
            let rope = try RotaryEmbedding<Float>(headWidth: 20, positions: 200, backend: backend)
            let (y, cache) = try rope.forward(x, offset: 37)
            results.append((y, try rope.backward(x, cache: cache)))
        }
        #expect(maxRelativeDifference(results[0].0, results[1].0) < 1e-6)
        #expect(maxRelativeDifference(results[0].1, results[1].1) < 1e-6)
    }

    @Test("Bad shapes and positions are typed errors naming them")
    func badShapes() throws {
        #expect(throws: TensorError.self) { try RotaryEmbedding<Double>(headWidth: 5, positions: 8) }   // odd: no pairs
        let rope = try RotaryEmbedding<Double>(headWidth: 4, positions: 8)
        let error = #expect(throws: TensorError.self) { try rope.forward(randomTensor([2, 3, 6], seed: 1), mode: .training) }
        #expect("\(error!)".contains("[2, 3, 6]"))
        let late = #expect(throws: TensorError.self) { try rope.forward(randomTensor([1, 3, 4], seed: 1), offset: 6) }
        #expect("\(late!)".contains("6 ..< 9"))
        let (_, cache) = try rope.forward(randomTensor([1, 3, 4], seed: 1), mode: .training)
        #expect(throws: TensorError.self) { try rope.backward(randomTensor([1, 3, 8], seed: 2), cache: cache) }
    }
}
