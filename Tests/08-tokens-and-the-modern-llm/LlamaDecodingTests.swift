// KV-cache decoding of the Llama-style model: cached logits equal full
// recomputation (up to the context and past it, where the window slides),
// batched prefill equals step-by-step feeding, and the cache holds only the
// shared heads: 2·L·H_kv·d scalars per position.

import BackpropCore
import Backpropagation
import Transformer
import TestSupport
import Testing
@testable import TokensAndTheModernLLM

@Suite struct LlamaDecodingTests {
    /// A tiny model with gains away from 1 and larger weights, so a wrong
    /// position, head mapping or missing term moves the logits visibly.
    static func model(kvHeads: Int, backend: Backend = .simd, tied: Bool = true) throws -> Llama<Double> {
        let config = try LlamaConfig(vocabularySize: 13, context: 8, layers: 2, width: 16, heads: 4, kvHeads: kvHeads, hidden: 12, tiedHead: tied)
        let model = try Llama<Double>(config: config, seed: 880 + UInt64(kvHeads), std: 0.4, backend: backend)
        for (i, p) in model.parameters.enumerated() where p.value.rank == 1 {
            p.value = try p.value.adding(randomTensor(p.value.shape, seed: 890 + UInt64(i), scale: 0.3))
        }
        return model
    }

    /// The logits after each prefix by a full forward pass over the window
    /// chapter 7's rule gives (no cache at all).
    static func recomputed(_ model: Llama<Double>, _ tokens: [Int]) throws -> [[Double]] {
        let v = model.config.vocabularySize
        return try (1...tokens.count).map { n in
            let s = GPTDecoder<Double>.windowStart(n, context: model.config.context)
            let window = Array(tokens[s..<n])
            return Array(try model.forward(window, batch: 1, length: window.count).logits.scalars[((window.count - 1) * v)...])
        }
    }

    static func worst(_ a: [[Double]], _ b: [[Double]]) -> Double {
        zip(a, b).map { zip($0, $1).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
    }

    @Test("Cached decoding equals full recomputation (Double, 1e-10) for H_kv = H, 2 and 1, up to the context and past it",
          arguments: [4, 2, 1], [Backend.naive, .simd])
    func cachedEqualsRecomputed(kvHeads: Int, backend: Backend) throws {
        let model = try Self.model(kvHeads: kvHeads, backend: backend, tied: kvHeads != 2)
        let tokens = (0..<15).map { ($0 * 5 + 3) % 13 }      // 8 = the context, then 7 more (the window slides at 9 and 13)
        let expected = try Self.recomputed(model, tokens)
        let cached = try model.logitsAfterEachToken(tokens, useKVCache: true)
        let uncached = try model.logitsAfterEachToken(tokens, useKVCache: false)
        #expect(Self.worst(cached, expected) < 1e-10, "H_kv = \(kvHeads) \(backend)")
        #expect(Self.worst(uncached, expected) == 0)
        // and the logits do change from one position to the next (the test has teeth)
        #expect(Self.worst([cached[6]], [cached[7]]) > 1e-3)
    }

    @Test("A batched prefill of the prompt equals feeding it one token at a time, and decoding continues from it")
    func prefill() throws {
        let model = try Self.model(kvHeads: 2)
        let prompt = [3, 1, 4, 1, 5], more = [9, 2]
        var batched = LlamaDecoder(model: model), stepped = LlamaDecoder(model: model)
        let a = try batched.append(contentsOf: prompt)
        var b: [Double] = []
        for t in prompt { b = try stepped.append(t) }
        #expect(Self.worst([a], [b]) < 1e-10)
        #expect(batched.cache.count == 5 && stepped.cache.count == 5)
        for l in 0..<2 {
            #expect(zip(batched.cache.keys[l].prefix(5 * 8), stepped.cache.keys[l].prefix(5 * 8)).allSatisfy { abs($0 - $1) < 1e-12 })
            #expect(zip(batched.cache.values[l].prefix(5 * 8), stepped.cache.values[l].prefix(5 * 8)).allSatisfy { abs($0 - $1) < 1e-12 })
        }
        let c = try batched.append(contentsOf: more), d = try stepped.append(contentsOf: more)
        #expect(Self.worst([c], [d]) < 1e-10)
        let expected = try Self.recomputed(model, prompt + more).last!
        #expect(Self.worst([c], [expected]) < 1e-10)
        #expect(throws: (any Error).self) { try batched.append(13) }
    }

    @Test("The cache holds 2·L·H_kv·d scalars per position: H_kv/H of multi-head attention's")
    func cacheSize() throws {
        for kvHeads in [4, 2, 1] {
            let model = try Self.model(kvHeads: kvHeads)
            var decoder = LlamaDecoder(model: model)
            _ = try decoder.append(contentsOf: [1, 2, 3])
            let c = decoder.cache
            #expect(c.scalarsPerPosition == 2 * 2 * kvHeads * 4)
            #expect(c.storedScalars == model.config.kvCacheScalars(length: 3))
            #expect(c.allocatedScalars == model.config.kvCacheScalars(length: model.config.context))
            #expect(c.bytesPerPosition == 2 * 2 * kvHeads * 4 * 8)
            #expect(c.keys.allSatisfy { $0.count == 8 * kvHeads * 4 })
        }
    }

    @Test("Float decoding with the cache stays within Float rounding of recomputation")
    func float() throws {
        let config = try LlamaConfig(vocabularySize: 20, context: 10, layers: 2, width: 32, heads: 4, kvHeads: 2)
        let model = try Llama<Float>(config: config, seed: 895)
        let tokens = (0..<12).map { ($0 * 7) % 20 }
        let a = try model.logitsAfterEachToken(tokens, useKVCache: true), b = try model.logitsAfterEachToken(tokens, useKVCache: false)
        for (x, y) in zip(a, b) { #expect(zip(x, y).allSatisfy { abs($0 - $1) < 1e-4 }) }
    }
}
