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
public typealias ContinuousQuantizedGPTGenerator = ContinuousGenerator<QuantizedGPTGenerator, QuantizedGPT>

extension ContinuousGenerator where Base == QuantizedGPTGenerator, Model == QuantizedGPT {
    public init(_ base: QuantizedGPTGenerator, policy: ContinuousBatcher<QuantizedGPT>.Policy = .init()) {
        self.init(base: base, model: base.model, vocabulary: base.model.model.config.vocabulary, policy: policy)
    }
}
