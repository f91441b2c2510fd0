// Command lines of chapter 4: `train word2vec`, `neighbors`, `analogy`.

import Foundation
import Testing
@testable import BackpropCLI

@Suite struct Word2VecCLITests {
    @Test("bad word2vec command lines are usage errors", arguments: [
        (["train", "word2vec", "--model", "skip"], "--model must be one of sgns, cbow"),
        (["train", "word2vec", "--dim", "0"], "--dim expects an integer"),
        (["train", "word2vec", "--sample", "-1"], "--sample expects a number ≥ 0"),
        (["train", "word2vec", "--backend", "gpu"], "--backend must be one of naive, simd"),
        (["train", "word2vec", "extra"], "unexpected argument 'extra'"),
        (["neighbors", "king"], "--embeddings PATH is required"),
        (["neighbors", "--embeddings", "/tmp/x.txt"], "which words?"),
        (["analogy", "--embeddings", "/tmp/x.txt", "a", "b"], "expected three words"),
        (["bench", "word3vec"], "unknown benchmark 'word3vec'"),
    ])
    func usageErrors(words: [String], message: String) {
        let error = #expect(throws: UsageError.self) { try BackpropTool.run(words) }
        #expect(error?.description.contains(message) == true, "got: \(String(describing: error))")
    }

    @Test(arguments: [["train", "word2vec", "--help"], ["neighbors", "--help"], ["analogy", "--help"]])
    func helpWorks(words: [String]) throws { try BackpropTool.run(words) }

    @Test func missingFilesAndUnknownWordsAreErrorsNotCrashes() throws {
        let missing = #expect(throws: (any Error).self) {
            try BackpropTool.run(["neighbors", "--embeddings", "/nonexistent/vectors.txt", "king"])
        }
        #expect("\(missing!)".contains("no embeddings file"))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cli-w2v-\(ProcessInfo.processInfo.processIdentifier).txt")
        try "2 2\nking 1 0\nqueen 0 1\n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let unknown = #expect(throws: (any Error).self) { try BackpropTool.run(["neighbors", "--embeddings", url.path, "prince"]) }
        #expect("\(unknown!)".contains("'prince' is not in the vocabulary"))
        try BackpropTool.run(["neighbors", "--embeddings", url.path, "king", "--count", "1"])
        let corpus = #expect(throws: (any Error).self) { try BackpropTool.run(["train", "word2vec", "--corpus", "/nonexistent/text.txt"]) }
        #expect("\(corpus!)".contains("cannot read corpus"))
    }
}
