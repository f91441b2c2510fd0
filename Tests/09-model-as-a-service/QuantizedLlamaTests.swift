// The int8 Llama (QuantizedLlama.swift) against the float Llama:
//
// - tight: against the float model whose matrices and head are replaced by
//   the dequantized s_j q_ji, which computes the same function up to float
//   rounding, over a sequence that makes the window slide twice (refills
//   through the hook), on both backends (the naive twin of the products on
//   the naive backend), tied and untied heads;
// - loose: against the float model itself, within chapter 9's bound. The
//   logits are ŷ = Ŵ ĥ with ĥ the int8 model's last hidden state, against
//   y = W h, so ŷ_j − y_j = (Ŵ_j − W_j)·ĥ + W_j·(ĥ − h) and
//   |ŷ_j − y_j| ≤ (s_j/2)‖ĥ‖₁ + Σ_i |W_ji| |ĥ_i − h_i|; with float blocks
//   and an int8 head alone (ĥ = h) it is the bare (s_j/2)‖h‖₁. Both h and ĥ
//   are recorded by hooks in this file.
//
// Also the bytes, releasing the float weights, and the typed errors for what
// cannot be quantized (a GELU MLP, unmerged LoRA adapters, a classifier).

import BackpropCore
import Foundation
import LinearModels
import RecurrentNetworks
import Testing
import TokensAndTheModernLLM
import Transformer
@testable import ModelAsAService

@Suite struct QuantizedLlamaTests {
    static func config(tied: Bool = true, architecture: LlamaArchitecture = .llama) throws -> LlamaConfig {
        try LlamaConfig(vocabularySize: 23, context: 8, layers: 2, width: 16, heads: 4, kvHeads: 2, tiedHead: tied, architecture: architecture)
    }

