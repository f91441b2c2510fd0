// The Llama checkpoint: a round trip through a file restores the config,
// the tokenizer and every parameter bit for bit; a corrupted file is a typed
// error naming it, before any allocation a corrupted size would ask for.

import BackpropCore
import Foundation
import Storage
import Testing
@testable import TokensAndTheModernLLM

@Suite struct LlamaCheckpointTests {
    static func bpe() throws -> BPETokenizer {
        try BPETrainer.train("the cat sat on the mat; the cat ate the rat. " + String(repeating: "that hat ", count: 5),
                             options: BPETrainingOptions(vocabularySize: 270)).0
    }

    static func model(tied: Bool = true, kvHeads: Int = 2) throws -> Llama<Float> {
        let bpe = try bpe()
        let config = try LlamaConfig(vocabularySize: bpe.vocabularySize, context: 6, layers: 2, width: 16, heads: 4, kvHeads: kvHeads,
                                     hidden: 24, tiedHead: tied, ropeBase: 500, epsilon: 1e-6)
        let model = try Llama<Float>(config: config, seed: 910)
        model.tokenizer = .bpe(bpe)
        return model
    }

    @Test("A round trip through a file restores the config, the BPE tokenizer and every parameter bit for bit", arguments: [true, false])
    func roundTrip(tied: Bool) throws {
        let model = try Self.model(tied: tied, kvHeads: tied ? 2 : 1)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("llama-\(UUID().uuidString).ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.save(to: url, metadata: [("steps", .integer(3))])
        let restored = try Llama<Float>.load(url)
        #expect(restored.config == model.config)
        #expect(restored.tokenizer == model.tokenizer)
        #expect(restored.namedParameters.map(\.name) == model.namedParameters.map(\.name))
        for (a, b) in zip(model.parameters, restored.parameters) { #expect(a.value.scalars == b.value.scalars) }
        let tokens = [1, 5, 260, 3]
        #expect(try model.logitsAfterEachToken(tokens, useKVCache: true) == (try restored.logitsAfterEachToken(tokens, useKVCache: true)))
        let text = "the cat that sat"
        guard case .bpe(let bpe)? = restored.tokenizer else { Issue.record("no BPE"); return }
        #expect(try bpe.decode(bpe.encode(text)) == text)
    }

    @Test("GPT-2's tokenizer is recorded by name and has the model's 50,257 ids")
    func gpt2() throws {
        #expect(try GPT2Tokenizer.bundled().vocabularySize == LlamaTokenizer.gpt2VocabularySize)
        let model = try Llama<Float>(config: try LlamaConfig(vocabularySize: 50_257, context: 4, layers: 1, width: 8, heads: 2, kvHeads: 1, hidden: 8),
                                     seed: 911)
        model.tokenizer = .gpt2
        let c = model.checkpoint()
        #expect(c.configValue("tokenizer")?.stringValue == "gpt2")
        #expect(try Llama<Float>(checkpoint: c).tokenizer == .gpt2)
    }

    /// The checkpoint with config `key` set to `value`.
    static func with(_ c: Checkpoint, _ key: String, _ value: JSONValue) -> Checkpoint {
        var c = c
        c.config = c.config.map { $0.0 == key ? (key, value) : $0 }
        c.path = "/tmp/corrupt.ckpt"
        return c
    }

    static func expectBad(_ c: Checkpoint, key: String? = nil, _ comment: Comment) {
        do {
            _ = try Llama<Float>(checkpoint: c)
            Issue.record("loaded: \(comment)")
        } catch let e as CheckpointError {
            #expect(e.description.contains(c.path), comment)
            if let key, case let .badConfig(_, k, _) = e { #expect(k == key, comment) }
        } catch {
            Issue.record("not a CheckpointError: \(error) (\(comment))")
        }
    }

    @Test("Corrupted configs and tensors are typed errors naming the file, checked before allocating")
    func corruption() throws {
        let good = try Self.model().checkpoint()
        Self.expectBad(Self.with(good, "width", .integer(1 << 40)), key: "width", "a huge width")
        Self.expectBad(Self.with(good, "hidden", .integer(5000)), key: "width", "a hidden width beyond the tensors")
        Self.expectBad(Self.with(good, "layers", .integer(50)), key: "width", "layers beyond the tensors")
        Self.expectBad(Self.with(good, "context", .integer(1 << 30)), "a huge context (RoPE tables)")
        Self.expectBad(Self.with(good, "kv_heads", .integer(3)), "kv heads that do not divide the heads (and more k, v scalars than stored)")
        Self.expectBad(Self.with(Self.with(good, "kv_heads", .integer(1)), "heads", .integer(16)), key: "config", "heads of odd width 1 (RoPE rotates pairs)")
        Self.expectBad(Self.with(good, "heads", .integer(3)), "heads that do not divide the width")
        Self.expectBad(Self.with(good, "vocabulary_size", .integer(100)), "a vocabulary the tokenizer does not have")
        Self.expectBad(Self.with(good, "tokenizer", .string("sentencepiece")), key: "tokenizer", "an unknown tokenizer")
        Self.expectBad(Self.with(good, "bpe", .string("not a bpe")), "a broken BPE")
        Self.expectBad(Self.with(good, "tied_head", .integer(1)), key: "tied_head", "a non-boolean flag")
        Self.expectBad(Self.with(good, "rope_base", .number(0.5)), key: "config", "a RoPE base below 1")
        var missing = good
        missing.tensors.removeAll { $0.name == "model.layers.1.self_attn.k_proj.weight" }
        missing.path = "/tmp/missing.ckpt"
        Self.expectBad(missing, "a missing tensor")
        var misshapen = good
        let i = misshapen.tensors.firstIndex { $0.name == "model.layers.0.self_attn.v_proj.weight" }!
        misshapen.tensors[i].tensor = try Tensor(shape: [16, 8], repeating: 0)   // [H_kv·d, C] = [8, 16] transposed
        misshapen.path = "/tmp/misshapen.ckpt"
        Self.expectBad(misshapen, "a misshapen tensor")
        var other = good
        other.kind = "gpt"
        other.path = "/tmp/other.ckpt"
        Self.expectBad(other, "another kind")
    }
}
