// `backprop generate`: text from any saved text generator (chapter 6's
// char-rnn, chapter 7's GPT), loaded through chapter 9's model registry and
// streamed as it is sampled. `backprop sample` (chapter 6's name) is the same
// command; each chapter lists it under its own name.

import BackpropCore
import Foundation
import Storage
import ModelAsAService
import RecurrentNetworks
import TokensAndTheModernLLM

enum GenerateCommand {
    static let flags = [
        Flag(name: "model", value: "PATH", help: "a checkpoint written by `backprop train char-rnn|gpt|llama --save PATH`", required: true),
        Flag(name: "prompt", value: "TEXT", help: "text to continue (default: start from a newline)"),
        Flag(name: "length", value: "N", help: "characters to generate (default 500)"),
        Flag(name: "temperature", value: "T", help: "sampling temperature; 0 is greedy (default 0.8)"),
        Flag(name: "top-k", value: "K", help: "sample only among the K most likely characters"),
        Flag(name: "top-p", value: "P", help: "llama only: sample from the smallest set of tokens whose probability reaches P (nucleus)"),
        .seed(default: 42, "sampling"),
        Flag(name: "no-cache", value: nil, help: "GPT and llama: recompute the whole window for every character instead of using the KV cache"),
        Flag(name: "quantize", value: "int8", help: "GPT, char-LSTM and llama: generate with int8 weights (default float32)"),
    ]

    /// The command under the name a chapter gives it ("generate", "sample").
    static func command(named name: String, summary: String) -> Command {
        Command(name, summary: summary, flags: flags,
                details: "Works with a saved char-rnn (chapter 6) or GPT (chapter 7), one character at a time, or a llama (chapter 8), "
                    + "one BPE token at a time, streamed as it is drawn; --length counts characters or tokens.") {
            try run($0)
        }
    }

    static func run(_ args: Arguments) throws {
        guard let path = args.string("model") else {
            throw args.error("--model PATH is required (train one with `backprop train char-rnn|gpt|llama --save PATH`)")
        }
        let length = try args.int("length", default: 500, range: 0...1_000_000)
        var temperature = 0.8
        if let text = args.string("temperature") {
            guard let t = Double(text), t.isFinite, t >= 0 else {
                throw args.error("--temperature expects a number ≥ 0, got '\(text)'")
            }
            temperature = t
        }
        let topK = args.string("top-k") == nil ? nil : try args.int("top-k", default: 1)
        let sampling = try SamplingOptions(temperature: temperature, topK: topK)
        var rng = SeededRandom(seed: try args.seed())
        var topP: Double?
        if let text = args.string("top-p") {
            guard let p = Double(text), p > 0, p <= 1 else { throw args.error("--top-p expects a number in (0, 1], got '\(text)'") }
            topP = p
        }
        let format = try args.string("quantize").map { try WeightFormat(parsing: $0) } ?? .float32
        if format != .float32 && args.has("no-cache") { throw args.error("--quantize decodes with the KV cache; drop --no-cache") }
        var generator = try loadGenerator(path: path, noCache: args.has("no-cache"), topP: topP, command: args.command)
        if case .generator(let quantized) = try format.apply(to: .generator(generator), releasingFloatWeights: true) { generator = quantized }
        let prompt = args.string("prompt") ?? ""
        try generator.validate(prompt: prompt)
        // Unbuffered writes, so each character appears as it is drawn.
        let out = FileHandle.standardOutput
        out.write(Data(prompt.utf8))
        let began = Date()
        _ = try generator.generate(prompt: prompt, maxTokens: length, sampling: sampling, rng: &rng) { out.write(Data($0.utf8)) }
        let seconds = Date().timeIntervalSince(began)
        out.write(Data("\n".utf8))
        let notes = (args.has("no-cache") ? ", no KV cache" : "") + (generator.info.quantization.map { ", \($0.scheme) weights" } ?? "")
        FileHandle.standardError.write(Data(String(format: "(%@: %d %@ in %.2f s, %.0f per second%@)\n", generator.info.kind, length,
                                                   generator.info.kind == "llama" ? "tokens" : "characters",
                                                   seconds, Double(length) / max(seconds, 1e-9), notes).utf8))
    }

    /// The text generator a checkpoint holds, through the registry.
    /// - Throws: `CheckpointError` for a bad file; `UsageError` for a model
    ///   that does not generate text, or `--no-cache` with a model without a KV cache.
    static func loadGenerator(path: String, noCache: Bool, topP: Double? = nil, command: String = "generate") throws -> any TextGenerating {
        guard case .generator(let generator) = try ModelRegistry.open(URL(fileURLWithPath: path)) else {
            let kind = (try? Checkpoint.load(URL(fileURLWithPath: path)).kind) ?? "?"
            throw UsageError("backprop \(command): \(path) holds a '\(kind)' model, which does not generate text; "
                             + "use `backprop predict --model PATH` (generators: char-rnn, gpt, llama)")
        }
        if var llama = generator as? LlamaGenerator {
            llama.usesKVCache = !noCache
            llama.topP = topP
            return llama
        }
        guard topP == nil else {
            throw UsageError("backprop \(command): --top-p applies to llama checkpoints (chapter 8)")
        }
        guard noCache else { return generator }
        guard var gpt = generator as? GPTGenerator else {
            throw UsageError("backprop \(command): --no-cache applies to GPT checkpoints (the KV cache); a '\(generator.info.kind)' "
                             + "model carries a fixed-size recurrent state instead")
        }
        gpt.usesKVCache = false
        return gpt
    }
}
