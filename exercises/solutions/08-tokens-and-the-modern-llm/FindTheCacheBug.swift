// Reference solution to exercise 8.6 (exercises/08-tokens-and-the-modern-llm/FindTheCacheBug.swift).
// The two fixes: the new query is rotated at its own position (the given
// code rotated it at 0, so every query looked like the first one), and query
// head h reads key/value head ⌊h/(H/H_kv)⌋ (the given code read h mod H_kv,
// the same for multi-head and multi-query models, wrong for grouped ones).

import BackpropCore
import Backpropagation
import ExerciseKit
import Foundation
import TokensAndTheModernLLM

public func cacheDiscrepancy(_ model: Llama<Double>, tokens: [Int], decoder: ([Int]) throws -> [[Double]]) throws -> Double {
    let decoded = try decoder(tokens)
    let v = model.config.vocabularySize
    var worst = 0.0
    for i in tokens.indices {
        let recomputed = try model.forward(Array(tokens[...i]), batch: 1, length: i + 1).logits.scalars.suffix(v)
        for (a, b) in zip(decoded[i], recomputed) { worst = max(worst, abs(a - b)) }
    }
    return worst
}

public func cachedLogits(_ model: Llama<Double>, tokens: [Int]) throws -> [[Double]] {
    let config = model.config
    let (c, d, heads, kvHeads) = (config.width, config.headWidth, config.heads, config.kvHeads)
    let group = heads / kvHeads, rowWidth = kvHeads * d
    func matvec(_ w: [Double], _ x: [Double]) -> [Double] {
        (0..<(w.count / x.count)).map { o in (0..<x.count).reduce(0) { $0 + w[o * x.count + $1] * x[$1] } }
    }
    var keys = [[Double]](repeating: [], count: config.layers), values = keys
    var out: [[Double]] = []
    for token in tokens {
        var x = Array(model.tokenEmbedding.weight.value.scalars[(token * c)..<((token + 1) * c)])
        for (l, block) in model.blocks.enumerated() {
            let attention = block.attention
            let position = keys[l].count / rowWidth
            let n1 = try block.attentionNorm.forward(try Tensor(shape: [1, c], scalars: x), mode: .inference).output.scalars
            var q = matvec(attention.query.weight.value.scalars, n1)
            var k = matvec(attention.key.weight.value.scalars, n1)
            let v = matvec(attention.value.weight.value.scalars, n1)
            attention.rotary.rotate(&q, width: heads * d, length: 1, offset: position, inverse: false)
            attention.rotary.rotate(&k, width: rowWidth, length: 1, offset: position, inverse: false)
            keys[l] += k
            values[l] += v
            let n = position + 1
            var a = [Double](repeating: 0, count: heads * d)
            for h in 0..<heads {
                let g = h / group
                let scores = (0..<n).map { j in (0..<d).reduce(0) { $0 + q[h * d + $1] * keys[l][j * rowWidth + g * d + $1] } / Double(d).squareRoot() }
                let top = scores.max()!
                let e = scores.map { exp($0 - top) }, total = e.reduce(0, +)
                for j in 0..<n { for i in 0..<d { a[h * d + i] += e[j] / total * values[l][j * rowWidth + g * d + i] } }
            }
            let u = zip(x, matvec(attention.output.weight.value.scalars, a)).map { $0 + $1 }
            let n2 = try block.mlpNorm.forward(try Tensor(shape: [1, c], scalars: u), mode: .inference).output.scalars
            let mlp = block.mlp.swiGLU!  // these models use SwiGLU, the default MLP
            let gate = matvec(mlp.gate.weight.value.scalars, n2), up = matvec(mlp.up.weight.value.scalars, n2)
            let hidden = zip(gate, up).map { $0 / (1 + exp(-$0)) * $1 }
            x = zip(u, matvec(mlp.down.weight.value.scalars, hidden)).map { $0 + $1 }
        }
        let h = try model.finalNorm.forward(try Tensor(shape: [1, c], scalars: x), mode: .inference).output.scalars
        out.append(matvec((model.head ?? model.tokenEmbedding.weight).value.scalars, h))
    }
    return out
}
