// The ablation's switches (LlamaVariants.swift): every GPT-era piece's
// gradient against finite differences in Double, parameter counts from the
// definitions (the GELU MLP matched to SwiGLU), naive and SIMD twins,
// cached decoding, checkpoints that record the switches (and old ones
// without them), character tokens, typed errors, and the frozen base of LoRA.

import BackpropCore
import Backpropagation
import Foundation
import RecurrentNetworks
import Storage
import TestSupport
import Testing
@testable import TokensAndTheModernLLM

@Suite struct LlamaAblationTests {
    static let architectures: [LlamaArchitecture] = LlamaPositions.allCases.flatMap { p in
        LlamaMLPKind.allCases.flatMap { m in LlamaNormKind.allCases.map { LlamaArchitecture(positions: p, mlp: m, norm: $0) } }
    }

    @Test("Every GPT-era piece's gradient matches finite differences (tiny config, Double)",
          arguments: [(LlamaArchitecture.gptEra, true), (LlamaArchitecture(positions: .rope, mlp: .gelu, norm: .layernorm), false)])
    func gradient(_ architecture: LlamaArchitecture, tied: Bool) throws {
        // C = 4, two heads of 2 sharing one kv head, GELU hidden 6: about 300 scalars.
        let config = try LlamaConfig(vocabularySize: 7, context: 3, layers: 2, width: 4, heads: 2, kvHeads: 1, hidden: 6, tiedHead: tied,
                                     architecture: architecture)
        let model = try Llama<Double>(config: config, seed: 1871, std: 0.5)
        for (i, p) in model.parameters.enumerated() where p.value.rank == 1 {   // gains and β away from 1 and 0
            p.value = try p.value.adding(randomTensor(p.value.shape, seed: 1872 + UInt64(i), scale: 0.3))
        }
        let inputs = [1, 4, 6, 0, 2, 2], targets = [4, 6, 0, 3, 2, 5]
        model.zeroGrad()
        try model.loss(inputs: inputs, targets: targets, batch: 2, length: 3)
        #expect(model.namedParameters.contains { $0.name == "model.embed_positions.weight" } == (architecture.positions == .learned))
        for (name, p) in model.namedParameters {
            let saved = p.value
            let report = try GradientCheck.check({ v in
                p.value = v
                defer { p.value = saved }
                return try model.loss(inputs: inputs, targets: targets, batch: 2, length: 3, backward: false)
            }, at: saved, analytic: p.grad)
            #expect(maxRelativeDifference(p.grad, report.numericGradient) < 1e-8, "\(architecture) \(name): \(report)")
        }
    }

