// Exercise 8.4 — grouped-query attention at one decoding step
// (chapters/08-tokens-and-the-modern-llm.md, "Grouped-query attention"; the
// KV cache is chapter 7's, "Generation and the KV cache").
//
// Implement. In grouped-query attention H query heads share H_kv key/value
// heads (H_kv divides H): the query heads are cut into H_kv groups of
// H/H_kv consecutive heads, and every head of a group reads the same
// key/value head. H_kv = H is ordinary multi-head attention, H_kv = 1
// multi-query attention. Three functions:
//
// kvHead(forQueryHead: h, heads: H, kvHeads: H_kv): the key/value head query
// head h (0 ≤ h < H) reads.
//
// kvCacheBytesPerPosition(layers: L, heads: H, kvHeads: H_kv, headWidth: d,
// bytesPerValue:): the bytes a KV cache stores for one position of one
// sequence, in a model of L layers whose values take `bytesPerValue` bytes
// (2 for 16-bit weights).
//
// groupedAttentionStep(query:keys:values:heads:kvHeads:): one row of causal
// attention at decoding time. query [H·d] is the new position's queries,
// head h in entries h·d ..< (h+1)·d; keys and values [n][H_kv·d] are the n
// cached positions (the new one included, last), key/value head g in
// entries g·d ..< (g+1)·d of each row. For each query head h, with g its
// key/value head: sⱼ = ⟨q_h, k_{j,g}⟩/√d for j < n, p = softmax(s), and the
// output's entries h·d ..< (h+1)·d are Σⱼ pⱼ·v_{j,g}. Return [H·d]. Scores
// may be in the thousands: the softmax must not overflow.
//
// The grader checks the map for every query head of five shapes, the bytes
// on worked sizes from the book's model to Llama 2 70B, and the attention
// against its own loops (a hand-worked case with one cached position,
// multi-head, multi-query and grouped shapes, scores in the thousands) and
// the book's decoding kernel.
//
// Replace each `throw` with your code, then run:
//   swift test --package-path exercises/08-tokens-and-the-modern-llm --filter Chapter08Exercises/groupedQueryAttention

import ExerciseKit
import Foundation

public func kvHead(forQueryHead h: Int, heads: Int, kvHeads: Int) throws -> Int {
    throw NotAttempted()
}

public func kvCacheBytesPerPosition(layers: Int, heads: Int, kvHeads: Int, headWidth: Int, bytesPerValue: Int) throws -> Int {
    throw NotAttempted()
}

public func groupedAttentionStep(query: [Double], keys: [[Double]], values: [[Double]], heads: Int, kvHeads: Int) throws -> [Double] {
    throw NotAttempted()
}
