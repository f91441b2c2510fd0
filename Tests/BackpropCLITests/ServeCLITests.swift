// `backprop serve`: bad command lines and unusable checkpoints are errors
// naming the problem (the server itself is tested in ModelServingTests).

@testable import BackpropCLI
import BackpropCore
import Foundation
import Testing

@Suite struct ServeCLITests {
    @Test("bad serve command lines are usage errors", arguments: [
        (["serve"], "give either --model PATH or --demo"),
        (["serve", "--model", "a", "--demo"], "give either --model PATH or --demo"),
        (["serve", "--demo", "--port", "70000"], "--port expects an integer in 0…65535"),
        (["serve", "--demo", "--max-batch", "0"], "--max-batch expects an integer"),
        (["serve", "--demo", "--max-connections", "x"], "--max-connections expects an integer"),
        (["serve", "extra"], "unexpected argument 'extra'"),
    ])
    func usageErrors(words: [String], message: String) {
        let error = #expect(throws: UsageError.self) { try BackpropCLI.run(words) }
        #expect(error?.description.contains(message) == true, "got: \(String(describing: error))")
    }

    @Test func serveAnswersHelp() throws {
        try BackpropCLI.run(["serve", "--help"])
        try BackpropCLI.run(["bench", "--help"])
    }

    @Test func checkpointsThatCannotBeServedAreNamed() throws {
        #expect(throws: CheckpointError.self) { try ServeCommand.loadModel(path: "/nonexistent/model.json") }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("serve-cli-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Checkpoint(model: "word2vec", tensors: []).write(to: url)
        let error = #expect(throws: UsageError.self) { try ServeCommand.loadModel(path: url.path) }
        #expect(error?.description.contains("serving 'word2vec' checkpoints is not yet supported") == true)
    }
}
