// The small Llama-style model: its loss and every gradient against PyTorch
// (tied and untied head), finite differences on a tiny config, its
// parameter count, and its errors.

import BackpropCore
import Backpropagation
import TestSupport
import Testing
@testable import TokensAndTheModernLLM

@Suite struct LlamaModelTests {
    func config(_ f: Fixture, tied: Bool) throws -> LlamaConfig {
        try LlamaConfig(vocabularySize: Int(try f.scalar("vocabulary")), context: Int(try f.scalar("length")),
                        layers: Int(try f.scalar("layers")), width: Int(try f.scalar("width")), heads: Int(try f.scalar("heads")),
                        kvHeads: Int(try f.scalar("kv_heads")), hidden: Int(try f.scalar("hidden")), tiedHead: tied)
    }

    func matchesPyTorch<S: TensorScalar>(_ name: String, tied: Bool, _: S.Type, _ backend: Backend) throws {
        let f = try fixture(name)
        let tol = tolerances(S.self)
        let model = try Llama<S>(config: try config(f, tied: tied), seed: 1, backend: backend)
        try load(model.namedParameters.map { ($0.name, $0.parameter) }, from: f)
        let tokens = labels(try f.tensor("tokens")), targets = labels(try f.tensor("targets"))
        let (b, t) = (Int(try f.scalar("batch")), Int(try f.scalar("length")))
        let (logits, _) = try model.forward(tokens, batch: b, length: t)
        #expect(maxRelativeDifference(logits, try f.tensor("logits")) < tol.output, "\(name) \(S.self) logits")
        let loss = try model.loss(inputs: tokens, targets: targets, batch: b, length: t)
        #expect(abs(loss - (try f.scalar("loss"))) < tol.output, "\(name) \(S.self) loss")
        let (worst, worstName) = try worstGradient(model.namedParameters.map { ($0.name, $0.parameter) }, against: f)
        #expect(worst < tol.gradient, "\(name) \(S.self) \(worstName): \(worst)")
    }

    @Test("The model matches PyTorch: logits, loss and every gradient, tied and untied head",
          arguments: [("ch8_llama_model", true), ("ch8_llama_model_untied", false)], [Backend.naive, .simd])
    func fixtureMatch(_ model: (name: String, tied: Bool), backend: Backend) throws {
        try matchesPyTorch(model.name, tied: model.tied, Double.self, backend)
        try matchesPyTorch(model.name, tied: model.tied, Float.self, backend)
    }

    @Test("The loss's gradient matches finite differences for every parameter (tiny config, tied and untied)", arguments: [true, false])
    func gradient(tied: Bool) throws {
        // C = 4, two heads of 2 sharing one kv head, hidden 4: 268 scalars (296
        // untied), two forward passes each, about a second in a debug build.
        let config = try LlamaConfig(vocabularySize: 7, context: 3, layers: 2, width: 4, heads: 2, kvHeads: 1, hidden: 4, tiedHead: tied)
        let model = try Llama<Double>(config: config, seed: 871, std: 0.5)
        for (i, p) in model.parameters.enumerated() where p.value.rank == 1 {   // gains away from 1
            p.value = try p.value.adding(randomTensor(p.value.shape, seed: 872 + UInt64(i), scale: 0.3))
        }
        let inputs = [1, 4, 6, 0, 2, 2], targets = [4, 6, 0, 3, 2, 5]
        model.zeroGrad()
        try model.loss(inputs: inputs, targets: targets, batch: 2, length: 3)
        for (name, p) in model.namedParameters {
            let saved = p.value
            let report = try GradientCheck.check({ v in
                p.value = v
                defer { p.value = saved }
                return try model.loss(inputs: inputs, targets: targets, batch: 2, length: 3, backward: false)
            }, at: saved, analytic: p.grad)
            // Absolute on tiny entries, as for chapter 7's attention (rows of E for absent tokens are exactly 0).
            #expect(maxRelativeDifference(p.grad, report.numericGradient) < 1e-8, "\(name): \(report)")
        }
    }

    @Test("Parameter count: the config's formula equals the model's tensors; the KV cache holds H_kv heads")
    func parameterCount() throws {
        for tied in [true, false] {
            let config = try LlamaConfig(vocabularySize: 50, context: 16, layers: 3, width: 32, heads: 4, kvHeads: 2, tiedHead: tied)
            #expect(config.hidden == 88)   // ⌊8·32/3⌋ = 85 → 88
            let model = try Llama<Float>(config: config, seed: 873)
            #expect(model.parameterCount == config.parameterCount)
            #expect(model.namedParameters.count == 1 + 3 * 9 + 1 + (tied ? 0 : 1))
            #expect(config.kvCacheScalars(length: 10) == 2 * 3 * 2 * 8 * 10)
        }
    }

    @Test("Naive and SIMD models agree in Float (loss and gradients)")
    func twins() throws {
        let config = try LlamaConfig(vocabularySize: 30, context: 9, layers: 2, width: 32, heads: 4, kvHeads: 1, tiedHead: false)
        let inputs = (0..<18).map { ($0 * 7) % 30 }, targets = (0..<18).map { ($0 * 11 + 3) % 30 }
        var results: [(Double, [Tensor<Float>])] = []
        for backend in [Backend.naive, .simd] {
            let model = try Llama<Float>(config: config, seed: 874, backend: backend)
            let loss = try model.loss(inputs: inputs, targets: targets, batch: 2, length: 9)
            results.append((loss, model.parameters.map(\.grad)))
        }
        #expect(abs(results[0].0 - results[1].0) < 2e-5)
        for i in results[0].1.indices { #expect(maxRelativeDifference(results[0].1[i], results[1].1[i]) < 1e-4, "parameter \(i)") }
    }

    @Test("Bad configs and inputs are typed errors")
    func errors() throws {
        #expect(throws: TrainingError.self) { try LlamaConfig(vocabularySize: 10, width: 32, heads: 4, kvHeads: 3) }
        #expect(throws: TrainingError.self) { try LlamaConfig(vocabularySize: 0) }
        let model = try Llama<Double>(config: try LlamaConfig(vocabularySize: 5, context: 4, layers: 1, width: 8, heads: 2, kvHeads: 1), seed: 875)
        #expect(throws: TrainingError.self) { try model.forward([1, 2, 3, 4, 0], batch: 1, length: 5) }   // beyond the context
        #expect(throws: TrainingError.self) { try model.forward([1, 2, 3], batch: 2, length: 2) }
        #expect(throws: (any Error).self) { try model.forward([1, 9], batch: 1, length: 2) }                // token ≥ V
        let (_, cache) = try model.forward([1, 2], batch: 1, length: 2)
        #expect(throws: TensorError.self) { try model.backward(randomTensor([2, 4], seed: 1), cache: cache) }
    }
}
