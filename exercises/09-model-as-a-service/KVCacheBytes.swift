// Exercise 9.4 — the memory of a KV cache
// (chapters/09-model-as-a-service.md, "The KV cache's memory per token";
// chapters/07-transformer.md, "Generation and the KV cache").
//
// While generating, a Transformer keeps, for every layer, every past token
// and every sequence in the batch, one key vector and one value vector per
// key/value head, each of headDimension values, each value stored in
// bytesPerValue bytes (4 for Float32, 2 for Float16 or BFloat16, 1 for
// 8-bit). Return the cache's size in bytes for `batch` sequences of `tokens`
// tokens each.
//
// The parameters: `layers` Transformer blocks; `heads` query heads per
// layer; `kvHeads` key/value heads per layer. With ordinary multi-head
// attention every query head has its own keys and values, so kvHeads =
// heads; grouped-query attention (Llama 2 70B, Mistral) lets groups of query
// heads share one key/value head, so kvHeads < heads. Decide from the
// description above which of the two counts the cache's size depends on.
// Sizes go past 2³¹ bytes (several GiB): use Int (64 bits here) throughout.
//
// The chapter's section "The KV cache's memory per token" counts the bytes
// per token of one sequence with ordinary attention; extend it. A check
// value: the book's baby GPT (4 layers, 4 heads of 32, a context of 64
// tokens, one sequence, Float32) holds 256 KiB when its cache is full, as
// chapters 7 and 9 say.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/09-model-as-a-service --filter Chapter09Exercises/kvCacheBytes

import ExerciseKit

public func kvCacheBytes(
    layers: Int, heads: Int, kvHeads: Int, headDimension: Int, tokens: Int, batch: Int, bytesPerValue: Int
) throws -> Int {
    throw NotAttempted()
}
