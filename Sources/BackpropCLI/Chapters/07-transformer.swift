// Chapter 7, attention and the Transformer: `train gpt` (the baby GPT on
// tinyshakespeare; Transformer's Experiments.swift), `generate` (text from a
// saved char-rnn or GPT, with the KV cache), its tour run, figures and the
// `gpt` benchmark.

import BackpropCore
import Foundation
import Transformer

extension BookChapter {
    static let transformer = BookChapter(
        number: 7, title: "attention and the Transformer",
        tour: { Chapter7.tour(seed: $0) },
        untrainedFigures: { try Chapter7Figures.untrained() },
        trainedFigures: { try Chapter7Figures.trained() },
        benchmarks: [Benchmark("gpt") { try GPTBenchmark.run(peakGflops: $0.peakGflops, quick: $0.quick) },
                     Benchmark("gpt-simd", runsByDefault: false) { try GPTBenchmark.runSIMD(peakGflops: $0.peakGflops, quick: $0.quick) }],
        models: [TrainGPTCommand.command],
        commands: [GenerateCommand.command(named: "generate",
                                           summary: "generate text from a char-rnn or GPT checkpoint (KV cache for GPT)")])
}

/// `backprop train gpt`: the defaults and the schedule's rules come from
/// `GPTRunOptions` and `GPTTrainingOptions.fitSchedule`.
enum TrainGPTCommand {
    static let command: Command = {
        let d = GPTRunOptions()
        return Command(
            "train gpt",
            summary: "the GPT (character level) on tinyshakespeare with AdamW, warm-up and cosine decay",
            flags: [
                Flag(name: "layers", value: "N", help: "Transformer blocks (default \(d.layers))"),
                Flag(name: "heads", value: "N", help: "attention heads per block; must divide the width (default \(d.heads))"),
                Flag(name: "width", value: "N", help: "width C of the residual stream (default \(d.width))"),
                Flag(name: "context", value: "N", help: "context length T in characters (default \(d.context))"),
                .batch(default: d.training.batch, of: "sequences per step"),
                .steps(default: d.training.steps),
                .learningRate(default: d.training.learningRate,
                              "peak learning rate, after a warm-up of \(d.training.warmup) steps (at most a tenth of the run), decaying to lr/10"),
                Flag(name: "dropout", value: "P", help: "dropout probability (default \(d.dropout))"),
                Flag(name: "no-bias", value: nil, help: "no biases in the Linears and LayerNorms, as in the reference baby GPT"),
                Flag(name: "init-std", value: "X", help: "std of the initial weights (default 1/√width; GPT-2 uses 0.02)"),
                .backend, .seed(default: d.training.seed, "initialisation and batches"), .save,
                Flag(name: "figures", value: "DIR", help: "also draw the loss curve and an attention map of this run into DIR"),
                .json,
            ],
            details: "The defaults are the baby GPT: validation loss about 1.75 nats per character after 2,000 steps (whole validation split)."
        ) { args in
            var o = GPTRunOptions(seed: try args.seed(default: d.training.seed))
            o.layers = try args.int("layers", default: o.layers, range: 1...64)
            o.heads = try args.int("heads", default: o.heads, range: 1...64)
            o.width = try args.int("width", default: o.width, range: 1...4096)
            o.context = try args.int("context", default: o.context, range: 1...4096)
            o.training.batch = try args.int("batch", default: o.training.batch, range: 1...4096)
            o.training.fitSchedule(steps: try args.int("steps", default: o.training.steps),
                                   learningRate: try args.double("lr", default: o.training.learningRate))
            o.dropout = try args.probability("dropout", default: o.dropout)
            o.bias = !args.has("no-bias")
            if args.string("init-std") != nil {
                o.initialization = try GPTInitialization(std: try args.double("init-std", default: 0))
            }
            o.backend = try args.backend()
            guard o.width % o.heads == 0 else { throw args.error("--heads \(o.heads) must divide --width \(o.width)") }
            try train(o, args)
        }
    }()

    static func train(_ o: GPTRunOptions, _ args: Arguments) throws {
        let progress = ProgressLine("  step", total: o.training.steps, unit: "steps")
        let run = try Chapter7.run(o, progress: { t, loss, rate in
            progress.update(t, note: String(format: "loss %.3f  %.0f tok/s", loss, rate))
        }, evaluated: { point in
            if !args.has("json") || isatty(STDOUT_FILENO) == 1 {
                progress.finish()
                print(String(format: "  step %5d  train loss %.4f  val loss %.4f", point.iteration, point.trainLoss, point.validationLoss ?? .nan))
            }
        })
        progress.finish()
        if let path = args.string("save") {
            try run.model.checkpoint().write(to: URL(fileURLWithPath: path))
            print("saved the model to \(path)")
        }
        if let dir = args.string("figures") {
            for (name, figure) in try Chapter7Figures.figures(from: run) {
                let url = URL(fileURLWithPath: dir).appendingPathComponent(name)
                try figure.write(to: url)
                print("wrote \(url.path)")
            }
        }
        print(String(format: "%d parameters, %.1f ms/step, %.0f tokens/s", run.model.parameterCount, run.result.millisecondsPerStep, run.result.tokensPerSecond))
        print(ResultsTable.render([run.summary]))
        if args.has("json") {
            var summary = run.summary
            summary.metrics = [("val_loss", run.result.validationLoss)] + summary.metrics.filter { $0.0 != "val_loss" }
            print(summary.json)
        }
    }
}
