// QuantizedGPT: chapter 7's GPT decoding with int8 weights. The four
// matrices of every block (qkv, attention output, MLP expand and contract:
// 12·C² of the model's weights) become `QuantizedMatrix`es; chapter 7's
// `decodeStep` runs unchanged, asking its `DecodeProjections` hook for those
// products (Int8Projections). What stays float32, and why:
//
// - the token embedding E [V, C]: it is both the input table (a lookup, no
//   product) and the tied output projection E h, where an error moves the
//   logits directly; it is V·C = 8 k weights of the baby GPT's 800 k;
// - the position embeddings, LayerNorm gains and biases: vectors, added or
//   multiplied elementwise, C or T·C numbers each;
// - the activations and the KV cache (weight-only quantization).
//
// A window refill (prefill) runs the window's rows through the hook at once
// (`QuantizedMatrix.multiply(rows:)`), so generation never multiplies by the
// float weights of the blocks. `WindowedDecoder` then gives the same window
// rule as the float model.

import BackpropCore
import Backpropagation
import RecurrentNetworks
import Transformer

/// The blocks' four products with int8 weights.
public struct Int8Projections: DecodeProjections, Sendable {
    public typealias Scalar = Float
    /// matrices[block][p] for p in GPTProjection.allCases order; biases likewise (nil: none).
    public let matrices: [[QuantizedMatrix]]
    let biases: [[[Float]?]]
    /// The naive twin's loop instead of the SIMD kernel (for tests).
    public var naive = false

    /// Quantizes every block's four matrices of `model`.
    public init(_ model: GPT<Float>) throws {
        var m: [[QuantizedMatrix]] = [], b: [[[Float]?]] = []
        for l in model.blocks.indices {
            let layers = GPTProjection.allCases.map { model.layer($0, block: l) }
            m.append(try layers.map { try QuantizedMatrix($0.weight.value.scalars, rows: $0.outputs, columns: $0.inputs) })
            b.append(layers.map { $0.hasBias ? $0.bias.value.scalars : nil })
        }
        (matrices, biases) = (m, b)
    }

    static func index(_ p: GPTProjection) -> Int {
        switch p { case .qkv: 0; case .attentionOutput: 1; case .expand: 2; case .contract: 3 }
    }

    public func project(_ x: Tensor<Float>, block: Int, _ projection: GPTProjection) throws -> Tensor<Float> {
        let k = Self.index(projection)
        let (w, b) = (matrices[block][k], biases[block][k])
        var shape = x.shape
        shape[shape.count - 1] = w.rows
        if x.count == w.columns {
            return try Tensor(shape: shape, scalars: naive ? w.multiplyNaive(x.scalars, bias: b) : w.multiply(x.scalars, bias: b))
        }
        return try Tensor(shape: shape, scalars: naive ? (0..<(x.count / w.columns)).flatMap {
            w.multiplyNaive(Array(x.scalars[($0 * w.columns)..<(($0 + 1) * w.columns)]), bias: b)
        } : w.multiply(rows: x.scalars, bias: b))
    }
}

/// A GPT whose blocks decode with int8 weights.
public struct QuantizedGPT: WindowedDecoding, Sendable {
    public typealias Scalar = Float
    public let model: GPT<Float>
    /// The int8 products (`naive` switches them to the naive twin).
    public var projections: Int8Projections

    /// Bytes of the weights as served: int8 matrices and scales, the rest float32.
    public let weightBytes: Int
    /// Bytes of the same weights all in float32.
    public let floatWeightBytes: Int

    /// The model with its blocks' matrices quantized. With
    /// `releasingFloatWeights`, the float weights of those matrices (and
    /// their gradient buffers) are then dropped from `model`, which can no
    /// longer run its own forward pass or be saved: for a model loaded only
    /// to be served, so that the process holds the int8 copy alone.
    public init(_ model: GPT<Float>, releasingFloatWeights release: Bool = false) throws {
        self.model = model
        projections = try Int8Projections(model)
        let quantized = projections.matrices.joined()
        weightBytes = quantized.reduce(0) { $0 + $1.byteCount } + 4 * (model.parameterCount - quantized.reduce(0) { $0 + $1.values.count })
        floatWeightBytes = 4 * model.parameterCount
        if release {
            for l in model.blocks.indices {
                for p in GPTProjection.allCases {
                    let weight = model.layer(p, block: l).weight
                    weight.value = try Tensor(shape: [weight.value.shape[0], 0], scalars: [])
                    weight.grad = weight.value
                }
            }
        }
    }

    public var contextLength: Int { model.contextLength }
    public var vocabularySize: Int { model.vocabularySize }
    public func makeDecodingCache(cached: Bool) -> KVCache<Float> { model.makeDecodingCache(cached: true) }
    public func positions(in cache: KVCache<Float>) -> Int { cache.count }
    public func prefill(_ window: [Int], cache: inout KVCache<Float>) throws -> [Float] {
        try model.prefill(window, cache: &cache, projections: projections)
    }
    public func decodeStep(_ token: Int, cache: inout KVCache<Float>) throws -> [Float] {
        try model.decodeStep(token, cache: &cache, projections: projections)
    }
    /// Without a cache of its own: a fresh cache filled with the window.
    public func lastLogits(recomputing window: [Int]) throws -> [Float] {
        var cache = makeDecodingCache(cached: true)
        return try prefill(window, cache: &cache)
    }

    /// `count` tokens sampled after `prompt` (as `GPT.generateTokens`).
    public func generateTokens(prompt: [Int], count: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                               onToken: (Int) throws -> Void = { _ in }) throws -> [Int] {
        guard !prompt.isEmpty else { throw TextError.emptyText("the prompt (as tokens)") }
        var decoder = WindowedDecoder(model: self)
        return try decoder.generate(prompt: prompt, count: count,
                                    sample: { TokenSampler.sample($0, options: sampling, rng: &rng) }, onToken: onToken)
    }
}

/// A quantized GPT as a text generator ("gpt", quantization "int8").
public struct QuantizedGPTGenerator: TextGenerating {
    public let model: QuantizedGPT
    public let info: ModelInfo

    /// The model quantized; `info` is the float model's (GPTGenerator's), with its quantization added.
    /// `releasingFloatWeights` as for `QuantizedGPT`.
    public init(model: GPT<Float>, info: ModelInfo? = nil, releasingFloatWeights: Bool = false) throws {
        var described = info ?? GPTGenerator(model: model).info      // before any release: it counts the float weights
        self.model = try QuantizedGPT(model, releasingFloatWeights: releasingFloatWeights)
        described.quantization = ModelInfo.Quantization(scheme: "int8", weightBytes: self.model.weightBytes,
                                                        floatWeightBytes: self.model.floatWeightBytes)
        self.info = described
    }

    public func validate(prompt: String) throws {
        try PromptValidation.validate(prompt, vocabulary: model.model.config.vocabulary)
    }

    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         onToken: (String) throws -> Void) throws -> String {
        try validate(prompt: prompt)
        let vocabulary = model.model.config.vocabulary
        var start = try vocabulary.encode(prompt)
        if start.isEmpty { start = [(try? vocabulary.encode("\n"))?.first ?? 0] }
        let tokens = try model.generateTokens(prompt: start, count: maxTokens, sampling: sampling, rng: &rng) { t in
            try onToken(try vocabulary.decode([t]))
        }
        return try vocabulary.decode(tokens)
    }
}
