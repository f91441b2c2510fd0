// Chapter 6's commands: bad flags and missing files are one-line errors.

@testable import BackpropCLI
import BackpropCore
import Foundation
import Storage
import Testing

@Suite struct RecurrentCLITests {
    @Test("chapter 6 usage errors name the problem", arguments: [
        (["train", "char-rnn", "--cell", "transformer"], "--cell must be one of rnn, lstm, gru"),
        (["train", "char-rnn", "--width", "0"], "--width expects an integer"),
        (["train", "char-rnn", "--lr", "-1"], "--lr expects a positive number"),
        (["train", "char-rnn", "extra"], "unexpected argument 'extra'"),
        (["train", "memory", "--cell", "cnn"], "--cell must be one of"),
        (["sample"], "--model PATH is required"),
        (["sample", "--model", "m.json", "--temperature", "hot"], "--temperature expects a number"),
        (["sample", "--model", "m.json", "--top-k", "0"], "--top-k expects an integer"),
    ])
    func usageErrors(words: [String], message: String) {
        let error = #expect(throws: UsageError.self) { try BackpropTool.run(words) }
        #expect(error?.description.contains(message) == true, "got: \(String(describing: error))")
    }

    @Test func missingModelFileIsACheckpointError() {
        let error = #expect(throws: CheckpointError.self) {
            try BackpropTool.run(["sample", "--model", "/nonexistent/char-lstm.json"])
        }
        #expect(error?.description.contains("no such file") == true, "got: \(String(describing: error))")
    }

    @Test("chapter 6 commands answer --help", arguments: [["train", "char-rnn"], ["train", "memory"], ["sample"]])
    func help(words: [String]) throws {
        try BackpropTool.run(words + ["--help"])
    }
}
