// Attention, LayerNorm, GELU and one whole block: backward against finite
// differences in Double, forward and backward against PyTorch, and the
// naive and SIMD twins against each other.

import BackpropCore
import Backpropagation
import TestSupport
import Testing
@testable import Transformer

/// Σ y ⊙ R for a fixed R, so ∂L/∂y = R.
func weightedSum(_ y: [Double], _ r: [Double]) -> Double { zip(y, r).reduce(0) { $0 + $1.0 * $1.1 } }

@Suite struct AttentionTests {
    static let shape = AttentionShape(batch: 2, length: 4, heads: 2, width: 4)

    @Test("Causal attention backward (through the mask and softmax) matches finite differences", arguments: [Backend.naive, .simd])
    func attentionGradient(backend: Backend) throws {
        let s = Self.shape
        let qkv = randomTensor([s.rows, 3 * s.width], seed: 611, scale: 1.5)
        let r = randomTensor([s.rows, s.width], seed: 612).scalars
        let (_, p) = CausalAttention.forward(qkv.scalars, shape: s, backend: backend)
        let dqkv = CausalAttention.backward(r, qkv: qkv.scalars, probabilities: p, shape: s, backend: backend)
        let report = try GradientCheck.check({ weightedSum(CausalAttention.forward($0.scalars, shape: s, backend: backend).y, r) },
                                             at: qkv, analytic: try Tensor(shape: qkv.shape, scalars: dqkv))
        #expect(report.passes(1e-7), "\(report)")
    }

    @Test("The causal mask: changing a later token changes no earlier output")
    func maskIsCausal() throws {
        let s = Self.shape
        var qkv = randomTensor([s.rows, 3 * s.width], seed: 613)
        let before = CausalAttention.forward(qkv.scalars, shape: s, backend: .simd).y
        for j in 0..<(3 * s.width) { qkv.scalars[3 * (3 * s.width) + j] += 1 }   // row t = 3 of batch 0
        let after = CausalAttention.forward(qkv.scalars, shape: s, backend: .simd).y
        #expect(before[0..<(3 * s.width)] == after[0..<(3 * s.width)])          // rows 0…2 unchanged
        #expect(before[(3 * s.width)..<(4 * s.width)] != after[(3 * s.width)..<(4 * s.width)])
    }

    @Test("Attention matches PyTorch: y, P and dqkv", arguments: [Backend.naive, .simd])
    func attentionFixture(backend: Backend) throws {
        let f = try fixture("ch7_attention")
        let s = AttentionShape(batch: Int(try f.scalar("batch")), length: Int(try f.scalar("length")),
                               heads: Int(try f.scalar("heads")), width: Int(try f.scalar("width")))
        let qkv: Tensor<Double> = try f.tensor("qkv")
        let (y, p) = CausalAttention.forward(qkv.scalars, shape: s, backend: backend)
        #expect(maxRelativeDifference(Tensor(y), Tensor(try f.tensor("y").scalars)) < 1e-12)
        #expect(maxRelativeDifference(Tensor(p), Tensor(try f.tensor("p").scalars)) < 1e-12)
        let dqkv = CausalAttention.backward(try f.tensor("dy").scalars, qkv: qkv.scalars, probabilities: p, shape: s, backend: backend)
        #expect(maxRelativeDifference(Tensor(dqkv), Tensor(try f.tensor("dqkv").scalars)) < 1e-12)
    }

