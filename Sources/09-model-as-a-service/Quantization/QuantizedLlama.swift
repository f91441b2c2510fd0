// QuantizedLlama: chapter 8's Llama decoding with int8 weights. The seven
// matrices of every block (W_q, W_k, W_v, W_o; SwiGLU's gate, up, down) and
// the output head become `QuantizedMatrix`es, per output channel as the
// GPT's; chapter 8's `decodeStep` runs unchanged, asking its
// `LlamaDecodeProjections` hook for those products (Int8LlamaProjections).
//
// Unlike the GPT (QuantizedGPT.swift), the Llama's head is quantized too:
// it is 8% of the book's Llama (V·C = 513 · 128 of 791,808 weights, a BPE
// vocabulary being eight times the GPT's 65 characters), and with a tied
// head the same int8 table serves the input lookups: E[token] is read as
// the dequantized row s_t q_t, so no float copy of E is kept. (An untied
// model gets a second int8 table for E, the lookups' only.) The head's
// error goes straight into the logits, bounded as every product's by
// (s_j / 2)‖h‖₁; the tests check the whole model's logits against that
// bound carried through (QuantizedLlamaTests.swift).
//
// What stays float32: the RMSNorm gains (C numbers each), learned position
// embeddings if the model has them, the activations and the KV cache, which
// grouped-query attention already keeps at H_kv/H of multi-head's.
//
// A window refill runs the window's rows through the hook at once
// (`Llama.prefill(_:cache:projections:)`, `QuantizedMatrix.multiply(rows:)`),
// so generation never multiplies by float weights. Blocks with the GELU MLP
// (the ablation's variant) or with unmerged LoRA adapters are refused with a
// typed error: the hook covers the Llama's own block.

import BackpropCore
import Backpropagation
import RecurrentNetworks
import Transformer
import TokensAndTheModernLLM

/// The Llama's products with int8 weights.
public struct Int8LlamaProjections: LlamaDecodeProjections, Sendable {
    public typealias Scalar = Float
    /// matrices[block][p] for p in LlamaProjection.allCases order.
    public let matrices: [[QuantizedMatrix]]
    /// W_head [V, C] (E when the head is tied).
    public let head: QuantizedMatrix
    /// E [V, C] for the lookups when the head is untied; nil: the head's table.
    public let embeddings: QuantizedMatrix?
    /// The naive twin's loop instead of the SIMD kernel (for tests).
    public var naive = false

    /// Quantizes every block's seven matrices and the head of `model`.
    /// - Throws: `QuantizationError.unsupported` for a GELU-MLP block or
    ///   unmerged LoRA adapters; `.nonFinite` for a weight that is not finite.
    public init(_ model: Llama<Float>) throws {
        var m: [[QuantizedMatrix]] = []
        for l in model.blocks.indices {
            guard model.blocks[l].attention.adapters.isEmpty else {
                throw QuantizationError.unsupported("block \(l) of the llama has unmerged LoRA adapters; merge them before quantizing")
            }
            m.append(try LlamaProjection.allCases.map { p in
                guard let layer = model.layer(p, block: l) else {
                    throw QuantizationError.unsupported("block \(l) of the llama has a GELU MLP (the ablation's variant); int8 covers SwiGLU blocks")
                }
                return try QuantizedMatrix(layer.weight.value.scalars, rows: layer.outputs, columns: layer.inputs)
            })
        }
        let (v, c) = (model.config.vocabularySize, model.config.width)
        matrices = m
        head = try QuantizedMatrix(model.headMatrix.value.scalars, rows: v, columns: c)
        embeddings = model.config.tiedHead ? nil : try QuantizedMatrix(model.tokenEmbedding.weight.value.scalars, rows: v, columns: c)
    }

    static func index(_ p: LlamaProjection) -> Int { LlamaProjection.allCases.firstIndex(of: p)! }

    /// Every row of x [rows, w.columns] times w: the one-row kernel for a
    /// decoding step, the batched one (levels to floats, GEMM) for a prefill.
    func product(_ w: QuantizedMatrix, _ x: [Float]) -> [Float] {
        if naive {
            return (0..<(x.count / w.columns)).flatMap { w.multiplyNaive(Array(x[($0 * w.columns)..<(($0 + 1) * w.columns)])) }
        }
        return x.count == w.columns ? w.multiply(x) : w.multiply(rows: x)
    }

    public func project(_ x: [Float], block: Int, _ projection: LlamaProjection) throws -> [Float] {
        product(matrices[block][Self.index(projection)], x)
    }

    public func head(_ h: [Float]) throws -> [Float] { product(head, h) }

    /// s_t q_t, the row of the int8 table (the same numbers as `dequantized()`).
    public func embedding(_ token: Int) -> [Float] {
        let table = embeddings ?? head, n = table.columns, s = table.scales[token]
        return (0..<n).map { s * Float(table.values[token * n + $0]) }
    }

    /// Every int8 matrix of the model.
    public var all: [QuantizedMatrix] { Array(matrices.joined()) + [head] + (embeddings.map { [$0] } ?? []) }
}

