// The int8 GPT with continuous batching: `serve --quantize int8` with
// `--batching continuous` (the default) runs every stream of a quantized
// GPT in one batched step per token, as for the float GPT
// (ContinuousGeneration.swift). Chapter 7's `decodeStep(batch:caches:)`
// takes the int8 hook; its products over B rows are
// `QuantizedMatrix.multiply(batch:)`, which gives every row what the one-row
// product gives it alone, bit for bit, so a request's tokens do not depend
// on who else is running (tested, as for the float model).

import BackpropCore
import RecurrentNetworks
import Transformer

extension Int8Projections {
    /// The B rows of a batched step: each block of q applied to all rows (the naive twin: row by row).
    public func project(batch x: Tensor<Float>, block: Int, _ projection: GPTProjection) throws -> Tensor<Float> {
        let k = Self.index(projection)
        let (w, bias) = (matrices[block][k], biases[block][k])
        let b = x.count / w.columns
        return try Tensor(shape: [b, w.rows], scalars: naive ? w.multiplyNaive(batch: x.scalars, rows: b, bias: bias)
                                                            : w.multiply(batch: x.scalars, rows: b, bias: bias))
    }
}

extension QuantizedGPT: BatchedWindowedDecoding {
    public func decodeStep(batch tokens: [Int], caches: inout [KVCache<Float>]) throws -> [[Float]] {
        try model.decodeStep(batch: tokens, caches: &caches, projections: projections)
    }
    public func placeholderCache() -> KVCache<Float> { model.placeholderCache() }
    /// The windows that slide together refilled in one pass through the hook (one conversion of the
    /// levels for all, not one per window); the same logits and caches as one at a time (tested).
    public func prefill(batch windows: [[Int]], caches: inout [KVCache<Float>]) throws -> [[Float]] {
        try model.prefill(batch: windows, caches: &caches, projections: projections)
    }
}

/// The int8 GPT through a continuous batcher (`serve --quantize int8`).
public struct ContinuousQuantizedGPTGenerator: TextGenerating, ContinuouslyBatching {
    public let base: QuantizedGPTGenerator
    public let batcher: ContinuousBatcher<QuantizedGPT>
    public var info: ModelInfo { base.info }

    public init(_ base: QuantizedGPTGenerator, policy: ContinuousBatcher<QuantizedGPT>.Policy = .init()) {
        self.base = base
        batcher = ContinuousBatcher(model: base.model, policy: policy)
    }

    public var batchingStatistics: ContinuousBatchingStatistics { batcher.statistics }

    public func validate(prompt: String) throws { try base.validate(prompt: prompt) }

    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         onToken: (String) throws -> Void) throws -> String {
        try generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling, rng: &rng, isCancelled: { false }, onToken: onToken)
    }

    /// As `QuantizedGPTGenerator.generate`, batched with the other requests.
    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         isCancelled: () -> Bool, onToken: (String) throws -> Void) throws -> String {
        try validate(prompt: prompt)
        let vocabulary = base.model.model.config.vocabulary
        var start = try vocabulary.encode(prompt)
        if start.isEmpty { start = [(try? vocabulary.encode("\n"))?.first ?? 0] }
        let tokens = try batcher.generate(prompt: start, maxTokens: maxTokens, sampling: sampling, rng: &rng,
                                          isCancelled: isCancelled) { t in try onToken(try vocabulary.decode([t])) }
        return try vocabulary.decode(tokens)
    }
}
