// GPT-2's tokenizer with its real vocabulary, read from the two files every
// GPT-2 tokenizer uses (bundled in Datasets as gpt2-encoder.json and
// gpt2-vocab.bpe):
//
// - encoder.json: {"!": 0, "\"": 1, …, "Ġthe": 262, …, "<|endoftext|>": 50256},
//   every token as a string in GPT-2's byte-to-unicode mapping → its id;
// - vocab.bpe: "#version: 0.2", then the 50,000 merges in priority order,
//   one "left right" pair a line ("Ġ t" is merge 0, making "Ġt", id 256).
//
// Merge k makes token 256 + k: the id is the rank. We check that the two
// files agree on it, then build the merge table the way tiktoken applies it:
// two adjacent tokens merge if their concatenated bytes are a token, at the
// rank of that token. So the table holds every split of every token into two
// tokens (108,299 pairs), a few more than vocab.bpe lists: the ids come out
// exactly as tiktoken's `gpt2` encoding gives them.

import Datasets
import Foundation

/// GPT-2's byte-level BPE: 50,257 tokens, pre-tokenization by GPT-2's pattern,
/// and `<|endoftext|>` as id 50256.
public struct GPT2Tokenizer: TextTokenizer {
    public static let endOfText = "<|endoftext|>"
    public let bpe: ByteLevelBPE
    /// The merges of vocab.bpe as token ids, in rank order (merge k makes token 256 + k).
    public let merges: [(left: Int, right: Int)]

    public var vocabularySize: Int { bpe.vocabularySize }

    /// The bundled GPT-2 vocabulary.
    public static func bundled() throws -> GPT2Tokenizer {
        try GPT2Tokenizer(encoder: try BundledData.url("gpt2-encoder.json"), merges: try BundledData.url("gpt2-vocab.bpe"))
    }