/// A Llama that decodes with int8 weights.
public struct QuantizedLlama: WindowedDecoding, Sendable {
    public typealias Scalar = Float
    public let model: Llama<Float>
    /// The int8 products (`naive` switches them to the naive twin).
    public var projections: Int8LlamaProjections
    /// Bytes of the weights as served: int8 matrices and scales, the rest float32.
    public let weightBytes: Int
    /// Bytes of the same weights all in float32.
    public let floatWeightBytes: Int

    /// The model with its matrices and head quantized. With
    /// `releasingFloatWeights`, the float copies of those matrices and of E
    /// (and their gradient buffers) are dropped from `model` afterwards,
    /// which can then no longer run its own forward pass or be saved: for a
    /// model loaded only to be served.
    public init(_ model: Llama<Float>, releasingFloatWeights release: Bool = false) throws {
        self.model = model
        projections = try Int8LlamaProjections(model)
        let quantized = projections.all
        weightBytes = quantized.reduce(0) { $0 + $1.byteCount } + 4 * (model.parameterCount - quantized.reduce(0) { $0 + $1.values.count })
        floatWeightBytes = 4 * model.parameterCount
        if release {
            var released = model.blocks.indices.flatMap { l in LlamaProjection.allCases.compactMap { model.layer($0, block: l)?.weight } }
            released += [model.tokenEmbedding.weight] + (model.config.tiedHead ? [] : [model.headMatrix])
            for weight in released {
                weight.value = try Tensor(shape: [weight.value.shape[0], 0], scalars: [])
                weight.grad = weight.value
            }
        }
    }

    public var contextLength: Int { model.contextLength }
    public var vocabularySize: Int { model.vocabularySize }
    public func makeDecodingCache(cached: Bool) -> LlamaKVCache<Float> { model.makeDecodingCache(cached: true) }
    public func positions(in cache: LlamaKVCache<Float>) -> Int { cache.count }
    public func prefill(_ window: [Int], cache: inout LlamaKVCache<Float>) throws -> [Float] {
        try model.prefill(window, cache: &cache, projections: projections)
    }
    public func decodeStep(_ token: Int, cache: inout LlamaKVCache<Float>) throws -> [Float] {
        try model.decodeStep(token, cache: &cache, projections: projections)
    }
    /// Without a cache of its own: a fresh cache filled with the window.
    public func lastLogits(recomputing window: [Int]) throws -> [Float] {
        var cache = makeDecodingCache(cached: true)
        return try prefill(window, cache: &cache)
    }

    /// `count` tokens sampled after `prompt` (as `Llama.generateTokens`).
    public func generateTokens(prompt: [Int], count: Int, sampling: LlamaSampling, rng: inout SeededRandom,
                               onToken: (Int) throws -> Void = { _ in }) throws -> [Int] {
        guard !prompt.isEmpty else { throw TextError.emptyText("the prompt (as tokens)") }
        var decoder = WindowedDecoder(model: self)
        return try decoder.generate(prompt: prompt, count: count,
                                    sample: { NucleusSampler.sample($0, options: sampling, rng: &rng) }, onToken: onToken)
    }
}

/// A quantized Llama as a text generator ("llama", quantization "int8"):
/// `LlamaGenerator` with int8 weights, the same tokenizer and sampling.
public struct QuantizedLlamaGenerator: TextGenerating {
    public let model: QuantizedLlama
    public let tokenizer: any TextTokenizer
    public let info: ModelInfo
    /// Nucleus sampling after temperature and top-k (nil: off).
    public var topP: Double?

    /// `base`'s model quantized (`releasingFloatWeights` as for `QuantizedLlama`), its info with the quantization added.
    public init(_ base: LlamaGenerator, releasingFloatWeights: Bool = false) throws {
        model = try QuantizedLlama(base.model, releasingFloatWeights: releasingFloatWeights)
        (tokenizer, topP) = (base.tokenizer, base.topP)
        var described = base.info
        described.quantization = ModelInfo.Quantization(scheme: "int8", weightBytes: model.weightBytes, floatWeightBytes: model.floatWeightBytes)
        info = described
    }

    public func promptTokenCount(_ prompt: String) -> Int { tokenizer.encode(prompt).count }

    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         onToken: (String) throws -> Void) throws -> String {
        var ids = tokenizer.encode(prompt)
        if ids.isEmpty { ids = tokenizer.encode("\n") }
        let out = try model.generateTokens(prompt: ids, count: maxTokens, sampling: try LlamaSampling(sampling, topP: topP), rng: &rng) { t in
            try onToken(try tokenizer.decode([t]))
        }
        return try tokenizer.decode(out)
    }
}

extension QuantizedLlamaGenerator: LogitStepping {
    /// As `generateTokens`, the choice of token left to `choose` (the OpenAI routes' top_p).
    public func generate(prompt: String, maxTokens: Int, choose: ([Float]) -> Int, onToken: (String) throws -> Void) throws -> String {
        var ids = tokenizer.encode(prompt)
        if ids.isEmpty { ids = tokenizer.encode("\n") }
        var decoder = WindowedDecoder(model: model)
        return try decoder.text(after: ids, count: maxTokens, choose: choose, decode: tokenizer.decode, onToken: onToken)
    }
}
