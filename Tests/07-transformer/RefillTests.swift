// The cheaper refill (BatchedDecoding+Refill.swift) against the forward
// pass it replaces: the same cache contents (each block's K and V) and the
// same last logits, bit for bit, for one window and for several refilled
// together; and the batched step's products (BatchedProjection, pairs and
// triples of X's rows) against the one-row product they must equal.

import BackpropCore
import Backpropagation
import RecurrentNetworks
import TestSupport
import Testing
@testable import Transformer

@Suite struct RefillTests {
    /// The cache and last logits of the full forward pass over each window
    /// (the refill before BatchedDecoding+Refill.swift): block l's qkv
    /// columns C..<3C as K, V; the logits row of each window's last token.
    static func forwardReference<S: TensorScalar>(_ model: GPT<S>, _ windows: [[Int]]) throws -> (logits: [[S]], keys: [[[S]]], values: [[[S]]]) {
        let c = model.config.width, v = model.config.vocabulary.count
        var logits: [[S]] = [], keys: [[[S]]] = [], values: [[[S]]] = []
        for window in windows {
            let n = window.count
            let (all, cache) = try model.forward(window, batch: 1, length: n, mode: .inference)
            logits.append(Array(all.scalars[((n - 1) * v)..<(n * v)]))
            var k: [[S]] = [], vv: [[S]] = []
            for block in cache.blocks {
                guard case .library(let attention) = block.attention.attention else { Issue.record("replaced attention"); continue }
                let qkv: [S] = attention.qkv
                var blockKeys: [S] = [], blockValues: [S] = []
                for t in 0..<n {
                    let row: Int = t * 3 * c
                    blockKeys += qkv[(row + c)..<(row + 2 * c)]
                    blockValues += qkv[(row + 2 * c)..<(row + 3 * c)]
                }
                k.append(blockKeys)
                vv.append(blockValues)
            }
            keys.append(k)
            values.append(vv)
        }
        return (logits, keys, values)
    }

    static func check<S: TensorScalar>(_ model: GPT<S>, lengths: [Int], windowsPerLength: Int) throws {
        var rng = SeededRandom(seed: 31)
        let c = model.config.width
        for n in lengths {
            let windows = (0..<windowsPerLength).map { _ in (0..<n).map { _ in rng.integer(below: 7) } }
            let expected = try forwardReference(model, windows)
            var batchedCaches = windows.map { _ in model.makeDecodingCache(cached: true) }, aloneCaches = batchedCaches
            let batched = try model.prefill(batch: windows, caches: &batchedCaches)
            let alone = try windows.indices.map { try model.prefill(windows[$0], cache: &aloneCaches[$0]) }
            #expect(batched == expected.logits, "length \(n)")
            #expect(alone == expected.logits, "length \(n)")
            for (b, caches) in [batchedCaches, aloneCaches].flatMap({ $0.enumerated() }) {
                #expect(caches.count == n)
                #expect(caches.keys.map { Array($0[..<(n * c)]) } == expected.keys[b], "length \(n), window \(b)")
                #expect(caches.values.map { Array($0[..<(n * c)]) } == expected.values[b], "length \(n), window \(b)")
            }
        }
    }

    @Test("Refilling gives the forward pass's cache and last logits, bit for bit (Float SIMD; 1 to 8 positions, 1 and 3 windows)")
    func float() throws {
        let model = try BatchedDecodingTests.model(Float.self, backend: .simd, width: 48, heads: 6)
        try Self.check(model, lengths: [1, 2, 5, 8], windowsPerLength: 1)
        try Self.check(model, lengths: [1, 5, 8], windowsPerLength: 3)
    }

    @Test("Refilling gives the forward pass's cache and last logits, bit for bit (Double naive)")
    func doubleNaive() throws {
        let model = try BatchedDecodingTests.model(Double.self, backend: .naive, width: 8, heads: 2)
        try Self.check(model, lengths: [1, 6], windowsPerLength: 2)
    }
}

@Suite struct BatchedProjectionTests {
    /// Batches of 1 to 8 rows take every mix of triples, pairs and lone
    /// rows (4 = 2 + 2, 5 = 3 + 2, 7 = 3 + 3 + 1); depth 40 leaves a scalar
    /// tail after the vectors, and 13 outputs a row past the last group of four.
    @Test("Each row of the batched product is the one-row product, bit for bit, and the naive product within rounding",
          arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func rows(batch: Int) throws {
        for (n, out) in [(40, 13), (48, 24), (64, 300)] {
            let x = randomTensor([batch, n], seed: 41 + UInt64(n), scale: 1).scalars.map { Float($0) }
            let w = randomTensor([out, n], seed: 42 + UInt64(n), scale: 1).scalars.map { Float($0) }
            let bias = randomTensor([out], seed: 43, scale: 1).scalars.map { Float($0) }
            let y = BatchedProjection.product(x, rows: batch, w, bias: bias)
            var naive = [Float](repeating: 0, count: batch * out)
            for r in 0..<batch {
                let row = Array(x[(r * n)..<((r + 1) * n)])
                #expect(Array(y[(r * out)..<((r + 1) * out)]) == RowProjection.matvec(row, w, bias: bias), "n \(n), row \(r)")
                for o in 0..<out {
                    var s: Double = 0
                    for j in 0..<n { s += Double(row[j]) * Double(w[o * n + j]) }
                    naive[r * out + o] = Float(s + Double(bias[o]))
                }
            }
            #expect(zip(y, naive).allSatisfy { abs($0 - $1) <= 1e-4 * Float(n) }, "n \(n)")
        }
    }
}
