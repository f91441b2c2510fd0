// LoRA: the adapted projection against PyTorch (PEFT's lora.Linear) and
// finite differences, the base frozen, merging that keeps the function, and
// adapters on the Llama's attention that train alone and merge for serving.

import BackpropCore
import Backpropagation
import TestSupport
import Transformer
import Testing
@testable import TokensAndTheModernLLM

@Suite struct LoRATests {
    func layer<S: TensorScalar>(_ f: Fixture, _: S.Type, _ backend: Backend) throws -> LoRALinear<S> {
        let base = try Linear<S>(weight: try f.tensor("param:base.weight"), backend: backend)
        let adapter = try LoRAAdapter<S>(a: try f.tensor("param:lora_A.weight"), b: try f.tensor("param:lora_B.weight"),
                                         alpha: try f.scalar("alpha"), backend: backend)
        return try LoRALinear(base: base, adapter: adapter)
    }

    func matchesPyTorch<S: TensorScalar>(_: S.Type, _ backend: Backend) throws {
        let f = try fixture("ch8_lora")
        let tol = tolerances(S.self)
        let lora = try layer(f, S.self, backend)
        #expect(lora.adapter.rank == 2 && lora.adapter.scale == 2)
        let (y, cache) = try lora.forward(try f.tensor("x"), mode: .training)
        #expect(maxRelativeDifference(y, try f.tensor("y")) < tol.output)
        #expect(maxRelativeDifference(try lora.backward(try f.tensor("dy"), cache: cache), try f.tensor("dx")) < tol.gradient)
        let (worst, name) = try worstGradient(lora.adapter.namedParameters, against: f)
        #expect(worst < tol.gradient, "\(name): \(worst)")
        #expect(lora.base.weight.grad.scalars.allSatisfy { $0 == 0 })    // frozen: no gradient at all
        #expect(lora.parameters.count == 2)
    }

    @Test("A LoRA projection matches PyTorch: y, dx, dA and dB (W frozen)", arguments: [Backend.naive, .simd])
    func fixtureMatch(backend: Backend) throws {
        try matchesPyTorch(Double.self, backend)
        try matchesPyTorch(Float.self, backend)
    }

    @Test("dx, dA and dB match finite differences")
    func gradient() throws {
        var rng = SeededRandom(seed: 930)
        let base = try Linear<Double>(weight: random([5, 7], seed: 931))
        let lora = try LoRALinear(base: base, rank: 3, alpha: 6, rng: &rng)
        lora.adapter.b.value = random([5, 3], seed: 932)                     // as after training (B = 0 would hide dA)
        for (name, report) in try checkLayer(lora, input: random([2, 3, 7], seed: 933)) {
            #expect(report.maxRelativeError < 1e-6, "\(name): \(report)")
        }
    }

    @Test("A fresh adapter leaves the function unchanged; merged and unmerged give the same outputs")
    func merge() throws {
        var rng = SeededRandom(seed: 934)
        let x = random([2, 4, 8], seed: 935, as: Double.self)
        let base = try Linear<Double>(weight: random([6, 8], seed: 936))
        let plain = try base.forward(x, mode: .inference).output
        let lora = try LoRALinear(base: base, rank: 2, alpha: 4, rng: &rng)
        #expect(try lora.forward(x, mode: .inference).output.scalars == plain.scalars)   // B = 0
        lora.adapter.b.value = random([6, 2], seed: 937)
        let unmerged = try lora.forward(x, mode: .inference).output
        #expect(maxRelativeDifference(unmerged, plain) > 1e-2)
        try lora.merge()
        #expect(lora.adapter.b.value.scalars.allSatisfy { $0 == 0 })
        #expect(maxRelativeDifference(try base.forward(x, mode: .inference).output, unmerged) < 1e-12)
        #expect(throws: TrainingError.self) { try LoRAAdapter<Double>(inputs: 4, outputs: 3, rank: 4, alpha: 1, rng: &rng) }
        #expect(throws: TrainingError.self) { try LoRAAdapter<Double>(inputs: 4, outputs: 3, rank: 2, alpha: 0, rng: &rng) }
    }

    static func model<S: TensorScalar>(_: S.Type, seed: UInt64 = 940) throws -> Llama<S> {
        let config = try LlamaConfig(vocabularySize: 11, context: 6, layers: 2, width: 16, heads: 4, kvHeads: 2, hidden: 12)
        return try Llama<S>(config: config, seed: seed, std: 0.4)
    }

    /// Random B's, so the adapters change the function.
    static func perturb<S: TensorScalar>(_ model: Llama<S>) {
        for (i, p) in model.loraParameters.enumerated() where p.name.contains("lora_B") {
            p.parameter.value = random(p.parameter.value.shape, seed: 950 + UInt64(i), scale: 0.5)
        }
    }

