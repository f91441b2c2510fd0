// The batched decoding step (BatchedDecoding.swift) against B separate
// decoders: the same logits, bit for bit, for sequences of different
// lengths, some of whose windows slide (and are refilled) during the run;
// and (in Double) against full recomputation, an independent path, within rounding.

import BackpropCore
import Backpropagation
import RecurrentNetworks
import TestSupport
import Testing
@testable import Transformer

@Suite struct BatchedDecodingTests {
    /// A small GPT with weights larger than the init (so positions matter).
    static func model<S: TensorScalar>(_: S.Type, backend: Backend, width: Int, heads: Int) throws -> GPT<S> {
        let config = try GPTConfig(vocabulary: try CharacterVocabulary(characters: Array("abcdefg")), context: 8, layers: 2,
                                   heads: heads, width: width)
        let model = try GPT<S>(config: config, seed: 661, backend: backend)
        for (i, p) in model.parameters.enumerated() {
            let noise = randomTensor(p.value.shape, seed: 662 + UInt64(i), scale: 0.4)
            p.value = try p.value.adding(Tensor(shape: noise.shape, scalars: noise.scalars.map { S($0) }))
        }
        return model
    }

    /// Prompts of 1, 3, 6, 8 and 11 tokens (context 8: the last has slid
    /// already, the 8-token one slides on its first step), then `steps`
    /// tokens appended to all: batched and one decoder at a time. Windows
    /// slide at 9, 13, 17… tokens, so at steps 6 and 10 the 3- and
    /// 11-token sequences slide together (one batched refill of two).
    static func compare<S: TensorScalar>(_ model: GPT<S>, steps: Int, recompute: Bool = true) throws -> (batched: [[[S]]], alone: [[[S]]], recomputed: [[[S]]]) {
        var rng = SeededRandom(seed: 663)
        let prompts = [1, 3, 6, 8, 11].map { n in (0..<n).map { _ in rng.integer(below: 7) } }
        var batchedDecoders = prompts.map { _ in GPTDecoder(model: model) }
        var aloneDecoders = batchedDecoders, recomputing = prompts.map { _ in GPTDecoder(model: model, usesKVCache: false) }
        var batched: [[[S]]] = [], alone: [[[S]]] = [], recomputed: [[[S]]] = []
        for i in prompts.indices {
            _ = try batchedDecoders[i].append(contentsOf: prompts[i])
            _ = try aloneDecoders[i].append(contentsOf: prompts[i])
            if recompute { _ = try recomputing[i].append(contentsOf: prompts[i]) }
        }
        for _ in 0..<steps {
            let tokens = prompts.map { _ in rng.integer(below: 7) }
            batched.append(try GPTDecoder.append(tokens, to: &batchedDecoders))
            alone.append(try tokens.indices.map { try aloneDecoders[$0].append(tokens[$0]) })
            if recompute { recomputed.append(try tokens.indices.map { try recomputing[$0].append(tokens[$0]) }) }
        }
        for i in prompts.indices {
            #expect(batchedDecoders[i].tokens == aloneDecoders[i].tokens && batchedDecoders[i].start == aloneDecoders[i].start)
            #expect(batchedDecoders[i].cache.count == aloneDecoders[i].cache.count)
        }
        return (batched, alone, recomputed)
    }

    @Test("A batched step gives each sequence the logits of its own decodeStep, across window slides (Double)",
          arguments: [Backend.naive, .simd])
    func double(backend: Backend) throws {
        let model = try Self.model(Double.self, backend: backend, width: 8, heads: 2)
        let (batched, alone, recomputed) = try Self.compare(model, steps: 12)   // 12 steps: every sequence slides
        #expect(batched == alone)
        for (step, rows) in batched.enumerated() {
            for (i, row) in rows.enumerated() {
                #expect(maxRelativeDifference(Tensor(row), Tensor(recomputed[step][i])) < 1e-12, "step \(step), sequence \(i)")
            }
        }
    }

    /// Width 48 with heads of 8 (the SIMD attention kernel): several blocks
    /// of W per product; odd batches and a vocabulary of 7 (not a multiple
    /// of four rows) take the one-row tails.
    @Test("The Float SIMD batched step is bit-identical to separate steps")
    func float() throws {
        let model = try Self.model(Float.self, backend: .simd, width: 48, heads: 6)
        let (batched, alone, _) = try Self.compare(model, steps: 9, recompute: false)  // the Double test recomputes
        #expect(batched == alone)
        #expect(batched.allSatisfy { $0.allSatisfy { $0.count == 7 && $0.allSatisfy(\.isFinite) } })
    }

    @Test("An empty batch is empty; a bad token is refused before any cache changes")
    func edges() throws {
        let model = try Self.model(Double.self, backend: .simd, width: 8, heads: 2)
        var none: [GPTDecoder<Double>] = []
        #expect(try GPTDecoder.append([], to: &none).isEmpty)
        var decoders = [GPTDecoder(model: model), GPTDecoder(model: model)]
        _ = try decoders[0].append(1)
        _ = try decoders[1].append(2)
        #expect(throws: TextError.self) { _ = try GPTDecoder.append([3, 99], to: &decoders) }
        #expect(decoders.map(\.tokens) == [[1], [2]] && decoders.map(\.cache.count) == [1, 1])
    }
}

/// Refills of windows of one length in one forward pass. (At the baby
/// GPT's size, 2 to 32 windows of 33 tokens at width 128, the same holds;
/// checked once, too slow for a debug test run.)
@Suite struct BatchedPrefillTests {
    @Test("A batched prefill gives each window the logits and cache of its own prefill, bit for bit")
    func sameAsAlone() throws {
        let model = try BatchedDecodingTests.model(Float.self, backend: .simd, width: 48, heads: 6)
        var rng = SeededRandom(seed: 9)
        let windows = (0..<5).map { _ in (0..<5).map { _ in rng.integer(below: 7) } }
        var batchedCaches = windows.map { _ in model.makeDecodingCache(cached: true) }, aloneCaches = batchedCaches
        let batched = try model.prefill(batch: windows, caches: &batchedCaches)
        let alone = try windows.indices.map { try model.prefill(windows[$0], cache: &aloneCaches[$0]) }
        #expect(batched == alone)
        #expect(batchedCaches.map(\.keys) == aloneCaches.map(\.keys))
    }
}

