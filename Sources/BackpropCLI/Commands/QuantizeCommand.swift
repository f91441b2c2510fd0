// `backprop quantize --model PATH`: what int8 weights cost and save for a
// trained GPT, char-LSTM or Llama: weight bytes, greedy generation speed
// (float32 and int8 runs alternating) and the loss on held-out text (the test
// part of tinyshakespeare, 5% at the end, which training never reads), per
// format; the Llama's in nats per BPE token and bits per character.

import BackpropCore
import Foundation
import Storage
import ModelAsAService
import RecurrentNetworks
import TokensAndTheModernLLM

enum QuantizeCommand {
    static let command = Command(
        "quantize", summary: "int8 vs float32 for a text model: weight bytes, tokens/s, held-out loss",
        flags: [
            Flag(name: "model", value: "PATH", help: "a gpt, char-rnn (LSTM) or llama checkpoint", required: true),
            Flag(name: "held-out", value: "N", help: "characters of tinyshakespeare's test part to score (default 10000)"),
            Flag(name: "length", value: "N", help: "tokens generated per timed run (default 512)"),
            Flag(name: "runs", value: "N", help: "timed runs of each format, alternating (default 5)"),
            Flag(name: "json", value: nil, help: "one JSON object per line instead of a table"),
        ],
        details: "Build with -c release. Held-out loss is nats (and bits) per character (the llama: nats per token, bits per character) with the model fed one token at a time, "
            + "as when it generates; tokens/s is the best run, spread = (worst − best) / best."
    ) { try run($0) }

    static func run(_ args: Arguments) throws {
        guard let path = args.string("model") else { throw args.error("--model PATH is required") }
        let checkpoint = try Checkpoint.load(URL(fileURLWithPath: path))
        let corpus = try CharacterCorpus.shakespeare()
        let n = try args.int("held-out", default: 10000, range: 2...corpus.test.count)
        let count = try args.int("length", default: 512), runs = try args.int("runs", default: 5)
        if checkpoint.kind == Llama<Float>.checkpointKind {       // its own tokenizer: nats per token, bits per character
            return show(rows: try QuantizationBenchmark.tradeOff(llama: checkpoint, heldOutCharacters: n, count: count, runs: runs), args)
        }
        let text = try corpus.vocabulary.decode(Array(corpus.test.prefix(n)))
        guard case .string(let characters)? = checkpoint.config.first(where: { $0.0 == "vocabulary" })?.1 else {
            throw UsageError("backprop quantize: \(path) records no character vocabulary (a gpt, char-rnn or llama checkpoint is needed)")
        }
        let heldOut = try CharacterVocabulary(characters: Array(characters)).encode(text)
        show(rows: try QuantizationBenchmark.tradeOff(checkpoint, heldOut: heldOut, count: count, runs: runs), args)
    }

    static func show(rows: [QuantizationBenchmark.TradeOff], _ args: Arguments) {
        if args.has("json") { rows.forEach { Swift.print($0.json.rendered) }; return }
        Swift.print(TextTable.render(header: ["model", "weights", "bytes", "tokens/s (spread)", "held-out nats/\(rows.first?.unit ?? "char")", "bits/char"], rows: rows.map {
            [$0.kind, $0.format, String($0.weightBytes), String(format: "%.0f (%.0f%%)", $0.tokensPerSecond, $0.spread * 100),
             String(format: "%.4f", $0.heldOutNats), String(format: "%.4f", $0.bitsPerCharacter)]
        }))
    }
}
