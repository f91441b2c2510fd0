// `backprop train gpt`: chapter 7's Transformer on tinyshakespeare.

import BackpropCore
import Foundation
import Backpropagation
import Transformer

enum TrainGPTCommand {
    static let flags = [
        Flag(name: "layers", value: "N", help: "Transformer blocks (default 4)"),
        Flag(name: "heads", value: "N", help: "attention heads per block; must divide the width (default 4)"),
        Flag(name: "width", value: "N", help: "width C of the residual stream (default 128)"),
        Flag(name: "context", value: "N", help: "context length T in characters (default 64)"),
        Flag(name: "batch", value: "N", help: "sequences per step (default 12)"),
        Flag(name: "iters", value: "N", help: "training steps (default 2000)"),
        Flag(name: "lr", value: "X", help: "peak learning rate, after a 100-step warm-up, decaying to lr/10 (default 0.001)"),
        Flag(name: "dropout", value: "P", help: "dropout probability (default 0)"),
        Flag(name: "no-bias", value: nil, help: "no biases in the Linears and LayerNorms, as in the reference baby GPT"),
        Flag(name: "init-std", value: "X", help: "std of the initial weights (default 1/√width; GPT-2 uses 0.02)"),
        Flag(name: "kernels", value: "K", help: "naive or simd (default simd)"),
        Flag(name: "seed", value: "S", help: "random seed for initialisation and batches (default 1337)"),
        Flag(name: "save", value: "PATH", help: "write the trained model to a checkpoint file (atomically)"),
        Flag(name: "figures", value: "DIR", help: "also draw the loss curve and an attention map of this run into DIR"),
        Flag(name: "json", value: nil, help: "end with one JSON line summarising the run"),
    ]

    static func run(_ words: [String]) throws {
        let args = try Arguments(command: "train gpt", words: words, flags: flags)
        if args.wantsHelp {
            print(helpText(usage: "backprop train gpt [--layers 4] [--heads 4] [--width 128] [--context 64] [--batch 12] [--iters N] [--lr X] [--no-bias] [--seed S] [--save PATH] [--json]",
                           summary: "Train chapter 7's GPT (character level) on tinyshakespeare with AdamW, warm-up and cosine decay.",
                           flags: flags,
                           details: "The defaults are the baby GPT: validation loss about 1.75 nats per character after 2,000 steps (whole validation split)."))
            return
        }
        guard args.positionals.isEmpty else { throw UsageError("backprop train gpt: unexpected argument '\(args.positionals[0])'") }
        var o = GPTRunOptions(seed: try args.seed(default: 1337))
        o.layers = try args.int("layers", default: o.layers, range: 1...64)
        o.heads = try args.int("heads", default: o.heads, range: 1...64)
        o.width = try args.int("width", default: o.width, range: 1...4096)
        o.context = try args.int("context", default: o.context, range: 1...4096)
        o.training.batch = try args.int("batch", default: o.training.batch, range: 1...4096)
        o.training.fitSchedule(steps: try args.int("iters", default: o.training.steps),
                               learningRate: try args.double("lr", default: o.training.learningRate))
        o.dropout = try args.probability("dropout", default: o.dropout)
        o.bias = !args.has("no-bias")
        if args.string("init-std") != nil {
            o.initialization = try GPTInitialization(std: try args.double("init-std", default: 0))
        }
        o.backend = try args.choice("kernels", from: Backend.allCases.map(\.rawValue), default: "simd").flatMap(Backend.init) ?? .simd
        guard o.width % o.heads == 0 else {
            throw UsageError("backprop train gpt: --heads \(o.heads) must divide --width \(o.width)")
        }
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
        print(TourCommand.table([run.summary]))
        if args.has("json") {
            var summary = run.summary
            summary.metrics = [("val_loss", run.result.validationLoss)] + summary.metrics.filter { $0.0 != "val_loss" }
            print(summary.json)
        }
    }
}