    /// The SIMD twin pads rows to a multiple of 6 and T, d to the 16-wide
    /// tile: T = 13 (neither), 64 with d = 32 (the baby GPT: both exact),
    /// 7 with d = 5 (a tile wider than the head), 1 (a single position).
    @Test("Naive and SIMD attention agree in Float (forward and backward), with T not a multiple of 8",
          arguments: [AttentionShape(batch: 3, length: 13, heads: 4, width: 32), AttentionShape(batch: 2, length: 64, heads: 4, width: 128),
                      AttentionShape(batch: 2, length: 7, heads: 4, width: 20), AttentionShape(batch: 3, length: 1, heads: 2, width: 16)])
    func twinsAgree(_ s: AttentionShape) throws {
        let qkv = randomTensor([s.rows, 3 * s.width], seed: 614, scale: 2).scalars.map(Float.init)
        let dy = randomTensor([s.rows, s.width], seed: 615).scalars.map(Float.init)
        let a = CausalAttention.forward(qkv, shape: s, backend: .naive)
        let b = CausalAttention.forward(qkv, shape: s, backend: .simd)
        #expect(maxRelativeDifference(Tensor(a.y), Tensor(b.y)) < 1e-5)
        #expect(maxRelativeDifference(Tensor(a.probabilities), Tensor(b.probabilities)) < 1e-5)
        let da = CausalAttention.backward(dy, qkv: qkv, probabilities: a.probabilities, shape: s, backend: .naive)
        let db = CausalAttention.backward(dy, qkv: qkv, probabilities: b.probabilities, shape: s, backend: .simd)
        #expect(maxRelativeDifference(Tensor(da), Tensor(db)) < 1e-4)
    }

    @Test("Multi-head attention (projections included) matches finite differences")
    func multiHeadGradient() throws {
        var rng = SeededRandom(seed: 616)
        let mha = try MultiHeadAttention<Double>(width: 4, heads: 2, outputStd: 0.5, rng: &rng)
        for p in mha.parameters { p.value = randomTensor(p.value.shape, seed: 617 + UInt64(p.value.count), scale: 0.7) }
        let reports = try checkLayer(mha, input: randomTensor([2, 3, 4], seed: 618), seed: 619)  // x [B, T, C]
        #expect(reports["input"]!.passes(1e-7), "input: \(reports["input"]!)")
        for (i, p) in mha.parameters.enumerated() {
            let pr = reports["\(i).\(p.name)"]!
            // The key bias's gradient is exactly 0 (adding one vector to every key shifts a
            // score row by a constant, which softmax ignores), so compare absolutely.
            #expect(maxRelativeDifference(p.grad, pr.numericGradient) < 1e-8, "\(p.name): \(pr)")
        }
    }
}

@Suite struct CausalSelfAttentionLayerTests {
    @Test("The attention layer matches PyTorch's y and dqkv through the layer contract", arguments: [Backend.naive, .simd])
    func fixtureThroughTheLayer(backend: Backend) throws {
        let f = try fixture("ch7_attention")
        let (b, t) = (Int(try f.scalar("batch")), Int(try f.scalar("length")))
        let (h, c) = (Int(try f.scalar("heads")), Int(try f.scalar("width")))
        let layer = try CausalSelfAttention<Double>(heads: h, backend: backend)
        let qkv: Tensor<Double> = try f.tensor("qkv").reshaped([b, t, 3 * c])              // [B·T, 3C] as [B, T, 3C]
        let (y, cache) = try layer.forward(qkv, mode: .training)
        #expect(y.shape == [b, t, c])
        #expect(maxRelativeDifference(y, try f.tensor("y").reshaped([b, t, c])) < 1e-12)
        let dqkv = try layer.backward(try f.tensor("dy").reshaped([b, t, c]), cache: cache)
        #expect(maxRelativeDifference(dqkv, try f.tensor("dqkv").reshaped([b, t, 3 * c])) < 1e-12)
    }

    @Test("The attention layer passes the gradient check", arguments: [Backend.naive, .simd])
    func gradientCheck(backend: Backend) throws {
        let layer = try CausalSelfAttention<Double>(heads: 2, backend: backend)
        let reports = try checkLayer(layer, input: randomTensor([2, 4, 12], seed: 651, scale: 1.5))  // [B, T, 3C], C = 4
        // 1e-6: a few entries are ~1e-3, where the central difference's
        // rounding error (about ε·|L|/h ≈ 1e-10) alone is a 1e-7 relative error.
        #expect(reports["input"]!.passes(1e-6), "\(reports["input"]!)")
    }

