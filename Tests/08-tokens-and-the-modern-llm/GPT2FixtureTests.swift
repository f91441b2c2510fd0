// GPT-2's tokenizer against tiktoken's `gpt2` encoding: the edge cases and
// the whole of tinyshakespeare, ids made once by
// Tests/Fixtures/make_fixtures_ch8.py (no Python needed here).

import Foundation
import Testing
@testable import TokensAndTheModernLLM
import Datasets

/// The bundled GPT-2 tokenizer, loaded once for every test in this target.
enum Shared {
    static let loaded = Result { try GPT2Tokenizer.bundled() }
    static func gpt2() throws -> GPT2Tokenizer { try loaded.get() }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
}

/// The edge cases of ch8_gpt2_cases.jsonl: one JSON object a line, after a header line.
struct GPT2Cases {
    struct Encode: Decodable {
        let name: String, utf8_hex: String, allowed_special: Bool, ids: [Int]
    }
    struct Decode: Decodable {
        let name: String, ids: [Int], bytes_hex: String, text: String
    }
    struct Kind: Decodable { let kind: String }
    var encode: [Encode] = []
    var decode: [Decode] = []

    static func load() throws -> GPT2Cases {
        let text = try String(contentsOf: Shared.fixtures.appendingPathComponent("ch8_gpt2_cases.jsonl"), encoding: .utf8)
        var cases = GPT2Cases()
        for line in text.split(separator: "\n") {
            let data = Data(line.utf8)
            switch try JSONDecoder().decode(Kind.self, from: data).kind {
            case "encode": cases.encode.append(try JSONDecoder().decode(Encode.self, from: data))
            case "decode": cases.decode.append(try JSONDecoder().decode(Decode.self, from: data))
            default: break
            }
        }
        return cases
    }
}

func bytes(hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = hex.startIndex
    while i < hex.endIndex {
        let j = hex.index(i, offsetBy: 2)
        out.append(UInt8(hex[i..<j], radix: 16)!)
        i = j
    }
    return out
}

@Suite struct GPT2FixtureTests {
    @Test("the ids everyone knows: Hello world, the, <|endoftext|>")
    func knownIDs() throws {
        let gpt2 = try Shared.gpt2()
        #expect(gpt2.vocabularySize == 50257)
        #expect(gpt2.encode("Hello world") == [15496, 995])
        #expect(gpt2.encode(" the") == [262])
        #expect(gpt2.encode("<|endoftext|>", allowedSpecial: [GPT2Tokenizer.endOfText]) == [50256])
        #expect(try gpt2.tokenString(262) == "Ġthe")
        #expect(try gpt2.tokenString(50256) == "<|endoftext|>")
        #expect(gpt2.merges.count == 50000)
        #expect(gpt2.merges[0].left == 220 && gpt2.merges[0].right == 83)  // "Ġ t": space, t
    }

    @Test("every edge case encodes to tiktoken's ids and decodes back")
    func edgeCases() throws {
        let gpt2 = try Shared.gpt2()
        let cases = try GPT2Cases.load()
        #expect(cases.encode.count >= 80 && cases.decode.count >= 10)
        for c in cases.encode {
            let text = String(decoding: bytes(hex: c.utf8_hex), as: UTF8.self)
            let ids = gpt2.encode(text, allowedSpecial: c.allowed_special ? [GPT2Tokenizer.endOfText] : [])
            #expect(ids == c.ids, "\(c.name): \(text.debugDescription)")
            #expect(try gpt2.decodeBytes(ids) == bytes(hex: c.utf8_hex), "\(c.name)")
        }
    }

    @Test("decoding: bytes exactly, and a lossy string with U+FFFD where tiktoken puts it")
    func decodeCases() throws {
        let gpt2 = try Shared.gpt2()
        for c in try GPT2Cases.load().decode {
            #expect(try gpt2.decodeBytes(c.ids) == bytes(hex: c.bytes_hex), "\(c.name)")
            #expect(try gpt2.decode(c.ids) == c.text, "\(c.name)")
            #expect(Array(try gpt2.decode(c.ids).unicodeScalars) == Array(c.text.unicodeScalars), "\(c.name)")
        }
    }

    @Test("an id outside the vocabulary is an error naming it")
    func unknownID() throws {
        let gpt2 = try Shared.gpt2()
        for bad in [50257, -1, 1 << 40] {
            let error = #expect(throws: TokenizerError.self) { try gpt2.decode([15496, bad]) }
            #expect(error == .unknownToken(id: bad, vocabularySize: 50257))
            #expect(error?.description == "token id \(bad) is not in the vocabulary (ids 0…50256)")
        }
    }

    /// The whole of tinyshakespeare in release builds; in debug builds the
    /// first 200,000 bytes (cut at a line), so the suite stays fast.
    @Test("tinyshakespeare encodes to tiktoken's ids")
    func shakespeare() throws {
        let gpt2 = try Shared.gpt2()
        let data = try Data(contentsOf: Shared.fixtures.appendingPathComponent("ch8_gpt2_tinyshakespeare.u16"))
        let expected = stride(from: 0, to: data.count, by: 2).map { Int(data[$0]) | Int(data[$0 + 1]) << 8 }
        #expect(expected.count == 338_025)
        var text = try Datasets.BundledData.shakespeare()
        var wanted = expected
        #if DEBUG
        let cut = text.utf8.index(text.utf8.startIndex, offsetBy: 200_000)
        let line = text[cut...].firstIndex(of: "\n")!
        text = String(text[...line])  // up to and including a line break, so the last word is whole
        let prefix = gpt2.encode(text)
        wanted = Array(expected.prefix(prefix.count))
        #expect(try gpt2.decode(expected.prefix(prefix.count).map { $0 }) == text)
        #endif
        let ids = gpt2.encode(text)
        if let first = zip(ids, wanted).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("first difference at token \(first): ours \(ids[first]), tiktoken \(wanted[first])")
        }
        #expect(ids == wanted)
    }
}
