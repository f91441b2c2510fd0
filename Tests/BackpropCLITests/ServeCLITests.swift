// `backprop serve`: bad command lines and unusable checkpoints are errors
// naming the problem (the server itself is tested in ModelAsAServiceTests).

@testable import BackpropCLI
import BackpropCore
import Foundation
import Storage
import ModelAsAService
import Testing

@Suite struct ServeCLITests {
    @Test("bad serve command lines are usage errors", arguments: [
        (["serve"], "give --model PATH or --demo"),
        (["serve", "--demo", "--port", "70000"], "--port expects an integer in 0…65535"),
        (["serve", "--demo", "--max-batch", "0"], "--max-batch expects an integer"),
        (["serve", "--demo", "--max-connections", "x"], "--max-connections expects an integer"),
        (["serve", "extra"], "unexpected argument 'extra'"),
    ])
    func usageErrors(words: [String], message: String) {
        let error = #expect(throws: UsageError.self) { try BackpropTool.run(words) }
        #expect(error?.description.contains(message) == true, "got: \(String(describing: error))")
    }

    @Test("--demo with --model takes a text model beside the demo's classifier; anything else is refused before training")
    func demoBesideATextModel() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("serve-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("mlp.ckpt")
        try SampleCheckpoints.all().first { $0.0 == "mlp" }!.1.write(to: url)
        let error = #expect(throws: UsageError.self) { try BackpropTool.run(["serve", "--demo", "--model", url.path]) }
        #expect(error?.description.contains("with --demo, --model must be a text model") == true, "got: \(String(describing: error))")
        #expect(throws: CheckpointError.self) { try BackpropTool.run(["serve", "--demo", "--model", dir.appendingPathComponent("none.ckpt").path]) }
    }

    @Test func serveAnswersHelp() throws {
        try BackpropTool.run(["serve", "--help"])
        try BackpropTool.run(["bench", "--help"])
    }

    @Test func benchServeRunsOnlyWhenNamed() {
        #expect(!BenchCommand.selection([]).contains("serve") && BenchCommand.selection([]).contains("mlp"))
        #expect(BenchCommand.selection(["serve"]) == ["serve"])
    }

    @Test func checkpointsAreServedThroughTheRegistryOrRefusedByKind() throws {
        let configuration = ModelServerConfiguration()
        #expect(throws: CheckpointError.self) { try ServeCommand.loadModel(path: "/nonexistent/model.ckpt", configuration: configuration) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("serve-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (kind, checkpoint) in try SampleCheckpoints.all() {
            let url = dir.appendingPathComponent("\(kind).ckpt")
            try checkpoint.write(to: url)
            if kind == "linear" || kind == "word2vec" {
                let error = #expect(throws: UnservableModelError.self) {
                    try ServeCommand.loadModel(path: url.path, configuration: configuration)
                }
                #expect(error?.description.contains("'\(kind)' checkpoint holds") == true)
                #expect(error?.description.contains("backprop predict") == true)
            } else {
                let server = try ServeCommand.loadModel(path: url.path, configuration: configuration)
                if ["char-rnn", "gpt", "llama"].contains(kind) {
                    #expect(server.generator?.info.kind == kind && server.classifier == nil)
                } else {
                    #expect(server.classifier?.info.kind == kind && server.generator == nil)
                }
                server.stop()
            }
        }
    }

    @Test("generate and sample load any generator checkpoint; --no-cache is for GPT only; classifiers are refused")
    func generateLoadsEveryGenerator() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("generate-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (kind, checkpoint) in try SampleCheckpoints.all() where ["char-rnn", "gpt", "llama", "mlp"].contains(kind) {
            let url = dir.appendingPathComponent("\(kind).ckpt")
            try checkpoint.write(to: url)
            switch kind {
            case "mlp":
                let error = #expect(throws: UsageError.self) { try GenerateCommand.loadGenerator(path: url.path, noCache: false) }
                #expect(error?.description.contains("'mlp' model, which does not generate text") == true)
            case "char-rnn":
                #expect(try GenerateCommand.loadGenerator(path: url.path, noCache: false).info.kind == "char-rnn")
                let error = #expect(throws: UsageError.self) { try GenerateCommand.loadGenerator(path: url.path, noCache: true) }
                #expect(error?.description.contains("--no-cache applies to GPT checkpoints") == true)
                try BackpropTool.run(["sample", "--model", url.path, "--length", "3", "--prompt", "ab"])
            case "llama":
                let llama = try #require(try GenerateCommand.loadGenerator(path: url.path, noCache: true, topP: 0.9) as? LlamaGenerator)
                #expect(!llama.usesKVCache && llama.topP == 0.9)
                try BackpropTool.run(["generate", "--model", url.path, "--length", "3", "--top-p", "0.9"])
            default:
                let error = #expect(throws: UsageError.self) { try GenerateCommand.loadGenerator(path: url.path, noCache: false, topP: 0.9) }
                #expect(error?.description.contains("--top-p applies to llama checkpoints") == true)
                let gpt = try #require(try GenerateCommand.loadGenerator(path: url.path, noCache: true) as? GPTGenerator)
                #expect(!gpt.usesKVCache)
                try BackpropTool.run(["generate", "--model", url.path, "--length", "3", "--no-cache"])
            }
        }
    }
}