    @Test("Parameter counts: the formula equals the tensors for all 8 architectures; the GELU MLP has SwiGLU's weights")
    func parameterCounts() throws {
        for architecture in Self.architectures {
            let config = try LlamaConfig(vocabularySize: 50, context: 16, layers: 3, width: 32, heads: 4, kvHeads: 2, architecture: architecture)
            #expect(try Llama<Float>(config: config, seed: 1873).parameterCount == config.parameterCount, "\(architecture)")
        }
        // C = 128: SwiGLU ⌈8·128/3⌉ to 8 = 344 (3·128·344 weights); GELU 516 (2·128·516 = 132,096, the same).
        let llama = try LlamaConfig(vocabularySize: 513), gelu = try LlamaConfig(vocabularySize: 513, architecture: LlamaArchitecture(mlp: .gelu))
        #expect(llama.hidden == 344 && gelu.hidden == 516 && 2 * 128 * 516 == 3 * 128 * 344)
        #expect(gelu.parameterCount == llama.parameterCount)
        // LayerNorm adds β to 2L + 1 norms; learned positions add context·C.
        #expect(try LlamaConfig(vocabularySize: 513, architecture: LlamaArchitecture(norm: .layernorm)).parameterCount
                == llama.parameterCount + 9 * 128)
        #expect(try LlamaConfig(vocabularySize: 513, architecture: LlamaArchitecture(positions: .learned)).parameterCount
                == llama.parameterCount + 64 * 128)
    }

    @Test("Naive and SIMD twins agree for the GPT-era model (Float loss and gradients)")
    func twins() throws {
        let config = try LlamaConfig(vocabularySize: 30, context: 9, layers: 2, width: 32, heads: 4, kvHeads: 1, tiedHead: false,
                                     architecture: .gptEra)
        let inputs = (0..<18).map { ($0 * 7) % 30 }, targets = (0..<18).map { ($0 * 11 + 3) % 30 }
        var results: [(Double, [Tensor<Float>])] = []
        for backend in [Backend.naive, .simd] {
            let model = try Llama<Float>(config: config, seed: 1874, backend: backend)
            let loss = try model.loss(inputs: inputs, targets: targets, batch: 2, length: 9)
            results.append((loss, model.parameters.map(\.grad)))
        }
        #expect(abs(results[0].0 - results[1].0) < 2e-5)
        for i in results[0].1.indices { #expect(maxRelativeDifference(results[0].1[i], results[1].1[i]) < 1e-4, "parameter \(i)") }
    }

    @Test("Cached decoding equals the full forward pass for every single swap and the GPT-era model (Double)")
    func decoding() throws {
        for architecture in [LlamaArchitecture(positions: .learned), LlamaArchitecture(mlp: .gelu), LlamaArchitecture(norm: .layernorm), .gptEra] {
            let config = try LlamaConfig(vocabularySize: 11, context: 5, layers: 2, width: 8, heads: 2, kvHeads: 1, architecture: architecture)
            let model = try Llama<Double>(config: config, seed: 1875, std: 0.5)
            let tokens = [3, 1, 4, 1, 5, 9, 2, 6]   // past the context: the window slides
            let cached = try model.logitsAfterEachToken(tokens, useKVCache: true)
            let recomputed = try model.logitsAfterEachToken(tokens, useKVCache: false)
            for (a, b) in zip(cached, recomputed) {
                #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-12 }, "\(architecture)")
            }
        }
    }

    @Test("A checkpoint records the switches and a character tokenizer; one without the switches loads as Llama's")
    func checkpoint() throws {
        let vocabulary = try CharacterVocabulary(text: "the cat sat on the mat")
        let config = try LlamaConfig(vocabularySize: vocabulary.count, context: 6, layers: 1, width: 8, heads: 2, kvHeads: 1,
                                     architecture: .gptEra)
        let model = try Llama<Float>(config: config, seed: 1876)
        model.tokenizer = .characters(CharacterTokenizer(vocabulary: vocabulary))
        let restored = try Llama<Float>(checkpoint: model.checkpoint())
        #expect(restored.config == model.config && restored.tokenizer == model.tokenizer)
        #expect(restored.namedParameters.map(\.name) == model.namedParameters.map(\.name))
        for (a, b) in zip(model.parameters, restored.parameters) { #expect(a.value.scalars == b.value.scalars) }
        #expect(try restored.forward([1, 2, 3], batch: 1, length: 3).logits.scalars == (try model.forward([1, 2, 3], batch: 1, length: 3).logits.scalars))

        // A checkpoint written before the switches: no positions, mlp or norm keys.
        var old = try LlamaCheckpointTests.model().checkpoint()
        old.config.removeAll { ["positions", "mlp", "norm"].contains($0.0) }
        #expect(try Llama<Float>(checkpoint: old).config.architecture == .llama)

        for (key, value) in [("positions", "absolute"), ("mlp", "relu"), ("norm", "batchnorm")] {
            LlamaCheckpointTests.expectBad(LlamaCheckpointTests.with(model.checkpoint(), key, .string(value)), key: key, "unknown \(key)")
        }
        // The GELU MLP's tensors under the SwiGLU's switch: a missing tensor.
        LlamaCheckpointTests.expectBad(LlamaCheckpointTests.with(model.checkpoint(), "mlp", .string("swiglu")), "MLP switch and tensors disagree")
        LlamaCheckpointTests.expectBad(LlamaCheckpointTests.with(model.checkpoint(), "characters", .string("aa")), "a repeated character")
    }

    @Test("Character tokens: one id per character, unknown characters left out, bad ids a typed error")
    func characters() throws {
        let tokenizer = CharacterTokenizer(vocabulary: try CharacterVocabulary(text: "abc é\n"))
        #expect(tokenizer.vocabularySize == 6)
        #expect(tokenizer.encode("cab é") == [4, 2, 3, 1, 5])   // sorted: "\n", " ", a, b, c, é
        #expect(tokenizer.encode("axb") == [2, 3])
        #expect(try tokenizer.decode([5, 1, 2]) == "é a")
        #expect(throws: TokenizerError.unknownToken(id: 6, vocabularySize: 6)) { try tokenizer.decodeBytes([6]) }
        let corpus = try TokenCorpus.characters(String(repeating: "to be or not to be\n", count: 20))
        #expect(corpus.train.count + corpus.validation.count + corpus.test.count == 20 * 19)
        #expect(try corpus.predictedCharacters(corpus.test) == corpus.test.count - 1)
    }

    @Test("Unknown switch names are typed errors naming the option and its values")
    func errors() throws {
        #expect(try LlamaPositions.named("learned") == .learned && LlamaMLPKind.names == ["swiglu", "gelu"])
        do {
            _ = try LlamaPositions.named("absolute")
            Issue.record("accepted an unknown position scheme")
        } catch let TrainingError.invalidOption(name, value, reason) {
            #expect(name == "positions" && value == "absolute" && reason.contains("rope, learned"))
        }
        #expect(throws: TrainingError.self) { try LlamaNormKind.named("batchnorm") }
        #expect(LlamaAblationVariant.all[5].command(seed: 2)
                == "backprop train llama --tokens chars --positions learned --mlp gelu --norm layernorm --seed 2")
        #expect(LlamaAblationVariant.all[0].command(seed: 1) == "backprop train llama --seed 1")
    }

    @Test("A frozen base: the adapters' gradients are those of the full backward pass, and no base weight gets one")
    func frozenBase() throws {
        let config = try LlamaConfig(vocabularySize: 11, context: 6, layers: 2, width: 8, heads: 2, kvHeads: 1, hidden: 8, tiedHead: false)
        let inputs = [1, 4, 6, 0, 2, 9], targets = [4, 6, 0, 3, 2, 5]
        var adapterGrads: [[[Double]]] = []
        for frozen in [false, true] {
            let model = try Llama<Double>(config: config, seed: 1877, std: 0.5)
            try model.addLoRA(rank: 2, alpha: 4, targets: LoRATarget.allCases, seed: 1878)
            #expect(model.freezesBase)
            model.freezesBase = frozen
            for (i, p) in model.loraParameters.enumerated() { p.parameter.value = random(p.parameter.value.shape, seed: 1879 + UInt64(i), scale: 0.5) }
            model.zeroGrad()
            try model.loss(inputs: inputs, targets: targets, batch: 1, length: 6)
            adapterGrads.append(model.loraParameters.map(\.parameter.grad.scalars))
            let weights = model.namedParameters.filter { $0.parameter.value.rank == 2 }
            #expect(weights.allSatisfy { $0.parameter.grad.scalars.allSatisfy { $0 == 0 } } == frozen, "frozen \(frozen)")
            try model.mergeLoRA()
            #expect(!model.freezesBase)
        }
        #expect(adapterGrads[0] == adapterGrads[1])
    }
}
