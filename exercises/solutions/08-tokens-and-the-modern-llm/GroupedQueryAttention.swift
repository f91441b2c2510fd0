// Reference solution to exercise 8.4 (exercises/08-tokens-and-the-modern-llm/GroupedQueryAttention.swift).

import ExerciseKit
import Foundation

public func kvHead(forQueryHead h: Int, heads: Int, kvHeads: Int) throws -> Int {
    h / (heads / kvHeads)
}

public func kvCacheBytesPerPosition(layers: Int, heads: Int, kvHeads: Int, headWidth: Int, bytesPerValue: Int) throws -> Int {
    2 * layers * kvHeads * headWidth * bytesPerValue
}

public func groupedAttentionStep(query: [Double], keys: [[Double]], values: [[Double]], heads: Int, kvHeads: Int) throws -> [Double] {
    let d = query.count / heads
    var out = [Double](repeating: 0, count: query.count)
    for h in 0..<heads {
        let g = try kvHead(forQueryHead: h, heads: heads, kvHeads: kvHeads)
        let scores = keys.map { k in (0..<d).reduce(0) { $0 + query[h * d + $1] * k[g * d + $1] } / Double(d).squareRoot() }
        let top = scores.max() ?? 0
        let weights = scores.map { exp($0 - top) }
        let total = weights.reduce(0, +)
        for (j, v) in values.enumerated() {
            for i in 0..<d { out[h * d + i] += weights[j] / total * v[g * d + i] }
        }
    }
    return out
}
