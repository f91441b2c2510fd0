// Chapter 7's commands: bad flags and files are errors naming the problem;
// a tiny model trains, saves, and generates from its checkpoint.

@testable import BackpropCLI
import BackpropCore
import Foundation
import Storage
import Testing

@Suite struct GPTCLITests {
    @Test("bad GPT command lines are usage errors naming the problem", arguments: [
        (["train", "gpt", "--heads", "3"], "--heads 3 must divide --width 128"),
        (["train", "gpt", "--layers", "0"], "--layers expects an integer"),
        (["train", "gpt", "--lr", "abc"], "--lr expects a positive number"),
        (["train", "gpt", "words"], "unexpected argument 'words'"),
        (["generate"], "--model PATH is required"),
        (["generate", "--model", "x", "--temperature", "-1"], "--temperature expects a number ≥ 0"),
        (["generate", "--model", "x", "--length", "many"], "--length expects an integer"),
    ])
    func usageErrors(words: [String], message: String) {
        let error = #expect(throws: UsageError.self) { try BackpropTool.run(words) }
        #expect(error?.description.contains(message) == true, "got: \(String(describing: error))")
    }

    @Test("generate with a missing checkpoint file is a checkpoint error naming the path")
    func missingFile() {
        let error = #expect(throws: CheckpointError.self) { try BackpropTool.run(["generate", "--model", "/nonexistent/gpt.json"]) }
        #expect("\(String(describing: error))".contains("/nonexistent/gpt.json"))
    }

    @Test("train gpt and generate answer --help", arguments: [["train", "gpt", "--help"], ["generate", "--help"]])
    func help(words: [String]) throws {
        try BackpropTool.run(words)
    }
}
