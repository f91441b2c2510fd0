// Chapter 8, tokens and the modern LLM: `train bpe` (a byte-level BPE
// trained on tinyshakespeare or a text file, saved in the text format of
// BPEFile.swift), `tokenize` (text to ids and back, with GPT-2's tokenizer
// or a saved BPE), `train llama` (08-llama.swift), its tour runs and the
// `tokenizer`, `llama` and `llama-ablation` benchmarks.

import BackpropCore
import Foundation
import TokensAndTheModernLLM

extension BookChapter {
    static let tokensAndTheModernLLM = BookChapter(
        number: 8, title: "tokens and the modern LLM",
        tour: { Chapter8.tour(seed: $0) + [Chapter8.llamaTour(seed: $0)] },
        untrainedFigures: { try Chapter8Figures.untrained() },
        trainedFigures: { try Chapter8Figures.trained() },
        benchmarks: [Benchmark("tokenizer", bytesPerCall: { try TokenizerBenchmark.bytes(quick: $0.quick) }) {
            try TokenizerBenchmark.run(quick: $0.quick)
        }, Benchmark("llama") { try LlamaBenchmark.run(quick: $0.quick) },
                     Benchmark("llama-ablation", runsByDefault: false) { try LlamaAblationBenchmark.run(quick: $0.quick) }],
        models: [TrainBPECommand.command, TrainLlamaCommand.command],
        commands: [TokenizeCommand.command, FinetuneCommand.command])
}

/// `backprop train bpe`.
enum TrainBPECommand {
    static let command: Command = {
        let d = BPETrainingOptions()
        return Command(
            "train bpe",
            summary: "a byte-level BPE tokenizer; reports bytes per token on held-out text",
            flags: [
                Flag(name: "corpus", value: "PATH", help: "UTF-8 text file (default: the bundled tinyshakespeare)"),
                Flag(name: "vocab-size", value: "N", help: "256 byte tokens + N − 256 merges; special tokens come on top (default \(d.vocabularySize))"),
                Flag(name: "pre-tokenization", choices: PreTokenization.allCases.map(\.rawValue),
                     help: "cut words by GPT-2's pattern first, or merge across words (default \(d.preTokenization.rawValue))"),
                .seed(default: 42, "nothing: training is deterministic (ties go to the smaller ids); accepted like every train model"),
                Flag(name: "save", value: "PATH", help: "write the merges to PATH in the text format `backprop tokenize --tokenizer PATH` reads"),
                .json,
            ],
            details: "The text is split in order: the first 90% of its characters to train on, the rest held out to measure "
                + "bytes per token. The special token \(GPT2Tokenizer.endOfText) gets the id after the merges."
        ) { args in
            _ = try args.seed()
            var o = BPETrainingOptions()
            o.vocabularySize = try args.int("vocab-size", default: o.vocabularySize, range: 256...1 << 24)
            if let p = try args.choice("pre-tokenization", from: PreTokenization.allCases.map(\.rawValue), default: nil) {
                o.preTokenization = PreTokenization(rawValue: p)!
            }
            let name: String, split: TextSplit
            if let path = args.string("corpus") {
                guard let data = FileManager.default.contents(atPath: path) else { throw args.error("cannot read the corpus \(path)") }
                name = URL(fileURLWithPath: path).lastPathComponent
                split = TextSplit(String(decoding: data, as: UTF8.self))
            } else {
                name = "tinyshakespeare"
                split = try TextSplit.shakespeare()
            }
            let (bpe, report, result) = try Chapter8.trainAndMeasure(o, split: split)
            if let path = args.string("save") {
                try bpe.save(to: URL(fileURLWithPath: path))
                print("saved \(bpe.merges.count) merges to \(path)")
            }
            print(String(format: "%d merges from %d bytes (%d distinct words) in %.2f s; training text %d → %d tokens",
                         bpe.merges.count, report.bytes, report.words, report.seconds, report.bytes, report.tokens))
            let first = try (0..<min(12, bpe.merges.count)).map { String(decoding: try bpe.bytes(of: 256 + $0), as: UTF8.self).debugDescription }
            print("first merges: " + first.joined(separator: " "))
            print(String(format: "held-out text: %d bytes → %d tokens, %.3f bytes per token", result.heldOutBytes, result.heldOutTokens, result.bytesPerToken))
            var summary = Chapter8.summary(result, model: "bpe", details: [("merges", .integer(bpe.merges.count)),
                                                                           ("pre_tokenization", .string(o.preTokenization.rawValue))])
            summary.dataset = name
            print(ResultsTable.render([summary]))
            if args.has("json") { print(summary.json) }
        }
    }()
}

/// `backprop tokenize`.
enum TokenizeCommand {
    static let command = Command(
        "tokenize", summary: "text to token ids (or ids to text) with GPT-2's tokenizer or a trained BPE",
        positionals: "[TEXT…]",
        flags: [
            Flag(name: "tokenizer", value: "gpt2|PATH", help: "GPT-2's (default) or a BPE saved by `backprop train bpe --save PATH`"),
            Flag(name: "decode", value: nil, help: "read token ids and print the text they stand for"),
            Flag(name: "allow-special", value: nil, help: "encode \(GPT2Tokenizer.endOfText) in the text as its special id, not as text"),
            Flag(name: "json", value: nil, help: "print one JSON object: the ids, the tokens as text, bytes and token counts"),
        ],
        details: "The text is the arguments joined by spaces, or standard input if there are none. With --decode, ids "
            + "may be separated by spaces, commas or brackets; bytes that are not UTF-8 print as U+FFFD."
    ) { args in
        let tokenizer: any TextTokenizer
        let choice = args.string("tokenizer") ?? "gpt2"
        if choice == "gpt2" {
            tokenizer = try GPT2Tokenizer.bundled()
        } else {
            tokenizer = try BPETokenizer.load(URL(fileURLWithPath: choice))
        }
        let input = args.positionals.isEmpty
            ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            : args.positionals.joined(separator: " ")
        if args.has("decode") {
            let words = input.split(whereSeparator: { " ,[]\n\t\r".contains($0) })
            let ids = try words.map { w -> Int in
                guard let id = Int(w) else { throw args.error("'\(w)' is not a token id") }
                return id
            }
            let text = try tokenizer.decode(ids)
            if args.has("json") {
                print(JSONValue.object([("text", .string(text)), ("tokens", .integer(ids.count)),
                                        ("bytes", .integer(try tokenizer.decodeBytes(ids).count))]).rendered)
            } else {
                print(text)
            }
            return
        }
        let ids = tokenizer.encode(input, allowedSpecial: args.has("allow-special") ? [GPT2Tokenizer.endOfText] : [])
        if args.has("json") {
            let pieces = try ids.map { JSONValue.string(try tokenizer.decode([$0])) }
            print(JSONValue.object([("ids", .array(ids.map { .integer($0) })), ("tokens", .array(pieces)),
                                    ("bytes", .integer(input.utf8.count)), ("count", .integer(ids.count))]).rendered)
        } else {
            print(ids.map(String.init).joined(separator: " "))
        }
    }
}
