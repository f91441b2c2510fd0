// Chapter 8's model on the command line: `train llama` on a small corpus
// saves a checkpoint with its tokenizer, `generate` samples from it (with
// and without the cache, with top-p), and bad flags are usage errors.

import BackpropCore
import Foundation
import RecurrentNetworks
import Testing
@testable import BackpropCLI
import TokensAndTheModernLLM

@Suite struct LlamaCLITests {
    @Test("bad train llama and generate lines are usage errors naming the problem", arguments: [
        (["train", "llama", "--kv-heads", "3"], "kv heads"),
        (["train", "llama", "--vocab-size", "100"], "--vocab-size expects an integer in 257…65536, got '100'"),
        (["train", "llama", "--tokenizer", "sentencepiece"], "--tokenizer must be one of bpe, gpt2"),
        (["train", "llama", "--positions", "absolute"], "--positions must be one of rope, learned, got 'absolute'"),
        (["train", "llama", "--mlp", "relu"], "--mlp must be one of swiglu, gelu"),
        (["train", "llama", "--tokens", "chars", "--vocab-size", "300"], "--tokens chars uses one token per character"),
    ])
    func usageErrors(words: [String], message: String) {
        let error = #expect(throws: UsageError.self) { try BackpropTool.run(words) }
        #expect(error?.description.contains(message) == true, "got: \(String(describing: error))")
    }

    @Test("train llama saves a checkpoint with its BPE that generate reads, with and without the cache")
    func trainThenGenerate() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("llama-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus.txt"), model = dir.appendingPathComponent("llama.ckpt")
        try Data(String(repeating: "ROMEO:\nWhat light through yonder window breaks?\n\n", count: 30).utf8).write(to: corpus)
        try BackpropTool.run(["train", "llama", "--corpus", corpus.path, "--vocab-size", "280", "--layers", "1", "--width", "16",
                              "--heads", "2", "--kv-heads", "1", "--context", "8", "--batch", "2", "--steps", "3", "--save", model.path, "--json"])
        let loaded = try Llama<Float>.load(model)
        guard case .bpe(let bpe)? = loaded.tokenizer else { Issue.record("no BPE recorded"); return }
        // 256 bytes + up to 24 merges + <|endoftext|>
        #expect(bpe.vocabularySize <= 281 && loaded.config.vocabularySize == bpe.vocabularySize && loaded.config.kvHeads == 1)
        try BackpropTool.run(["generate", "--model", model.path, "--prompt", "ROMEO:", "--length", "5", "--top-p", "0.9"])
        try BackpropTool.run(["generate", "--model", model.path, "--length", "5", "--no-cache"])
        let bad = #expect(throws: UsageError.self) { try BackpropTool.run(["generate", "--model", model.path, "--top-p", "0"]) }
        #expect(bad?.description.contains("--top-p expects a number in (0, 1]") == true)
    }
}

extension LlamaCLITests {
    @Test("train llama with every GPT-era switch saves a checkpoint that records them and its characters")
    func ablationSwitches() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("llama-abl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus.txt"), model = dir.appendingPathComponent("llama.ckpt")
        try Data(String(repeating: "ROMEO:\nWhat light through yonder window breaks?\n\n", count: 30).utf8).write(to: corpus)
        try BackpropTool.run(["train", "llama", "--corpus", corpus.path, "--tokens", "chars", "--positions", "learned", "--mlp", "gelu",
                              "--norm", "layernorm", "--layers", "1", "--width", "16", "--heads", "2", "--kv-heads", "1", "--context", "8",
                              "--batch", "2", "--steps", "2", "--save", model.path])
        let loaded = try Llama<Float>.load(model)
        #expect(loaded.config.architecture == .gptEra)
        guard case .characters(let chars)? = loaded.tokenizer else { Issue.record("no characters recorded"); return }
        #expect(chars.vocabulary == (try CharacterVocabulary(text: "ROMEO:\nWhat light through yonder window breaks?\n\n")))
        try BackpropTool.run(["generate", "--model", model.path, "--prompt", "ROMEO:", "--length", "5"])
    }
}

@Suite struct FinetuneCLITests {
    @Test("bad finetune lines are usage errors naming the problem", arguments: [
        (["finetune"], "--model"),
        (["finetune", "--model", "/nonexistent.ckpt", "--targets", "q,x"], "--targets expects letters among q,k,v,o, got 'x'"),
    ])
    func usageErrors(words: [String], message: String) {
        let error = #expect(throws: UsageError.self) { try BackpropTool.run(words) }
        #expect(error?.description.contains(message) == true, "got: \(String(describing: error))")
    }

    @Test func helpWorks() throws { try BackpropTool.run(["finetune", "--help"]) }
}
