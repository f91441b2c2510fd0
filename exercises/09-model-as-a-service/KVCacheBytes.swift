// Exercise 9.4 — the memory of a KV cache
// (chapters/09-model-as-a-service.md, "The KV cache's memory per token";
// chapters/07-transformer.md, "Generation and the KV cache").
//
// While generating, a Transformer keeps for every layer, every past token
// and every sequence in the batch one key vector and one value vector per
// key/value head, each of headDimension values. Return the cache's size in
// bytes:
//
//   bytes = 2 · layers · kvHeads · headDimension · tokens · batch · bytesPerValue
//
// (2 for keys and values). With ordinary multi-head attention every query
// head has its own keys and values, so kvHeads = heads. Grouped-query
// attention (Llama 2 70B, Mistral) lets groups of query heads share one
// key/value head, so kvHeads < heads and the cache shrinks by heads/kvHeads;
// `heads` is given so you can see that it does NOT enter the formula.
// bytesPerValue is 4 for Float32, 2 for Float16 or BFloat16, 1 for 8-bit.
// Results go past 2³¹ (several GiB): use Int (64 bits here).
//
// Worked example, the book's baby GPT (4 layers, 4 heads of 32, context 64,
// one sequence, Float32): 2·4·4·32·64·1·4 = 262,144 bytes (256 KiB), or
// 4 KiB per token.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/09-model-as-a-service --filter Chapter09Exercises/kvCacheBytes

import ExerciseKit

public func kvCacheBytes(
    layers: Int, heads: Int, kvHeads: Int, headDimension: Int, tokens: Int, batch: Int, bytesPerValue: Int
) throws -> Int {
    throw NotAttempted()
}
