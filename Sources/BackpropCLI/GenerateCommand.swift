// `backprop generate`: text from a saved GPT (chapter 6), streamed as it is sampled.

import BackpropCore
import Foundation
import RecurrentNetworks
import Transformers

enum GenerateCommand {
    static let flags = [
        Flag(name: "model", value: "PATH", help: "a checkpoint written by `backprop train gpt --save PATH` (required)"),
        Flag(name: "prompt", value: "TEXT", help: "text to continue (default: start from a newline)"),
        Flag(name: "length", value: "N", help: "characters to generate (default 500)"),
        Flag(name: "temperature", value: "T", help: "sampling temperature; 0 is greedy (default 0.8)"),
        Flag(name: "top-k", value: "K", help: "sample only among the K most likely characters"),
        Flag(name: "seed", value: "S", help: "random seed for sampling (default 42)"),
        Flag(name: "no-cache", value: nil, help: "recompute the whole window for every character instead of using the KV cache"),
    ]

    static func run(_ words: [String]) throws {
        let args = try Arguments(command: "generate", words: words, flags: flags)
        if args.wantsHelp {
            print(helpText(usage: "backprop generate --model PATH [--prompt TEXT] [--length N] [--temperature T] [--top-k K] [--seed S] [--no-cache]",
                           summary: "Generate text with a trained GPT, one character at a time.", flags: flags))
            return
        }
        guard args.positionals.isEmpty else { throw UsageError("backprop generate: unexpected argument '\(args.positionals[0])'") }
        guard let path = args.string("model") else {
            throw UsageError("backprop generate: --model PATH is required (train one with `backprop train gpt --save PATH`)")
        }
        let length = try args.int("length", default: 500, range: 0...1_000_000)
        var temperature = 0.8
        if let text = args.string("temperature") {
            guard let t = Double(text), t.isFinite, t >= 0 else {
                throw UsageError("backprop generate: --temperature expects a number ≥ 0, got '\(text)'")
            }
            temperature = t
        }
        let topK = args.string("top-k") == nil ? nil : try args.int("top-k", default: 1)
        let sampling = try SamplingOptions(temperature: temperature, topK: topK)
        var rng = SeededRandom(seed: try args.seed())
        let model = try GPT<Float>(checkpoint: try Checkpoint.load(URL(fileURLWithPath: path)))
        let prompt = args.string("prompt") ?? ""
        let vocabulary = model.config.vocabulary
        var start = try vocabulary.encode(prompt)
        if start.isEmpty { start = [(try? vocabulary.encode("\n"))?.first ?? 0] }
        FileHandle.standardOutput.write(Data(prompt.utf8))
        let began = Date()
        _ = try model.generateTokens(prompt: start, count: length, sampling: sampling, rng: &rng, useCache: !args.has("no-cache")) { t in
            FileHandle.standardOutput.write(Data(try vocabulary.decode([t]).utf8))
        }
        let seconds = Date().timeIntervalSince(began)
        print("")
        FileHandle.standardError.write(Data(String(format: "(%d characters in %.2f s, %.0f per second%@)\n", length, seconds,
                                                   Double(length) / max(seconds, 1e-9), args.has("no-cache") ? ", no KV cache" : "").utf8))
    }
}
