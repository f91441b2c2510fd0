// Exercise 8.6 — find the bugs in a KV-cache decoder
// (chapters/08-tokens-and-the-modern-llm.md, "Rotary position embeddings" and
// "Grouped-query attention"; the KV cache is chapter 7's, "Generation and the KV cache").
//
// Debug and measure. Generating with a KV cache must give exactly the
// logits that recomputing the whole prefix gives: the cache only saves
// work. `givenCachedLogits` below is somebody's decoder for the book's Llama
// (one token at a time, each layer's rotated keys and its values appended
// to a cache). It runs, its text even looks plausible, but its logits are
// not the model's. There are two bugs.
//
// 1. Measure. Write cacheDiscrepancy(model, tokens:, decoder:): run
//    `decoder(tokens)`, which returns the logits [V] after each prefix
//    tokens[0…i], and return the largest |decoded − recomputed| over every
//    prefix and every logit, where the recomputed logits after prefix i are
//    the last row of model.forward(Array(tokens[...i]), batch: 1,
//    length: i + 1).logits (V = model.config.vocabularySize entries per row).
// 2. Find the bugs. Measure the given decoder on models of different shapes
//    (LlamaConfig: heads, kvHeads) and prompts of different lengths: after
//    which prefix does it first disagree, and for which shapes? Each answer
//    points at one bug. RoPE is explained in exercise 8.2, the head map in
//    exercise 8.4.
// 3. Fix. cachedLogits(model, tokens:) returns the logits after each prefix,
//    with a cache, agreeing with the recomputed ones to 10⁻⁹. (Copy the
//    given code and fix it. Prompts fit the context: no sliding window.)
//
// The grader checks your measure on decoders whose discrepancy it knows
// (the recomputed logits with one entry moved, and the given code), then
// your fix on four 2-layer models (grouped: H = 4, H_kv = 2 and H = 6,
// H_kv = 3; multi-head; multi-query) with prompts filling their context.
//
// Replace each `throw` with your code, then run:
//   swift test --package-path exercises/08-tokens-and-the-modern-llm --filter Chapter08Exercises/findTheCacheBug

import BackpropCore
import Backpropagation
import ExerciseKit
import Foundation
import TokensAndTheModernLLM

/// The given decoder: the logits [V] after each prefix tokens[0…i]. (Two bugs.)
public func givenCachedLogits(_ model: Llama<Double>, tokens: [Int]) throws -> [[Double]] {
    let config = model.config
    let (c, d, heads, kvHeads) = (config.width, config.headWidth, config.heads, config.kvHeads)
    let rowWidth = kvHeads * d                                    // one cached row: the H_kv shared heads
    func matvec(_ w: [Double], _ x: [Double]) -> [Double] {      // W x for W [out, in] row-major
        (0..<(w.count / x.count)).map { o in (0..<x.count).reduce(0) { $0 + w[o * x.count + $1] * x[$1] } }
    }
    var keys = [[Double]](repeating: [], count: config.layers), values = keys
    var out: [[Double]] = []
    for token in tokens {
        var x = Array(model.tokenEmbedding.weight.value.scalars[(token * c)..<((token + 1) * c)])
        for (l, block) in model.blocks.enumerated() {
            let attention = block.attention
            let position = keys[l].count / rowWidth               // positions already cached
            let n1 = try block.attentionNorm.forward(try Tensor(shape: [1, c], scalars: x), mode: .inference).output.scalars
            var q = matvec(attention.query.weight.value.scalars, n1)    // [H·d]
            var k = matvec(attention.key.weight.value.scalars, n1)      // [H_kv·d]
            let v = matvec(attention.value.weight.value.scalars, n1)    // [H_kv·d]
            // RoPE: one row each, so `length` is 1.
            attention.rotary.rotate(&q, width: heads * d, length: 1, offset: 0, inverse: false)
            attention.rotary.rotate(&k, width: rowWidth, length: 1, offset: position, inverse: false)
            keys[l] += k
            values[l] += v
            let n = position + 1
            var a = [Double](repeating: 0, count: heads * d)
            for h in 0..<heads {
                let g = h % kvHeads                               // the shared head query head h reads
                let scores = (0..<n).map { j in (0..<d).reduce(0) { $0 + q[h * d + $1] * keys[l][j * rowWidth + g * d + $1] } / Double(d).squareRoot() }
                let top = scores.max()!
                let e = scores.map { exp($0 - top) }, total = e.reduce(0, +)
                for j in 0..<n { for i in 0..<d { a[h * d + i] += e[j] / total * values[l][j * rowWidth + g * d + i] } }
            }
            let u = zip(x, matvec(attention.output.weight.value.scalars, a)).map { $0 + $1 }   // residual
            let n2 = try block.mlpNorm.forward(try Tensor(shape: [1, c], scalars: u), mode: .inference).output.scalars
            let mlp = block.mlp.swiGLU!  // these models use SwiGLU, the default MLP
            let gate = matvec(mlp.gate.weight.value.scalars, n2), up = matvec(mlp.up.weight.value.scalars, n2)
            let hidden = zip(gate, up).map { $0 / (1 + exp(-$0)) * $1 }                      // SwiGLU: silu(gate)·up
            x = zip(u, matvec(mlp.down.weight.value.scalars, hidden)).map { $0 + $1 }
        }
        let h = try model.finalNorm.forward(try Tensor(shape: [1, c], scalars: x), mode: .inference).output.scalars
        out.append(matvec((model.head ?? model.tokenEmbedding.weight).value.scalars, h))
    }
    return out
}

public func cacheDiscrepancy(_ model: Llama<Double>, tokens: [Int], decoder: ([Int]) throws -> [[Double]]) throws -> Double {
    throw NotAttempted()
}

public func cachedLogits(_ model: Llama<Double>, tokens: [Int]) throws -> [[Double]] {
    throw NotAttempted()
}