    static func close(_ a: [Float], _ b: [Float], _ tolerance: Float = 2e-5) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * (1 + abs($1)) }
    }

    static func tokens(_ n: Int, seed: UInt64, vocabulary v: Int = 23) -> [Int] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in Int(rng.uniform(0, Double(v))) % v }
    }

    /// The float model's own products through the hook, recording the head's input.
    final class FloatHook: LlamaDecodeProjections, @unchecked Sendable {
        let model: Llama<Float>
        var head: (([Float]) throws -> [Float])?
        var recorded: [Float] = []
        init(_ model: Llama<Float>, head: (([Float]) throws -> [Float])? = nil) { (self.model, self.head) = (model, head) }
        func project(_ x: [Float], block: Int, _ p: LlamaProjection) throws -> [Float] {
            LlamaDecodeKernels.matvec(model.layer(p, block: block)!.weight.value.scalars, x, backend: model.backend)
        }
        func head(_ h: [Float]) throws -> [Float] {
            recorded = h
            return try head?(h) ?? LlamaDecodeKernels.matvec(model.headMatrix.value.scalars, h, backend: model.backend)
        }
        func embedding(_ token: Int) -> [Float] {
            let c = model.config.width
            return Array(model.tokenEmbedding.weight.value.scalars[(token * c)..<((token + 1) * c)])
        }
    }

    /// The int8 products, recording the head's input.
    final class Int8Hook: LlamaDecodeProjections, @unchecked Sendable {
        let base: Int8LlamaProjections
        var recorded: [Float] = []
        init(_ base: Int8LlamaProjections) { self.base = base }
        func project(_ x: [Float], block: Int, _ p: LlamaProjection) throws -> [Float] { try base.project(x, block: block, p) }
        func head(_ h: [Float]) throws -> [Float] { recorded = h; return try base.head(h) }
        func embedding(_ token: Int) -> [Float] { base.embedding(token) }
    }

    @Test("int8 Llama logits = the float Llama with dequantized weights, through four window refills",
          arguments: [(Backend.simd, true), (.naive, true), (.simd, false), (.naive, false)])
    func matchesDequantizedReference(backend: Backend, tied: Bool) throws {
        let model = try Llama<Float>(config: try Self.config(tied: tied), seed: 941, backend: backend)
        let reference = try Llama<Float>(config: try Self.config(tied: tied), seed: 941, backend: backend)
        var quantized = try QuantizedLlama(model)
        quantized.projections.naive = backend == .naive
        for l in 0..<model.config.layers {
            for (p, m) in zip(LlamaProjection.allCases, quantized.projections.matrices[l]) {
                let layer = try #require(reference.layer(p, block: l))
                #expect(m.rows == layer.outputs && m.columns == layer.inputs)
                layer.weight.value = try Tensor(shape: [m.rows, m.columns], scalars: m.dequantized())
            }
        }
        let (v, c) = (model.config.vocabularySize, model.config.width)
        reference.headMatrix.value = try Tensor(shape: [v, c], scalars: quantized.projections.head.dequantized())
        if let e = quantized.projections.embeddings {
            reference.tokenEmbedding.weight.value = try Tensor(shape: [v, c], scalars: e.dequantized())
        }
        #expect((quantized.projections.embeddings == nil) == tied)
        let tokens = Self.tokens(21, seed: 942)
        var (a, b) = (WindowedDecoder(model: quantized), LlamaDecoder(model: reference))
        for (n, t) in tokens.enumerated() {
            #expect(Self.close(try a.append(t), try b.append(t)), "after \(n + 1) tokens")
        }
        #expect(a.start == 16)                                          // 21 tokens, context 8: the window slid by 4 four times
        // a prompt read by one prefill through the hook, against the float forward pass
        var (p, r) = (WindowedDecoder(model: quantized), LlamaDecoder(model: reference))
        #expect(Self.close(try p.append(contentsOf: Array(tokens.prefix(7))), try r.append(contentsOf: Array(tokens.prefix(7)))))
        // and the int8 weights do change the logits (the reference is not the float model)
        var (f, q) = (LlamaDecoder(model: model), WindowedDecoder(model: quantized))
        #expect(try f.append(contentsOf: tokens) != (try q.append(contentsOf: tokens)))
    }

    @Test("the float model through a hook = its own decodeStep; int8 logits within chapter 9's bound, head alone and whole model",
          arguments: [Backend.simd, .naive])
    func withinTheBound(backend: Backend) throws {
        let model = try Llama<Float>(config: try Self.config(), seed: 943, backend: backend)
        var quantized = try QuantizedLlama(model)
        quantized.projections.naive = backend == .naive
        let head = quantized.projections.head
        let w = model.headMatrix.value.scalars, (v, c) = (model.config.vocabularySize, model.config.width)
        let float = FloatHook(model), headOnly = FloatHook(model, head: { try quantized.projections.head($0) })
        let int8 = Int8Hook(quantized.projections)
        var (own, viaHook, viaHeadOnly, viaInt8) = (model.makeDecodingCache(cached: true), model.makeDecodingCache(cached: true),
                                                    model.makeDecodingCache(cached: true), model.makeDecodingCache(cached: true))
        var largest: Float = 0                                          // the largest error over its bound
        for t in Self.tokens(8, seed: 944) {
            let y = try model.decodeStep(t, cache: &own)
            #expect(try model.decodeStep(t, cache: &viaHook, projections: float) == y)
            let h = float.recorded
            let yHead = try model.decodeStep(t, cache: &viaHeadOnly, projections: headOnly)
            let yInt8 = try model.decodeStep(t, cache: &viaInt8, projections: int8)
            let hHat = int8.recorded
            for j in 0..<v {
                let row = (j * c)..<((j + 1) * c)
                let magnitude = zip(w[row], h).reduce(Float(0)) { $0 + abs($1.0 * $1.1) } + zip(w[row], hHat).reduce(Float(0)) { $0 + abs($1.0 * $1.1) }
                let rounding = 4 * Float(c + 2) * 0x1p-24 * (magnitude + abs(y[j])) + 1e-30
                // float blocks, int8 head: |ŷ_j − y_j| ≤ (s_j/2)‖h‖₁
                let bare = head.scales[j] / 2 * h.reduce(0) { $0 + abs($1) }
                #expect(abs(yHead[j] - y[j]) <= bare + rounding, "logit \(j)")
                // the whole int8 model: (s_j/2)‖ĥ‖₁ + Σ_i |W_ji| |ĥ_i − h_i|
                let carried = head.scales[j] / 2 * hHat.reduce(0) { $0 + abs($1) }
                    + zip(w[row], zip(hHat, h)).reduce(Float(0)) { $0 + abs($1.0) * abs($1.1.0 - $1.1.1) }
                #expect(abs(yInt8[j] - y[j]) <= carried + rounding, "logit \(j)")
                largest = max(largest, abs(yHead[j] - y[j]) / bare)
            }
        }
        #expect(largest > 0 && largest < 1)                              // the head's int8 error is there, and inside the bound
    }

    @Test("the bytes of an int8 Llama: the seven matrices and the head in int8 with a scale per row, the norms float32")
    func bytes() throws {
        for tied in [true, false] {
            let config = try Self.config(tied: tied)
            let model = try Llama<Float>(config: config, seed: 945)
            let q = try QuantizedLlama(model)
            let (c, l, v, hd, kv, hidden) = (config.width, config.layers, config.vocabularySize, config.heads * config.headWidth,
                                            config.kvHeads * config.headWidth, config.hidden)
            let tables = tied ? 1 : 2
            let values = l * (2 * c * hd + 2 * c * kv + 3 * c * hidden) + tables * v * c
            let scales = l * (hd + 2 * kv + c + 2 * hidden + c) + tables * v
            #expect(values + 2 * c * l + c == model.parameterCount)        // all but the norms' gains are quantized
            #expect(q.weightBytes == values + 4 * scales + 4 * (model.parameterCount - values))
            #expect(q.floatWeightBytes == 4 * model.parameterCount)
        }
    }

    @Test("releasing the float weights after quantizing leaves the same int8 logits and no float matrices or embedding")
    func releasedFloatWeights() throws {
        let kept = try QuantizedLlama(try Llama<Float>(config: try Self.config(), seed: 946))
        let released = try QuantizedLlama(try Llama<Float>(config: try Self.config(), seed: 946), releasingFloatWeights: true)
        #expect(released.weightBytes == kept.weightBytes)
        for l in 0..<2 {
            for p in LlamaProjection.allCases { #expect(released.model.layer(p, block: l)?.weight.value.count == 0) }
        }
        #expect(released.model.tokenEmbedding.weight.value.count == 0 && released.model.tokenEmbedding.weight.grad.count == 0)
        let tokens = Self.tokens(13, seed: 947)
        var (a, b) = (WindowedDecoder(model: kept), WindowedDecoder(model: released))
        #expect(try a.append(contentsOf: tokens) == (try b.append(contentsOf: tokens)))
        for t in tokens { #expect(try a.append(t) == (try b.append(t))) }
    }

    @Test("--quantize int8 on a llama: an int8 generator with the same tokenizer; what cannot be quantized is a typed error")
    func weightFormatAndErrors() throws {
        let generator = try #require(try SampleCheckpoints.all().first { $0.kind == "llama" })
        guard case .generator(let llama as LlamaGenerator) = try ModelRegistry.load(generator.checkpoint) else {
            Issue.record("the sample llama is not a LlamaGenerator"); return
        }
        guard case .generator(let g) = try WeightFormat.int8.apply(to: .generator(llama)) else { Issue.record("not a generator"); return }
        let q = try #require(g as? QuantizedLlamaGenerator)
        #expect(q.info.kind == "llama" && q.info.quantization?.scheme == "int8")
        #expect(q.info.quantization!.weightBytes < q.info.quantization!.floatWeightBytes)
        var rng = SeededRandom(seed: 948)
        let text = try q.generate(prompt: "ab", maxTokens: 5, sampling: .greedy, rng: &rng) { _ in }
        #expect(q.promptTokenCount("ab ab") == llama.promptTokenCount("ab ab") && !text.isEmpty)
        // a GELU MLP (the ablation's variant), unmerged LoRA adapters, a regressor: QuantizationError naming the problem
        let gelu = try Llama<Float>(config: try Self.config(architecture: LlamaArchitecture(mlp: .gelu)), seed: 949)
        let e1 = #expect(throws: QuantizationError.self) { try QuantizedLlama(gelu) }
        #expect(e1?.description.contains("GELU MLP") == true)
        let lora = try Llama<Float>(config: try Self.config(), seed: 950)
        try lora.addLoRA(rank: 2, alpha: 4, seed: 951)
        let e2 = #expect(throws: QuantizationError.self) { try QuantizedLlama(lora) }
        #expect(e2?.description.contains("LoRA") == true)
        let regressor = LoadedModel.regressor(LinearRegressor(model: try LinearRegression<Float>(features: 1)))
        let e3 = #expect(throws: QuantizationError.self) { try WeightFormat.int8.apply(to: regressor) }
        #expect(e3?.description.contains("llama") == true)
    }
}
