// Lookup, cosine, neighbours, analogies, and the word2vec text format.

import BackpropCore
import Foundation
import Testing
@testable import WordEmbeddings

@Suite struct EmbeddingsTests {
    /// Hand-made 3-D vectors where queen = king − man + woman exactly.
    let toy = Embeddings(
        words: ["king", "queen", "man", "woman", "apple"], dimension: 3,
        vectors: [1, 1, 0,  1, 0, 1,  0, 1, 0,  0, 0, 1,  -1, -0.2, 0.1])

    @Test func cosineNeighboursAndAnalogies() throws {
        let kq = try toy.cosine("king", "queen"), mw = try toy.cosine("man", "woman")
        #expect(abs(kq - 0.5) < 1e-12 && abs(mw) < 1e-12)
        let n = try toy.neighbors(of: "king", count: 2)
        #expect(n.map(\.word) == ["man", "queen"] || n.map(\.word) == ["queen", "man"])
        #expect(n.count == 2 && !n.contains { $0.word == "king" })
        let answer = try toy.analogy("man", "woman", "king", count: 1)
        #expect(answer.first?.word == "queen")
        #expect(throws: EmbeddingsError.unknownWord("prince")) { try toy.neighbors(of: "prince") }
        #expect(throws: EmbeddingsError.unknownWord("x")) { try toy.analogy("king", "x", "man") }
    }

    func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("w2v-test-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
    }

    @Test func saveLoadRoundTripIsExact() throws {
        var rng = SeededRandom(seed: 9)
        let e = Embeddings(words: ["a", "o'er", "thee"], dimension: 5,
                           vectors: (0..<15).map { _ in Float(rng.normal()) * 1e-3 })
        let url = temporaryURL("roundtrip.txt")
        defer { try? FileManager.default.removeItem(at: url) }
        try e.saveText(to: url)
        let back = try Embeddings.loadText(url)
        #expect(back.words == e.words && back.dimension == 5)
        #expect(back.vectors.map(\.bitPattern) == e.vectors.map(\.bitPattern))
        let saved = try String(contentsOf: url, encoding: .utf8)
        #expect(saved.hasPrefix("3 5\na "))
        // No temporary file is left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
            .filter { $0.contains(url.lastPathComponent + ".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func corruptFilesThrowNamedErrors() throws {
        #expect(throws: EmbeddingsError.missingFile(path: "/nonexistent/v.txt")) {
            try Embeddings.loadText(URL(fileURLWithPath: "/nonexistent/v.txt"))
        }
        let cases: [(String, EmbeddingsError)] = [
            ("", .badHeader(path: "f", found: "")),
            ("two 3\n", .badHeader(path: "f", found: "two 3")),
            ("1 0\n", .badHeader(path: "f", found: "1 0")),
            ("2 2\na 1 2\nb 3\n", .wrongValueCount(path: "f", line: 3, word: "b", expected: 2, found: 1)),
            ("1 2\na 1 x\n", .notANumber(path: "f", line: 2, word: "a", value: "x")),
            ("1 2\na 1 nan\n", .notANumber(path: "f", line: 2, word: "a", value: "nan")),
            ("2 1\na 1\na 2\n", .duplicateWord(path: "f", line: 3, word: "a")),
            ("3 1\na 1\nb 2\n", .wrongWordCount(path: "f", expected: 3, found: 2)),
        ]
        for (text, expected) in cases {
            #expect(throws: expected, "input \(text.debugDescription)") { try Embeddings.parse(text, path: "f") }
        }
        #expect(EmbeddingsError.wrongValueCount(path: "v.txt", line: 3, word: "b", expected: 2, found: 1).description
            == "v.txt, line 3: 'b' has 1 values, expected 2")
        // The C tool's layout (trailing space) loads.
        let c = try Embeddings.parse("2 2\n</s> 0.1 0.2 \nking 1 -1 \n", path: "f")
        #expect(c.words == ["</s>", "king"] && c.vectors == [0.1, 0.2, 1, -1])
    }
}