    @Test("Bad shapes are typed errors")
    func badShapes() throws {
        let layer = try CausalSelfAttention<Double>(heads: 2)
        #expect(throws: TensorError.self) { try layer.forward(randomTensor([8, 12], seed: 1), mode: .inference) }   // not [B, T, 3C]
        #expect(throws: TensorError.self) { try layer.forward(randomTensor([2, 4, 9], seed: 1), mode: .inference) }  // 3C not a multiple of 3·heads
        #expect(throws: TrainingError.self) { try CausalSelfAttention<Double>(heads: 0) }
    }
}

@Suite struct LayerNormAndGELUTests {
    func layerNorm(_ backend: Backend) throws -> LayerNorm<Double> {
        let ln = try LayerNorm<Double>(width: 5, backend: backend)
        ln.gamma.value = randomTensor([5], seed: 621, scale: 1.5)
        ln.beta.value = randomTensor([5], seed: 622)
        return ln
    }

    @Test("LayerNorm backward matches finite differences (input, γ, β)", arguments: [Backend.naive, .simd])
    func layerNormGradient(backend: Backend) throws {
        let ln = try layerNorm(backend)
        for shape in [[4, 5], [2, 3, 5]] {   // rows, and a sequence [B, T, C]
            let reports = try checkLayer(ln, input: randomTensor(shape, seed: 623, scale: 2), seed: 624)
            #expect(reports["input"]!.passes(1e-6), "\(shape): \(reports["input"]!)")
            for p in ln.parameters {
                #expect(reports[p.name]!.passes(1e-7), "\(shape) \(p.name): \(reports[p.name]!)")
            }
        }
    }

    @Test("LayerNorm matches F.layer_norm: y, dx, dγ, dβ", arguments: [Backend.naive, .simd])
    func layerNormFixture(backend: Backend) throws {
        let f = try fixture("ch7_layernorm")
        let ln = try LayerNorm<Double>(width: 10, backend: backend)
        ln.gamma.value = try f.tensor("gamma")
        ln.beta.value = try f.tensor("beta")
        let (y, cache) = try ln.forward(try f.tensor("x"), mode: .training)
        #expect(maxRelativeDifference(y, try f.tensor("y")) < 1e-12)
        let dx = try ln.backward(try f.tensor("dy"), cache: cache)
        #expect(maxRelativeDifference(dx, try f.tensor("dx")) < 1e-12)
        #expect(maxRelativeDifference(ln.gamma.grad, try f.tensor("dgamma")) < 1e-12)
        #expect(maxRelativeDifference(ln.beta.grad, try f.tensor("dbeta")) < 1e-12)
    }

    @Test("Naive and SIMD LayerNorm agree in Float on 100 rows of width 37 (two cores, vector tails)")
    func layerNormTwins() throws {
        let x = try Tensor<Float>(shape: [100, 37], scalars: randomTensor([100, 37], seed: 625, scale: 3).scalars.map(Float.init))
        let dy = try Tensor<Float>(shape: [100, 37], scalars: randomTensor([100, 37], seed: 626).scalars.map(Float.init))
        var outputs: [(Tensor<Float>, Tensor<Float>, Tensor<Float>)] = []
        for backend in [Backend.naive, .simd] {
            let ln = try LayerNorm<Float>(width: 37, backend: backend)
            ln.gamma.value = try Tensor(shape: [37], scalars: randomTensor([37], seed: 627).scalars.map(Float.init))
            let (y, cache) = try ln.forward(x, mode: .training)
            outputs.append((y, try ln.backward(dy, cache: cache), ln.gamma.grad))
        }
        #expect(maxRelativeDifference(outputs[0].0, outputs[1].0) < 1e-5)
        #expect(maxRelativeDifference(outputs[0].1, outputs[1].1) < 1e-4)
        #expect(maxRelativeDifference(outputs[0].2, outputs[1].2) < 1e-4)
    }