    /// Reads GPT-2's encoder.json and vocab.bpe (or files in the same formats).
    /// - Throws: `TokenizerError` naming the file, line and problem.
    public init(encoder encoderURL: URL, merges mergesURL: URL) throws {
        func read(_ url: URL) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw TokenizerError.unreadable(path: url.path, reason: "no such file or not readable")
            }
            return [UInt8](data)
        }
        try self.init(encoderJSON: try read(encoderURL), encoderPath: encoderURL.path,
                      vocabBPE: try read(mergesURL), mergesPath: mergesURL.path)
    }

    /// Builds the tokenizer from the two files' contents; the paths are for error messages.
    public init(encoderJSON: [UInt8], encoderPath: String, vocabBPE: [UInt8], mergesPath: String) throws {
        let entries = try FlatJSONObject.parse(encoderJSON, path: encoderPath)
        var tokenBytes = [[UInt8]?](repeating: nil, count: entries.count)
        var specialID: UInt32?
        for (key, id, line) in entries {
            guard id >= 0, id < entries.count else {
                throw TokenizerError.malformed(path: encoderPath, line: line, reason: "id \(id) of \"\(key)\" is outside 0…\(entries.count - 1)")
            }
            guard tokenBytes[id] == nil else {
                throw TokenizerError.malformed(path: encoderPath, line: line, reason: "id \(id) is given twice")
            }
            if key == Self.endOfText {
                specialID = UInt32(id)
                tokenBytes[id] = Array(key.utf8)
                continue
            }
            guard let bytes = GPT2ByteMapping.bytes(key), !bytes.isEmpty else {
                throw TokenizerError.malformed(path: encoderPath, line: line, reason: "\"\(key)\" is not a token in GPT-2's byte-to-unicode mapping")
            }
            tokenBytes[id] = bytes
        }
        guard let special = specialID else {
            throw TokenizerError.malformed(path: encoderPath, line: 1, reason: "no \(Self.endOfText) token")
        }
        let allBytes = tokenBytes.map { $0 ?? [] }
        // Bytes → id, for the byte tokens and to find every token's splits.
        var index = WordCache()
        for (id, bytes) in allBytes.enumerated() where UInt32(id) != special {
            try bytes.withUnsafeBufferPointer { key in
                var existing: [UInt32] = []
                let h = WordCache.hash(key)
                if index.lookUp(key, hash: h, into: &existing) {
                    throw TokenizerError.malformed(path: encoderPath, line: 1, reason: "ids \(existing[0]) and \(id) are the same token")
                }
                index.insert(key, hash: h, value: [UInt32(id)][...])
            }
        }
        func id(_ bytes: ArraySlice<UInt8>) -> UInt32? {
            var found: [UInt32] = []
            let hit = Array(bytes).withUnsafeBufferPointer { index.lookUp($0, hash: WordCache.hash($0), into: &found) }
            return hit ? found[0] : nil
        }
        var byteTokens = [UInt32](repeating: 0, count: 256)
        for b in 0..<256 {
            guard let t = id([UInt8(b)][...]) else {
                throw TokenizerError.malformed(path: encoderPath, line: 1, reason: "no token for the byte \(b)")
            }
            byteTokens[b] = t
        }
        merges = try Self.readMerges(vocabBPE, path: mergesPath, id: { GPT2ByteMapping.bytes($0).flatMap { id($0[...]) } },
                                     tokenCount: allBytes.count - 1)
        // Every split of every token into two tokens, at the rank (id) of the whole.
        var table = MergeTable(capacity: 120_000)
        for (t, bytes) in allBytes.enumerated() where bytes.count >= 2 && UInt32(t) != special {
            for k in 1..<bytes.count {
                if let a = id(bytes[..<k]), let b = id(bytes[k...]) { table.insert(a, b, merged: UInt32(t)) }
            }
        }
        bpe = ByteLevelBPE(tokenBytes: allBytes, byteTokens: byteTokens, merges: table,
                           specialTokens: [(Self.endOfText, special)], preTokenize: true)
    }

    /// Reads vocab.bpe, checking that merge k names two tokens and makes token 256 + k.
    static func readMerges(_ text: [UInt8], path: String, id: (Substring) -> UInt32?, tokenCount: Int) throws -> [(left: Int, right: Int)] {
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, first.hasPrefix("#version") else {
            throw TokenizerError.malformed(path: path, line: 1, reason: "expected a \"#version\" line first")
        }
        var merges: [(left: Int, right: Int)] = []
        for (number, line) in lines.enumerated().dropFirst() {
            if line.isEmpty && number == lines.count - 1 { break }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            func fail(_ why: String) -> TokenizerError { .malformed(path: path, line: number + 1, reason: why) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw fail("expected two tokens separated by one space, got \"\(line)\"") }
            guard let a = id(parts[0]) else { throw fail("\"\(parts[0])\" is not a token of the encoder") }
            guard let b = id(parts[1]) else { throw fail("\"\(parts[1])\" is not a token of the encoder") }
            let rank = 256 + merges.count
            guard let made = id(parts[0] + parts[1]) else { throw fail("\"\(parts[0])\(parts[1])\" is not a token of the encoder") }
            guard made == rank else { throw fail("merge \(merges.count) makes token \(made), expected \(rank): the files disagree on its rank") }
            merges.append((Int(a), Int(b)))
        }
        guard 256 + merges.count == tokenCount else {
            throw TokenizerError.malformed(path: path, line: lines.count, reason: "\(merges.count) merges for \(tokenCount) ordinary tokens (expected \(tokenCount - 256))")
        }
        return merges
    }

    public func encode(_ text: String, allowedSpecial: Set<String>) -> [Int] { bpe.encode(text, allowedSpecial: allowedSpecial) }
    public func decodeBytes(_ ids: [Int]) throws -> [UInt8] { try bpe.decodeBytes(ids) }

    /// A token as GPT-2's files write it ("Ġthe").
    public func tokenString(_ id: Int) throws -> String {
        if let special = bpe.specialTokens.first(where: { Int($0.id) == id }) { return special.text }
        return GPT2ByteMapping.string(try bpe.bytes(of: id))
    }
}
