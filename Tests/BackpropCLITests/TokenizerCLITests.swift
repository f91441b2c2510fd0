// Command lines of chapter 8: `train bpe` and `tokenize`, and the MB/s the
// bench adds to a throughput benchmark's rows.

import BackpropCore
import Foundation
import Testing
@testable import BackpropCLI
import TokensAndTheModernLLM

@Suite struct TokenizerCLITests {
    @Test("bad chapter 8 command lines are usage errors naming the problem", arguments: [
        (["train", "bpe", "--vocab-size", "100"], "--vocab-size expects an integer in 256…16777216, got '100'"),
        (["train", "bpe", "--pre-tokenization", "words"], "--pre-tokenization must be one of gpt2, none"),
        (["train", "bpe", "--corpus", "/nonexistent/text.txt"], "cannot read the corpus /nonexistent/text.txt"),
        (["tokenize", "--decode", "15496", "abc"], "'abc' is not a token id"),
    ])
    func usageErrors(words: [String], message: String) {
        let error = #expect(throws: UsageError.self) { try BackpropTool.run(words) }
        #expect(error?.description.contains(message) == true, "got: \(String(describing: error))")
    }

    @Test(arguments: [["train", "bpe", "--help"], ["tokenize", "--help"]])
    func helpWorks(words: [String]) throws { try BackpropTool.run(words) }

    @Test("train bpe saves merges that tokenize reads; bad files and ids are errors naming them")
    func trainThenTokenize() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus.txt"), merges = dir.appendingPathComponent("merges.txt")
        try Data(String(repeating: "the cat sat on the mat. ", count: 40).utf8).write(to: corpus)
        try BackpropTool.run(["train", "bpe", "--corpus", corpus.path, "--vocab-size", "270", "--save", merges.path, "--json"])
        let bpe = try BPETokenizer.load(merges)
        #expect(bpe.merges.count == 12)  // fewer than asked: then every word is one token, and no pair is seen twice
        try BackpropTool.run(["tokenize", "--tokenizer", merges.path, "the cat"])
        try BackpropTool.run(["tokenize", "--tokenizer", merges.path, "--decode", "116", "104", "101"])
        let missing = #expect(throws: TokenizerError.self) { try BackpropTool.run(["tokenize", "--tokenizer", dir.appendingPathComponent("none.txt").path, "x"]) }
        #expect(missing?.description.contains("none.txt") == true)
        let unknown = #expect(throws: TokenizerError.self) { try BackpropTool.run(["tokenize", "--decode", "50257"]) }
        #expect(unknown == .unknownToken(id: 50257, vocabularySize: 50257))
    }

    @Test("a throughput row gets mb_per_second from its bytes and time")
    func megabytesPerSecond() {
        let row = BenchRow(kernel: "gpt2 encode", shape: "x", variant: "swift", msPerStep: 20)
        let mbps = BenchCommand.megabytesPerSecond(row, bytes: 1_000_000)
        #expect(mbps == 50)
        #expect(BenchCommand.jsonLine(row, megabytesPerSecond: mbps) == #"{"kernel":"gpt2 encode","shape":"x","variant":"swift","ms_per_step":20,"mb_per_second":50}"#)
        #expect(BenchCommand.megabytesPerSecond(row, bytes: nil) == nil)
        // A "swift" row is compared with a reference row of the same kernel and shape.
        let reference = BenchComparison.Reference(kernel: "gpt2 encode", shape: "x", variant: "tiktoken", msPerStep: 80, gflops: nil)
        #expect(BenchComparison.pairs([row], [reference]).map(\.2) == [0.25])
    }
}
