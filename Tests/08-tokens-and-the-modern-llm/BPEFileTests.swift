// The text format a trained BPE is saved in: round trip, and typed errors
// naming the file and line for every kind of bad input.

import Foundation
import Testing
@testable import TokensAndTheModernLLM

@Suite struct BPEFileTests {
    @Test("save then load gives the same tokenizer and the same ids")
    func roundTrip() throws {
        let text = "the cat sat on the mat; the cat ate the rat\n<|endoftext|>"
        let (bpe, _) = try BPETrainer.train(text, options: BPETrainingOptions(vocabularySize: 280))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        try bpe.save(to: url)
        let loaded = try BPETokenizer.load(url)
        #expect(loaded == bpe)
        #expect(loaded.encode(text, allowedSpecial: ["<|endoftext|>"]) == bpe.encode(text, allowedSpecial: ["<|endoftext|>"]))
        let lines = bpe.fileText().split(separator: "\n")
        #expect(lines[0] == "backprop-bpe 1" && lines[1] == "pre-tokenization gpt2" && lines[2] == "special <|endoftext|>")
        #expect(lines[3].hasPrefix("merge \(bpe.merges[0].left) \(bpe.merges[0].right)  # "))
    }

    @Test("malformed files are errors naming the line and the problem", arguments: [
        ("", 1, "expected \"backprop-bpe 1\": not a BPE file of this version"),
        ("backprop-bpe 2\npre-tokenization gpt2\n", 1, "expected \"backprop-bpe 1\": not a BPE file of this version"),
        ("backprop-bpe 1\npre-tokenization words\n", 2, "expected \"pre-tokenization gpt2\" or \"pre-tokenization none\""),
        ("backprop-bpe 1\npre-tokenization gpt2\nmerge 97\n", 3, "expected \"merge LEFT RIGHT\" with two token ids, got \"merge 97\""),
        ("backprop-bpe 1\npre-tokenization gpt2\nmerge 97 98\nmerge 257 97\n", 4, "merge 1 uses id 257, but only ids 0…256 exist before it"),
        ("backprop-bpe 1\npre-tokenization gpt2\nmerge 97 98\nmerge 97 98\n", 4, "merge 1 (97, 98) repeats merge 0"),
        ("backprop-bpe 1\npre-tokenization gpt2\nmerge 97 98\nspecial <s>\n", 4, "special tokens must come before the merges"),
        ("backprop-bpe 1\npre-tokenization gpt2\nmerges 97 98\n", 3, "unknown line \"merges 97 98\" (expected pre-tokenization, special or merge)"),
        ("backprop-bpe 1\nmerge 97 98\n", 2, "no \"pre-tokenization\" line"),
    ])
    func malformed(text: String, line: Int, reason: String) {
        let error = #expect(throws: TokenizerError.self) { try BPETokenizer.parse(text, path: "merges.txt") }
        #expect(error == .malformed(path: "merges.txt", line: line, reason: reason))
        #expect(error?.description == "merges.txt, line \(line): \(reason)")
    }

    @Test("a missing file is an error naming it")
    func missing() {
        let error = #expect(throws: TokenizerError.self) { try BPETokenizer.load(URL(fileURLWithPath: "/nonexistent/merges.txt")) }
        #expect(error?.description == "cannot read /nonexistent/merges.txt: no such file or not readable")
    }

    @Test("GPT-2's files: malformed input is an error naming the file, line and problem")
    func gpt2Files() throws {
        let encoder = Array(#"{"a": 0, "b": 1}"#.utf8)
        func load(_ encoder: [UInt8], _ merges: String) throws -> GPT2Tokenizer {
            try GPT2Tokenizer(encoderJSON: encoder, encoderPath: "encoder.json", vocabBPE: Array(merges.utf8), mergesPath: "vocab.bpe")
        }
        #expect(throws: TokenizerError.malformed(path: "encoder.json", line: 1, reason: "no <|endoftext|> token")) { try load(encoder, "#version: 0.2\n") }
        #expect(throws: TokenizerError.malformed(path: "encoder.json", line: 2, reason: "expected ',' or '}' at byte 9")) {
            try load(Array("{\n\"a\": 0 \"b\": 1}".utf8), "#version: 0.2\n")
        }
        #expect(throws: TokenizerError.malformed(path: "encoder.json", line: 1, reason: "id 5 of \"a\" is outside 0…1")) {
            try load(Array(#"{"a": 5, "b": 1}"#.utf8), "")
        }
        // A full byte vocabulary, one merge, and the special token: then vocab.bpe's errors.
        var entries = (0..<256).map { "\(JSONQuote(GPT2ByteMapping.string([UInt8($0)]))): \($0)" }
        entries.append("\"ab\": 256")
        entries.append("\"<|endoftext|>\": 257")
        let small = Array(("{" + entries.joined(separator: ", ") + "}").utf8)
        let ok = try load(small, "#version: 0.2\na b\n")
        #expect(ok.encode("ab ab") == [256, 32, 256])  // this small file numbers the bytes in byte order
        #expect(throws: TokenizerError.malformed(path: "vocab.bpe", line: 1, reason: "expected a \"#version\" line first")) { try load(small, "a b\n") }
        #expect(throws: TokenizerError.malformed(path: "vocab.bpe", line: 2, reason: "expected two tokens separated by one space, got \"a  b\"")) {
            try load(small, "#version: 0.2\na  b\n")
        }
        #expect(throws: TokenizerError.malformed(path: "vocab.bpe", line: 2, reason: "\"zz\" is not a token of the encoder")) {
            try load(small, "#version: 0.2\nzz b\n")
        }
        #expect(throws: TokenizerError.malformed(path: "vocab.bpe", line: 2, reason: "\"abb\" is not a token of the encoder")) {
            try load(small, "#version: 0.2\nab b\n")
        }
        // The special token first, "ab" after it: the merge making "ab" is merge 0, but "ab" is not id 256.
        let swapped = Array(String(decoding: small, as: UTF8.self).replacingOccurrences(of: "\"ab\": 256", with: "\"ab\": 9999")
            .replacingOccurrences(of: "\"<|endoftext|>\": 257", with: "\"<|endoftext|>\": 256")
            .replacingOccurrences(of: "9999", with: "257").utf8)
        #expect(throws: TokenizerError.malformed(path: "vocab.bpe", line: 2, reason: "merge 0 makes token 257, expected 256: the files disagree on its rank")) {
            try load(swapped, "#version: 0.2\na b\n")
        }
        #expect(throws: TokenizerError.malformed(path: "vocab.bpe", line: 2, reason: "0 merges for 257 ordinary tokens (expected 1)")) {
            try load(small, "#version: 0.2\n")
        }
    }
}

/// A JSON string literal for a token string (quote and backslash escaped, the rest as is).
func JSONQuote(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}
