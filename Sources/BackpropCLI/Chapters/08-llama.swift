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
                Flag(name: LlamaTokens.optionName, choices: LlamaTokens.names,
                     help: "ablation: BPE tokens (default) or one token per character (chapter 7's vocabulary)"),
                Flag(name: LlamaPositions.optionName, choices: LlamaPositions.names,
                     help: "ablation: RoPE in attention (default) or a learned absolute position embedding (GPT)"),
                Flag(name: LlamaMLPKind.optionName, choices: LlamaMLPKind.names,
                     help: "ablation: SwiGLU (default) or a bias-free GELU MLP of 3/2 the hidden width (the same weights)"),
                Flag(name: LlamaNormKind.optionName, choices: LlamaNormKind.names,
                     help: "ablation: RMSNorm (default) or LayerNorm with β (GPT)"),
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
            o.tokens = try option(args, default: d.tokens)
            if o.tokens == .chars, args.string("tokenizer") != nil || args.string("vocab-size") != nil {
                throw args.error("--tokens chars uses one token per character; --tokenizer and --vocab-size are for BPE tokens")
            }
            o.architecture = LlamaArchitecture(positions: try option(args, default: d.architecture.positions),
                                               mlp: try option(args, default: d.architecture.mlp),
                                               norm: try option(args, default: d.architecture.norm))
            o.layers = try args.int("layers", default: o.layers, range: 1...64)
            o.heads = try args.int("heads", default: o.heads, range: 1...64)
            o.kvHeads = try args.int("kv-heads", default: o.kvHeads, range: 1...64)
            o.width = try args.int("width", default: o.width, range: 2...4096)
            o.context = try args.int("context", default: o.context, range: 1...4096)
            o.training.batch = try args.int("batch", default: o.training.batch, range: 1...4096)
            o.training.fitSchedule(steps: try args.int("steps", default: o.training.steps),
                                   learningRate: try args.double("lr", default: o.training.learningRate))
            o.backend = try args.backend()
            do {
                _ = try LlamaConfig(vocabularySize: 300, context: o.context, layers: o.layers, width: o.width, heads: o.heads, kvHeads: o.kvHeads,
                                    architecture: o.architecture)
            } catch {
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
            print("architecture: \(o.architecture) (positions, MLP, norm)")
            print(String(format: "%d parameters (%@, %d training tokens), %.1f ms/step, %.0f tokens/s; KV cache %d bytes per position (multi-head: %d)",
                         run.model.parameterCount, run.corpus.tokenizer.name, run.corpus.train.count, run.result.millisecondsPerStep,
                         run.result.tokensPerSecond, run.model.config.kvCacheScalars(length: 1) * 4,
                         2 * o.layers * o.width * 4))
            print(ResultsTable.render([run.summary]))
            if args.has("json") { print(run.summary.json) }
        }
    }()
}

/// The ablation switch `O` from its flag (`--positions learned`), or `fallback`.
private func option<O: LlamaOption>(_ args: Arguments, default fallback: O) throws -> O {
    guard let name = try args.choice(O.optionName, from: O.names, default: nil) else { return fallback }
    return try O.named(name)
}

