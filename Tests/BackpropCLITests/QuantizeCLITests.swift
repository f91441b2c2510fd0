// `--quantize int8` on serve and generate, and `backprop quantize`: text
// models (char-LSTM, GPT, llama) switch to their int8 decoders, the GPT's
// batched by the continuous batcher, other models and unknown formats are
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
        for (kind, checkpoint) in try SampleCheckpoints.all() where ["char-rnn", "gpt", "llama", "mlp"].contains(kind) {
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
            if kind == "gpt" { #expect(server.generator is ContinuousQuantizedGPTGenerator) }    // int8 batches too
            if kind == "llama" { #expect(server.generator is QuantizedLlamaGenerator) }
            server.stop()
            try BackpropTool.run(["generate", "--model", url.path, "--length", "3", "--quantize", "int8"])
            let error = #expect(throws: QuantizationError.self) {
                try BackpropTool.run(["generate", "--model", url.path, "--length", "3", "--quantize", "int4"])
            }
            #expect(error?.description.contains("unknown weight format 'int4'; known: float32, int8") == true)
        }
    }

    @Test("backprop quantize scores a GPT and a llama on tinyshakespeare's test part; a model without a vocabulary is refused")
    func quantizeCommand() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let vocabulary = try CharacterCorpus.shakespeare().vocabulary
        let gpt = try GPT<Float>(config: try GPTConfig(vocabulary: vocabulary, context: 8, layers: 1, heads: 2, width: 8), seed: 931)
        let url = dir.appendingPathComponent("gpt.ckpt")
        try gpt.checkpoint().write(to: url)
        try BackpropTool.run(["quantize", "--model", url.path, "--held-out", "20", "--length", "4", "--runs", "1", "--json"])
        // a llama: its own tokenizer, nats per token and bits per character
        let llama = dir.appendingPathComponent("llama.ckpt")
        try #require(try SampleCheckpoints.all().first { $0.kind == "llama" }).checkpoint.write(to: llama)
        try BackpropTool.run(["quantize", "--model", llama.path, "--held-out", "40", "--length", "4", "--runs", "1"])
        let rows = try QuantizationBenchmark.tradeOff(llama: try Checkpoint.load(llama), heldOutCharacters: 40, count: 2, runs: 1)
        #expect(rows.map(\.format) == ["float32", "int8"] && rows.allSatisfy { $0.unit == "token" && $0.charactersPerToken >= 1 })
        #expect(rows[1].weightBytes < rows[0].weightBytes && abs(rows[1].heldOutNats - rows[0].heldOutNats) < 0.1)
        #expect(abs(rows[0].bitsPerCharacter - rows[0].heldOutNats / rows[0].charactersPerToken / Foundation.log(2.0)) < 1e-12)
        let mlp = dir.appendingPathComponent("mlp.ckpt")
        try #require(try SampleCheckpoints.all().first { $0.kind == "mlp" }).checkpoint.write(to: mlp)
        #expect(throws: UsageError.self) { try BackpropTool.run(["quantize", "--model", mlp.path]) }
    }
}
