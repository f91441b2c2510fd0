// `--quantize int8` on serve and generate, and `backprop quantize`: text
// models switch to their int8 decoders, other models and unknown formats are
// errors naming the problem.

@testable import BackpropCLI
import BackpropCore
import Foundation
import Storage
import ModelAsAService
import RecurrentNetworks
import Testing
import Transformer

@Suite struct QuantizeCLITests {
    static func directory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quantize-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("serve and generate --quantize int8 use the int8 decoders; a classifier or 'int4' is refused")
    func quantizeFlag() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (kind, checkpoint) in try SampleCheckpoints.all() where ["char-rnn", "gpt", "mlp"].contains(kind) {
            let url = dir.appendingPathComponent("\(kind).ckpt")
            try checkpoint.write(to: url)
            if kind == "mlp" {
                #expect(throws: QuantizationError.self) {
                    try ServeCommand.loadModel(path: url.path, configuration: ModelServerConfiguration(), format: .int8)
                }
                continue
            }
            let server = try ServeCommand.loadModel(path: url.path, configuration: ModelServerConfiguration(), format: .int8)
            #expect(server.generator?.info.quantization?.scheme == "int8" && server.generator?.info.kind == kind)
            server.stop()
            try BackpropTool.run(["generate", "--model", url.path, "--length", "3", "--quantize", "int8"])
            let error = #expect(throws: QuantizationError.self) {
                try BackpropTool.run(["generate", "--model", url.path, "--length", "3", "--quantize", "int4"])
            }
            #expect(error?.description.contains("unknown weight format 'int4'; known: float32, int8") == true)
        }
    }

    @Test("backprop quantize scores a GPT on tinyshakespeare's test part; a model without a vocabulary is refused")
    func quantizeCommand() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let vocabulary = try CharacterCorpus.shakespeare().vocabulary
        let gpt = try GPT<Float>(config: try GPTConfig(vocabulary: vocabulary, context: 8, layers: 1, heads: 2, width: 8), seed: 931)
        let url = dir.appendingPathComponent("gpt.ckpt")
        try gpt.checkpoint().write(to: url)
        try BackpropTool.run(["quantize", "--model", url.path, "--held-out", "20", "--length", "4", "--runs", "1", "--json"])
        let mlp = dir.appendingPathComponent("mlp.ckpt")
        try #require(try SampleCheckpoints.all().first { $0.kind == "mlp" }).checkpoint.write(to: mlp)
        #expect(throws: UsageError.self) { try BackpropTool.run(["quantize", "--model", mlp.path]) }
    }
}