/// `backprop finetune`: a llama checkpoint fine-tuned on one speaker's lines, with LoRA or in full.
enum FinetuneCommand {
    static let command = Command(
        "finetune", summary: "fine-tune a llama checkpoint on one speaker's lines, with LoRA (base frozen) or in full",
        flags: [
            Flag(name: "model", value: "PATH", help: "a checkpoint written by `backprop train llama --save PATH`", required: true),
            Flag(name: "slice", value: "NAME", help: "the speaker whose speeches (blocks starting with a line \"NAME:\") to fine-tune on (default PETRUCHIO)"),
            Flag(name: "lora", value: nil, help: "train low-rank adapters only, then merge them (default: full fine-tuning)"),
            Flag(name: "rank", value: "R", help: "LoRA rank (default 4)"),
            Flag(name: "alpha", value: "A", help: "LoRA scale α; the update is (α/r)·B A (default 8)"),
            Flag(name: "targets", value: "q,k,v,o", help: "attention projections to adapt (default q,v)"),
            .steps(default: 100), .batch(default: 12, of: "windows per step"),
            .learningRate(default: 2e-3, "peak learning rate (default 2e-3 with --lora, 1e-4 in full)"),
            Flag(name: "compare", value: nil, help: "run both LoRA and full fine-tuning from the checkpoint and print them side by side"),
            .seed(default: 1, "adapters and batches"), .save, .json,
        ],
        details: "The speaker's speeches are cut in order: 80% to fine-tune on, 20% held out. The general held-out text is the "
            + "last 10% of tinyshakespeare (chapter 7's validation and test parts) without that speaker. Both are reported in bits "
            + "per character, before and after; with --save the (merged) model is written."
    ) { args in
        guard let path = args.string("model") else { throw args.error("--model PATH is required") }
        let slice = try SpeakerSlice.shakespeare(speaker: args.string("slice") ?? "PETRUCHIO")
        let steps = try args.int("steps", default: 100), seed = try args.seed(default: 1)
        var targets: [LoRATarget] = [.query, .value]
        if let list = args.string("targets") {
            let names: [String: LoRATarget] = ["q": .query, "k": .key, "v": .value, "o": .output]
            targets = try list.split(separator: ",").map { name in
                guard let t = names[String(name)] else { throw args.error("--targets expects letters among q,k,v,o, got '\(name)'") }
                return t
            }
        }
        let modes = args.has("compare") ? [true, false] : [args.has("lora")]
        var results: [FineTuneResult] = []
        for lora in modes {
            var o = FineTuneOptions(lora: lora, steps: steps, learningRate: args.string("lr") == nil || modes.count > 1 ? nil : try args.double("lr", default: 0), seed: seed)
            o.rank = try args.int("rank", default: 4, range: 1...4096)
            o.alpha = try args.double("alpha", default: 8)
            o.targets = targets
            o.training.batch = try args.int("batch", default: 12, range: 1...4096)
            let model = try Llama<Float>.load(URL(fileURLWithPath: path))
            let progress = ProgressLine(lora ? "  lora" : "  full", total: steps, unit: "steps")
            let r = try LlamaFineTuner.run(model, slice: slice, options: o) { t, loss in progress.update(t, note: String(format: "loss %.3f", loss)) }
            progress.finish()
            results.append(r)
            if let save = args.string("save"), modes.count == 1 {
                try model.save(to: URL(fileURLWithPath: save), metadata: [("finetuned_on", .string(slice.speaker)), ("mode", .string(r.mode))])
                print("saved the fine-tuned model to \(save)")
            }
        }
        print("slice \(slice.speaker) \(slice.speeches) speeches: \(slice.train.count) characters to fine-tune on, \(slice.heldOut.count) held out; "
              + "general held-out text \(slice.general.count) characters")
        print("mode                              trainable     share  adam state   slice bits/char   general bits/char   ms/step")
        for r in results {
            print(String(format: "%-32@ %10d  %7.3f%%  %8.1f KB   %.3f → %.3f     %.3f → %.3f       %.1f", r.mode as NSString, r.trainableParameters,
                         100 * Double(r.trainableParameters) / Double(r.totalParameters), Double(r.optimizerStateBytes) / 1024,
                         r.before.sliceBitsPerCharacter, r.after.sliceBitsPerCharacter, r.before.generalBitsPerCharacter,
                         r.after.generalBitsPerCharacter, r.millisecondsPerStep))
        }
        if args.has("json") {
            for r in results {
                print(JSONValue.object([
                    ("model", .string("llama finetune")), ("mode", .string(r.mode)), ("slice", .string(slice.speaker)),
                    ("trainable", .integer(r.trainableParameters)), ("parameters", .integer(r.totalParameters)),
                    ("optimizer_state_bytes", .integer(r.optimizerStateBytes)), ("steps", .integer(steps)), ("seed", .integer(Int(seed))),
                    ("slice_bits_per_char_before", .number(r.before.sliceBitsPerCharacter)),
                    ("slice_bits_per_char_after", .number(r.after.sliceBitsPerCharacter)),
                    ("general_bits_per_char_before", .number(r.before.generalBitsPerCharacter)),
                    ("general_bits_per_char_after", .number(r.after.generalBitsPerCharacter)),
                    ("ms_per_step", .number(r.millisecondsPerStep)), ("seconds", .number(r.seconds)),
                ]).rendered)
            }
        }
    }
}