    @Test("The Llama with adapters on q, k, v, o: every adapter gradient matches finite differences")
    func modelGradient() throws {
        let config = try LlamaConfig(vocabularySize: 11, context: 6, layers: 2, width: 8, heads: 2, kvHeads: 1, hidden: 8)
        let model = try Llama<Double>(config: config, seed: 940, std: 0.5)
        try model.addLoRA(rank: 2, alpha: 4, targets: LoRATarget.allCases, seed: 941)
        Self.perturb(model)
        #expect(model.loraParameters.count == 2 * 4 * 2)
        let inputs = [1, 4, 6, 0, 2, 9], targets = [4, 6, 0, 3, 2, 5]
        model.zeroGrad()
        for p in model.loraParameters { p.parameter.zeroGrad() }
        try model.loss(inputs: inputs, targets: targets, batch: 1, length: 6)
        for (name, p) in model.loraParameters {
            let saved = p.value
            let report = try GradientCheck.check({ v in
                p.value = v
                defer { p.value = saved }
                return try model.loss(inputs: inputs, targets: targets, batch: 1, length: 6, backward: false)
            }, at: saved, analytic: p.grad)
            #expect(maxRelativeDifference(p.grad, report.numericGradient) < 1e-7, "\(name): \(report)")
        }
    }

    @Test("Merged and unmerged adapters give the same logits (Double 1e-12, Float 1e-5), cached decoding included")
    func modelMerge() throws {
        func check<S: TensorScalar>(_: S.Type, tolerance: Double) throws {
            let model = try Self.model(S.self)
            let tokens = [3, 1, 4, 1, 5, 9]
            let plain = try model.forward(tokens, batch: 1, length: 6).logits
            try model.addLoRA(rank: 2, alpha: 8, targets: [.query, .value, .output], seed: 942)
            #expect(try model.forward(tokens, batch: 1, length: 6).logits.scalars == plain.scalars)   // B = 0
            Self.perturb(model)
            let unmerged = try model.forward(tokens, batch: 1, length: 6).logits
            #expect(maxRelativeDifference(unmerged, plain) > 1e-3)
            let cached = try model.logitsAfterEachToken(tokens, useKVCache: true).last!
            #expect(zip(cached, unmerged.scalars.suffix(11)).allSatisfy { abs(Double($0 - $1)) < tolerance * 10 })
            try model.mergeLoRA()
            #expect(model.loraParameters.isEmpty)
            #expect(maxRelativeDifference(try model.forward(tokens, batch: 1, length: 6).logits, unmerged) < tolerance, "\(S.self)")
        }
        try check(Double.self, tolerance: 1e-12)
        try check(Float.self, tolerance: 1e-5)
    }

    /// A layer that is the adapter's own side path, written as a LoRALinear
    /// around W = 0 with the adapter's A and B: replacing the side path with
    /// it must change nothing, in training, gradients and cached decoding.
    @Test("A side path replaced by an equivalent layer gives the same logits, gradients and cached logits; its parameters are the layer's")
    func replacedSidePath() throws {
        let config = try LlamaConfig(vocabularySize: 11, context: 6, layers: 2, width: 8, heads: 2, kvHeads: 1, hidden: 8)
        let inputs = [1, 4, 6, 0, 2, 9], targets = [4, 6, 0, 3, 2, 5]
        func model() throws -> Llama<Double> {
            let m = try Llama<Double>(config: config, seed: 944, std: 0.5)
            try m.addLoRA(rank: 2, alpha: 4, targets: [.query, .value, .output], seed: 945)
            Self.perturb(m)
            return m
        }
        let plain = try model(), replaced = try model()
        var layers: [LoRALinear<Double>] = []
        for block in replaced.blocks {
            for adapter in block.attention.adapters.values {
                let zero = try Linear<Double>(weight: try Tensor(shape: [adapter.outputs, adapter.inputs], repeating: 0))
                let layer = try LoRALinear(base: zero, adapter: try LoRAAdapter(a: adapter.a.value, b: adapter.b.value, alpha: adapter.alpha))
                adapter.replaceSidePath(with: layer)
                layers.append(layer)
            }
        }
        #expect(replaced.loraParameters.count == plain.loraParameters.count)
        let mine = Set(replaced.loraParameters.map { ObjectIdentifier($0.parameter) })
        #expect(mine == Set(layers.flatMap(\.parameters).map(ObjectIdentifier.init)))
        for m in [plain, replaced] {
            m.zeroGrad()
            for p in m.loraParameters { p.parameter.zeroGrad() }
        }
        let a = try plain.loss(inputs: inputs, targets: targets, batch: 1, length: 6)
        let b = try replaced.loss(inputs: inputs, targets: targets, batch: 1, length: 6)
        #expect(abs(a - b) < 1e-12)
        // Both hold their adapters in the same (target) order per block; compare gradients by value.
        let gradsA = plain.blocks.flatMap { block in LoRATarget.allCases.compactMap { block.attention.adapters[$0] }.flatMap { $0.parameters.map(\.grad.scalars) } }
        let gradsB = replaced.blocks.flatMap { block in LoRATarget.allCases.compactMap { block.attention.adapters[$0] }.flatMap { $0.parameters.map(\.grad.scalars) } }
        #expect(gradsA.count == gradsB.count)
        for (x, y) in zip(gradsA, gradsB) { #expect(zip(x, y).allSatisfy { abs($0 - $1) < 1e-12 }) }
        let cached = try replaced.logitsAfterEachToken(inputs, useKVCache: true).last!
        let uncached = try plain.forward(inputs, batch: 1, length: 6).logits.scalars.suffix(11)
        #expect(zip(cached, uncached).allSatisfy { abs($0 - $1) < 1e-10 })
        #expect(throws: TrainingError.self) { try replaced.mergeLoRA() }
    }

    @Test("Fine-tuning only the adapters lowers the loss and leaves the base weights bit for bit")
    func frozenBase() throws {
        let model = try Self.model(Float.self)
        let before = model.parameters.map(\.value.scalars)
        try model.addLoRA(rank: 2, alpha: 4, seed: 943)
        let trainable = model.loraParameters.map(\.parameter)
        var options = GPTTrainingOptions()
        options.fitSchedule(steps: 30, learningRate: 2e-2)
        let optimizers = try LlamaTrainer.optimizers(for: model, options: options, parameters: trainable)
        let inputs = [1, 2, 3, 4, 5, 6], targets = [2, 3, 4, 5, 6, 7]
        var losses: [Double] = []
        for t in 0..<30 {
            for p in trainable { p.zeroGrad() }
            losses.append(try LlamaTrainer.step(model, optimizers: optimizers, inputs: inputs, targets: targets, batch: 1,
                                                learningRate: 2e-2, clip: 1, iteration: t, parameters: trainable))
        }
        #expect(losses.last! < losses.first! - 0.3, "\(losses.first!) → \(losses.last!)")
        #expect(model.parameters.map(\.value.scalars) == before)
    }
}

@Suite struct FineTuningTests {
    static let text: String = {
        var speeches: [String] = []
        for i in 0..<40 {
            speeches.append(i % 2 == 0 ? "PETRUCHIO:\nCome, come, you wasp; i' faith, you are too angry \(i)." : "KATHARINA:\nIf I be waspish, best beware my sting \(i).")
        }
        return speeches.joined(separator: "\n\n") + "\n"
    }()