    @Test("GELU (exact erf) matches F.gelu and finite differences; naive and SIMD agree in Float", arguments: [Backend.naive, .simd])
    func gelu(backend: Backend) throws {
        let f = try fixture("ch7_gelu")
        let layer = Activation<Double>(.gelu, backend: backend)
        let (y, cache) = try layer.forward(try f.tensor("x"), mode: .training)
        #expect(maxRelativeDifference(y, try f.tensor("y")) < 1e-12)
        #expect(maxRelativeDifference(try layer.backward(try f.tensor("dy"), cache: cache), try f.tensor("dx")) < 1e-12)
        let reports = try checkLayer(layer, input: randomTensor([3, 7], seed: 628, scale: 3))
        #expect(reports["input"]!.passes(1e-7))
        let xf = try Tensor<Float>(shape: [1000], scalars: randomTensor([1000], seed: 629, scale: 5).scalars.map(Float.init))
        #expect(maxRelativeDifference(xf.mapped(.gelu, backend: .naive), xf.mapped(.gelu, backend: .simd)) < 1e-5)
    }
}

@Suite struct BlockTests {
    static func block(_ backend: Backend, width: Int = 8, heads: Int = 2) throws -> TransformerBlock<Double> {
        var rng = SeededRandom(seed: 631)
        return try TransformerBlock<Double>(width: width, heads: heads, layers: 1, rng: &rng, backend: backend)
    }

    @Test("A whole block's backward matches finite differences (input and every parameter)")
    func blockGradient() throws {
        let block = try Self.block(.simd, width: 4, heads: 2)
        for (i, p) in block.parameters.enumerated() {
            p.value = try p.value.adding(randomTensor(p.value.shape, seed: 640 + UInt64(i), scale: 0.3))
        }
        let reports = try checkLayer(block, input: randomTensor([2, 3, 4], seed: 632), seed: 633)  // x [B, T, C]
        #expect(reports["input"]!.passes(1e-6), "input: \(reports["input"]!)")
        for (i, (name, p)) in block.namedParameters.enumerated() {
            let report = reports["\(i).\(p.name)"]!
            #expect(report.passes(1e-6), "\(name): \(report)")
        }
    }

    @Test("A whole block matches PyTorch: output, input gradient, every parameter gradient", arguments: [Backend.naive, .simd])
    func blockFixture(backend: Backend) throws {
        let f = try fixture("ch7_block")
        let block = try Self.block(backend)
        for (name, p) in block.namedParameters { p.value = try f.tensor("param:" + name) }
        let (z, cache) = try block.forward(try f.tensor("x").reshaped([2, 4, 8]), mode: .training)  // [B·T, C] as [B, T, C]
        #expect(maxRelativeDifference(z, try f.tensor("z").reshaped([2, 4, 8])) < 1e-12)
        let dx = try block.backward(try f.tensor("dz").reshaped([2, 4, 8]), cache: cache)
        #expect(maxRelativeDifference(dx, try f.tensor("dx").reshaped([2, 4, 8])) < 1e-11)
        for (name, p) in block.namedParameters {
            #expect(maxRelativeDifference(p.grad, try f.tensor("grad:" + name)) < 1e-11, "\(name)")
        }
    }

    @Test("Dropout: active in training (reproducible from its seed), off in inference")
    func dropout() throws {
        var rng = SeededRandom(seed: 634)
        let make = { (rng: inout SeededRandom) in try TransformerBlock<Double>(width: 8, heads: 2, layers: 1, dropout: 0.5, seed: 9, rng: &rng) }
        let block = try make(&rng)
        let x = randomTensor([1, 4, 8], seed: 635)
        let a = try block.forward(x, mode: .inference).output
        let b = try block.forward(x, mode: .inference).output
        let c = try block.forward(x, mode: .training).output
        #expect(a == b)
        #expect(a != c)
    }
}
