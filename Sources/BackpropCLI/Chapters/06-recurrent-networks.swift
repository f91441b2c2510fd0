// Chapter 6, recurrent networks: `train char-rnn` (a character language
// model on tinyshakespeare), `train memory` (the adding problem), `sample`
// (text from a saved model: `generate` under the chapter's name), its tour
// run, figures and the `rnn` benchmark.

import BackpropCore
import Foundation
import RecurrentNetworks

extension BookChapter {
    static let recurrentNetworks = BookChapter(
        number: 6, title: "recurrent networks",
        tour: { Chapter6.tour(seed: $0) },
        untrainedFigures: { try Chapter6Figures.untrained() },
        trainedFigures: { try Chapter6Figures.trained() },
        benchmarks: [Benchmark("rnn") { try RNNBenchmark.run(peakGflops: $0.peakGflops, quick: $0.quick) }],
        models: [TrainCharRNNCommand.command, TrainMemoryCommand.command],
        commands: [GenerateCommand.command(named: "sample", summary: "generate text from a saved character model (`generate` by its chapter-6 name)")])
}

/// `backprop train char-rnn`: the defaults come from `CharRNNOptions`.
enum TrainCharRNNCommand {
    static let command: Command = {
        let d = CharRNNOptions()
        return Command(
            "train char-rnn",
            summary: "the character-level language model on tinyshakespeare (90/10 split), truncated BPTT",
            flags: [
                Flag(name: "cell", choices: CellKind.allCases.map(\.rawValue), help: "the recurrent cell (default \(d.model.cell.rawValue))"),
                Flag(name: "width", value: "N", help: "hidden units (default \(d.model.hiddenSize))", formerly: ["hidden"]),
                Flag(name: "embedding", value: "N", help: "embedding width (default \(d.model.embeddingSize))"),
                Flag(name: "context", value: "N", help: "characters per truncated-BPTT window (default \(d.context))", formerly: ["seq"]),
                .batch(default: d.batch, of: "parallel streams of the text"),
                .steps(default: d.steps),
                .learningRate(default: d.learningRate, "Adam learning rate"),
                Flag(name: "clip", value: "X", help: "global gradient-norm limit (default \(d.clipNorm))"),
                .backend, .seed(default: d.seed), .save, .json,
            ],
            details: "Reports the validation loss in nats per character."
        ) { args in
            let o = try options(args)
            let progress = ProgressLine("  step", total: o.steps, unit: "steps")
            let run = try Chapter6.trainCharRNN(o) { s, loss in
                if s % 10 == 0 || s == o.steps { progress.update(s, note: String(format: "loss %.3f", loss)) }
            }
            progress.finish()
            if let path = args.string("save") {
                try run.model.checkpoint().write(to: URL(fileURLWithPath: path))
                print("saved the model to \(path)")
            }
            print(String(format: "%@: validation loss %.4f nats/char, test %.4f (train %.4f), %.1f s, %.1f ms/step",
                         run.model.summary, run.validationLoss, run.testLoss ?? .nan, run.summary.metric("train_loss") ?? .nan,
                         run.seconds, run.seconds / Double(o.steps) * 1000))
            if args.has("json") { print(run.summary.json) }
        }
    }()

    static func options(_ args: Arguments) throws -> CharRNNOptions {
        let cell = CellKind(rawValue: try args.choice("cell", from: CellKind.allCases.map(\.rawValue), default: "lstm")!)!
        var o = CharRNNOptions(cell: cell, seed: try args.seed())
        o.model.hiddenSize = try args.int("width", default: o.model.hiddenSize)
        o.model.embeddingSize = try args.int("embedding", default: o.model.embeddingSize)
        o.context = try args.int("context", default: o.context)
        o.batch = try args.int("batch", default: o.batch)
        o.steps = try args.int("steps", default: o.steps)
        o.learningRate = try args.double("lr", default: o.learningRate)
        o.clipNorm = try args.double("clip", default: o.clipNorm)
        o.backend = try args.backend()
        return o
    }
}

/// `backprop train memory`: chapter 6's adding problem for one or all cells;
/// the defaults come from `MemoryTaskOptions`.
enum TrainMemoryCommand {
    static let command: Command = {
        let d = MemoryTaskOptions(cell: .lstm)
        return Command(
            "train memory",
            summary: "the adding problem: remember two marked values across T steps and output their sum",
            flags: [
                Flag(name: "cell", choices: CellKind.allCases.map(\.rawValue) + ["all"], help: "the recurrent cell, or all three (default all)"),
                Flag(name: "context", value: "T", help: "sequence length T (default \(d.context))", formerly: ["length"]),
                Flag(name: "width", value: "N", help: "hidden units (default \(d.width))", formerly: ["hidden"]),
                .steps(default: d.steps, "training steps of \(d.batch) sequences"),
                .learningRate(default: d.learningRate, "Adam learning rate"),
                .seed(default: d.seed),
                Flag(name: "json", value: nil, help: "one JSON line per cell"),
            ],
            details: "Solved means test MSE < \(MemoryTask.criterion) (predicting 1 scores 0.167)."
        ) { args in
            let choice = try args.choice("cell", from: CellKind.allCases.map(\.rawValue) + ["all"], default: "all")!
            let cells = choice == "all" ? CellKind.allCases : [CellKind(rawValue: choice)!]
            for cell in cells {
                var o = MemoryTaskOptions(cell: cell, seed: try args.seed(default: d.seed))
                o.context = try args.int("context", default: o.context, range: 2...100_000)
                o.width = try args.int("width", default: o.width)
                o.steps = try args.int("steps", default: o.steps)
                o.learningRate = try args.double("lr", default: o.learningRate)
                let progress = ProgressLine("  \(cell.displayName)", total: o.steps, unit: "steps")
                let r = try MemoryTask.run(o) { s, loss in if s % 25 == 0 { progress.update(s, note: String(format: "mse %.4f", loss)) } }
                progress.finish()
                print(String(format: "%@  T=%d  test MSE %.4f  %@  (%.1f s)", cell.displayName, o.context, r.testMSE,
                             r.solved ? "solved" : "not solved", r.seconds))
                if args.has("json") {
                    print(JSONValue.object([("model", .string("adding-\(cell.rawValue)")), ("dataset", .string("adding problem T=\(o.context)")),
                                            ("cell", .string(cell.rawValue)), ("test_mse", .number(r.testMSE)), ("solved", .bool(r.solved)),
                                            ("seconds", .number(r.seconds))]).rendered)
                }
            }
        }
    }()
}
