// Chapter 8's model on the command line: `backprop train llama` (a BPE
// trained first on the training split, or GPT-2's tokenizer, then the
// Llama-style model with chapter 7's schedule; bits per character on the
// held-out text), and the adapter through which `generate` samples from a
// llama checkpoint (chapter 9's registry does not list the kind yet).

import BackpropCore
import Foundation
import ModelAsAService
import RecurrentNetworks
import Storage
import TokensAndTheModernLLM

/// `backprop train llama`.
enum TrainLlamaCommand {
    static let command: Command = {
        let d = LlamaRunOptions()
        return Command(
            "train llama",
            summary: "the Llama-style model on tinyshakespeare's BPE tokens; bits per character on held-out text",
            flags: [
                Flag(name: "corpus", value: "PATH", help: "UTF-8 text file (default: the bundled tinyshakespeare)"),
                Flag(name: "vocab-size", value: "N", help: "BPE vocabulary trained first on the training split (default \(d.vocabularySize ?? 0))"),
                Flag(name: "tokenizer", choices: ["bpe", "gpt2"], help: "train a BPE (default) or use GPT-2's 50,257 tokens"),
                Flag(name: "layers", value: "N", help: "Llama blocks (default \(d.layers))"),
                Flag(name: "heads", value: "N", help: "query heads; must divide the width into even head widths (default \(d.heads))"),
                Flag(name: "kv-heads", value: "N", help: "shared key/value heads; must divide the heads (default \(d.kvHeads))"),
                Flag(name: "width", value: "N", help: "width C of the residual stream (default \(d.width))"),
                Flag(name: "context", value: "N", help: "context length T in tokens (default \(d.context))"),
                .batch(default: d.training.batch, of: "sequences per step"),
                .steps(default: d.training.steps),
                .learningRate(default: d.training.learningRate,
                              "peak learning rate, after a warm-up of \(d.training.warmup) steps (at most a tenth of the run), decaying to lr/10"),
                .backend, .seed(default: d.training.seed, "initialisation and batches"), .save, .json,
            ],
            details: "The text is cut as chapter 7's (90% training, 5% validation, 5% test, by characters); the BPE is trained "
                + "on the training part only. The held-out parts are reported in bits per character (total nats over the "
                + "predicted tokens / the characters they spell / ln 2), comparable with `train gpt`'s loss / ln 2."
        ) { args in
            var o = LlamaRunOptions(seed: try args.seed(default: d.training.seed))
            let tokenizer = try args.choice("tokenizer", from: ["bpe", "gpt2"], default: "bpe")
            o.vocabularySize = tokenizer == "gpt2" ? nil : try args.int("vocab-size", default: d.vocabularySize ?? 512, range: 257...65_536)
            o.layers = try args.int("layers", default: o.layers, range: 1...64)
            o.heads = try args.int("heads", default: o.heads, range: 1...64)
            o.kvHeads = try args.int("kv-heads", default: o.kvHeads, range: 1...64)
            o.width = try args.int("width", default: o.width, range: 2...4096)
            o.context = try args.int("context", default: o.context, range: 1...4096)
            o.training.batch = try args.int("batch", default: o.training.batch, range: 1...4096)
            o.training.fitSchedule(steps: try args.int("steps", default: o.training.steps),
                                   learningRate: try args.double("lr", default: o.training.learningRate))
            o.backend = try args.backend()
            do { _ = try LlamaConfig(vocabularySize: 300, context: o.context, layers: o.layers, width: o.width, heads: o.heads, kvHeads: o.kvHeads) } catch {
                throw args.error("\(error)")
            }
            var text: String?
            if let path = args.string("corpus") {
                guard let data = FileManager.default.contents(atPath: path) else { throw args.error("cannot read the corpus \(path)") }
                text = String(decoding: data, as: UTF8.self)
            }
            let progress = ProgressLine("  step", total: o.training.steps, unit: "steps")
            let run = try Chapter8.runLlama(o, text: text, progress: { t, loss, rate in
                progress.update(t, note: String(format: "loss %.3f  %.0f tok/s", loss, rate))
            }, evaluated: { point in
                if !args.has("json") || isatty(STDOUT_FILENO) == 1 {
                    progress.finish()
                    print(String(format: "  step %5d  train loss %.4f  val loss %.4f (nats/token)", point.iteration, point.trainLoss,
                                 point.validationLoss ?? .nan))
                }
            })
            progress.finish()
            if let path = args.string("save") {
                try run.model.save(to: URL(fileURLWithPath: path), metadata: [("steps", .integer(o.training.steps)),
                                                                              ("seed", .integer(Int(o.training.seed)))])
                print("saved the model and its tokenizer to \(path)")
            }
            print(String(format: "%d parameters (%@, %d training tokens), %.1f ms/step, %.0f tokens/s; KV cache %d bytes per position (multi-head: %d)",
                         run.model.parameterCount, run.corpus.tokenizer.name, run.corpus.train.count, run.result.millisecondsPerStep,
                         run.result.tokensPerSecond, run.model.config.kvCacheScalars(length: 1) * 4,
                         2 * o.layers * o.width * 4))
            print(ResultsTable.render([run.summary]))
            if args.has("json") { print(run.summary.json) }
        }
    }()
}

/// A llama checkpoint as a text generator for `generate` (and, once chapter
/// 9 registers the kind, for `serve`): the prompt is encoded with the
/// tokenizer the checkpoint records, and the tokens are streamed as text.
struct LlamaGenerator: TextGenerating {
    let model: Llama<Float>
    let tokenizer: any TextTokenizer
    let info: ModelInfo
    var usesKVCache = true
    var topP: Double?

    init(checkpoint: Checkpoint) throws {
        model = try Llama<Float>(checkpoint: checkpoint)
        guard let recorded = model.tokenizer else {
            throw CheckpointError.badConfig(path: checkpoint.path, key: "tokenizer", reason: "is \"none\": the model cannot read a prompt")
        }
        tokenizer = try recorded.make()
        info = ModelInfo(checkpoint: checkpoint, parameterCount: model.parameterCount)
    }

    func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                  onToken: (String) throws -> Void) throws -> String {
        var ids = tokenizer.encode(prompt)
        if ids.isEmpty { ids = tokenizer.encode("\n") }
        let options = try LlamaSampling(sampling, topP: topP)
        let out = try model.generateTokens(prompt: ids, count: maxTokens, sampling: options, rng: &rng, useKVCache: usesKVCache) { t in
            try onToken(try tokenizer.decode([t]))
        }
        return try tokenizer.decode(out)
    }
}