    @Test("The slice is the speaker's speeches (first line exactly NAME:), 80% / 20% in order; the general text lacks them")
    func slice() throws {
        let s = try SpeakerSlice(text: Self.text, speaker: "Petruchio")
        #expect(s.speeches == 20 && s.speaker == "PETRUCHIO:")
        #expect(s.train.components(separatedBy: "PETRUCHIO:").count - 1 == 16 && !s.train.contains("KATHARINA"))
        #expect(s.heldOut.hasPrefix("PETRUCHIO:\nCome, come, you wasp; i' faith, you are too angry 32."))
        #expect(!s.general.contains("PETRUCHIO") && s.general.contains("KATHARINA"))
        #expect(throws: TrainingError.self) { try SpeakerSlice(text: Self.text, speaker: "GRUMIO") }
    }

    @Test("LoRA fine-tuning trains under 10% of the scalars, keeps a tenth of the optimizer state, and lowers the slice's loss")
    func loraVersusFull() throws {
        let slice = try SpeakerSlice(text: Self.text, speaker: "PETRUCHIO")
        let bpe = try BPETrainer.train(Self.text, options: BPETrainingOptions(vocabularySize: 300)).0
        func model() throws -> Llama<Float> {
            let m = try Llama<Float>(config: try LlamaConfig(vocabularySize: bpe.vocabularySize, context: 8, layers: 1, width: 16, heads: 2, kvHeads: 1),
                                     seed: 960)
            m.tokenizer = .bpe(bpe)
            return m
        }
        var lora = FineTuneOptions(lora: true, steps: 10, seed: 2)
        lora.training.batch = 4
        var full = FineTuneOptions(lora: false, steps: 10, learningRate: 1e-3, seed: 2)
        full.training.batch = 4
        let a = try LlamaFineTuner.run(try model(), slice: slice, options: lora)
        let b = try LlamaFineTuner.run(try model(), slice: slice, options: full)
        #expect(a.trainableParameters == 1 * 4 * (16 + 16) + 1 * 4 * (16 + 8))   // q: r(C + H·d), v: r(C + H_kv·d)
        #expect(b.trainableParameters == b.totalParameters)
        #expect(a.optimizerStateBytes == 2 * 4 * a.trainableParameters && b.optimizerStateBytes == 2 * 4 * b.totalParameters)
        #expect(a.after.sliceBitsPerCharacter < a.before.sliceBitsPerCharacter)
        #expect(b.after.sliceBitsPerCharacter < b.before.sliceBitsPerCharacter)
        #expect(a.before.sliceBitsPerCharacter == b.before.sliceBitsPerCharacter)
    }
}
