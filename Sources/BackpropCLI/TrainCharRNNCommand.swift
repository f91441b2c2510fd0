// `backprop train char-rnn`: chapter 6's character language model on
// tinyshakespeare, and `backprop sample`: text from a saved one.

import BackpropCore
import Foundation
import RecurrentNetworks

enum TrainCharRNNCommand {
    static let flags = [
        Flag(name: "cell", value: "C", help: "rnn, lstm or gru (default lstm)"),
        Flag(name: "hidden", value: "N", help: "hidden units (default 256)"),
        Flag(name: "embedding", value: "N", help: "embedding width (default 64)"),
        Flag(name: "seq", value: "N", help: "characters per truncated-BPTT window (default 64)"),
        Flag(name: "batch", value: "N", help: "parallel streams (default 32)"),
        Flag(name: "steps", value: "N", help: "training steps (default 2000)"),
        Flag(name: "lr", value: "X", help: "Adam learning rate (default 0.002)"),
        Flag(name: "clip", value: "X", help: "global gradient-norm limit (default 5)"),
        Flag(name: "kernels", value: "K", help: "naive or simd (default simd)"),
        Flag(name: "seed", value: "S", help: "random seed (default 42)"),
        Flag(name: "save", value: "PATH", help: "write the trained model to a checkpoint file (atomically)"),
        Flag(name: "json", value: nil, help: "end with one JSON line summarising the run"),
    ]

    static func options(_ args: Arguments) throws -> CharRNNOptions {
        let cell = CellKind(rawValue: try args.choice("cell", from: CellKind.allCases.map(\.rawValue), default: "lstm")!)!
        var o = CharRNNOptions(cell: cell, seed: try args.seed())
        o.model.hiddenSize = try args.int("hidden", default: o.model.hiddenSize)
        o.model.embeddingSize = try args.int("embedding", default: o.model.embeddingSize)
        o.context = try args.int("seq", default: o.context)
        o.batch = try args.int("batch", default: o.batch)
        o.steps = try args.int("steps", default: o.steps)
        o.learningRate = try args.double("lr", default: o.learningRate)
        o.clipNorm = try args.double("clip", default: o.clipNorm)
        o.backend = try args.kernels() is Naive.Type ? .naive : .simd
        return o
    }

    static func run(_ words: [String]) throws {
        let args = try Arguments(command: "train char-rnn", words: words, flags: flags)
        if args.wantsHelp {
            print(helpText(usage: "backprop train char-rnn --cell rnn|lstm|gru [--hidden N] [--seq N] [--batch N] [--steps N] [--lr X] [--seed S] [--save PATH] [--json]",
                           summary: "Train chapter 6's character-level language model on tinyshakespeare (90/10 split) with truncated BPTT; report the validation loss in nats per character.",
                           flags: flags))
            return
        }
        guard args.positionals.isEmpty else { throw UsageError("backprop train char-rnn: unexpected argument '\(args.positionals[0])'") }
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
        print(String(format: "%@: validation loss %.4f nats/char (train %.4f), %.1f s, %.1f ms/step",
                     run.model.summary, run.validationLoss, run.summary.metric("train_loss") ?? .nan, run.seconds,
                     run.seconds / Double(o.steps) * 1000))
        if args.has("json") { print(run.summary.json) }
    }
}

/// `backprop sample`: chapter 6's name for `backprop generate` (any generator checkpoint).
enum SampleCommand {
    static func run(_ words: [String]) throws { try GenerateCommand.run(words, command: "sample") }
}

/// `backprop train memory`: chapter 6's adding problem for one or all cells.
enum TrainMemoryCommand {
    static let flags = [
        Flag(name: "cell", value: "C", help: "rnn, lstm, gru or all (default all)"),
        Flag(name: "length", value: "T", help: "sequence length (default 50)"),
        Flag(name: "hidden", value: "N", help: "hidden units (default 64)"),
        Flag(name: "steps", value: "N", help: "training steps of 64 sequences (default 1500)"),
        Flag(name: "lr", value: "X", help: "Adam learning rate (default 0.01)"),
        Flag(name: "seed", value: "S", help: "random seed (default 42)"),
        Flag(name: "json", value: nil, help: "one JSON line per cell"),
    ]

    static func run(_ words: [String]) throws {
        let args = try Arguments(command: "train memory", words: words, flags: flags)
        if args.wantsHelp {
            print(helpText(usage: "backprop train memory [--cell rnn|lstm|gru|all] [--length T] [--hidden N] [--steps N] [--lr X] [--seed S] [--json]",
                           summary: "The adding problem: remember two marked values across T steps and output their sum. Solved means test MSE < \(MemoryTask.criterion) (predicting 1 scores 0.167).",
                           flags: flags))
            return
        }
        guard args.positionals.isEmpty else { throw UsageError("backprop train memory: unexpected argument '\(args.positionals[0])'") }
        let choice = try args.choice("cell", from: CellKind.allCases.map(\.rawValue) + ["all"], default: "all")!
        let cells = choice == "all" ? CellKind.allCases : [CellKind(rawValue: choice)!]
        for cell in cells {
            var o = MemoryTaskOptions(cell: cell, seed: try args.seed())
            o.context = try args.int("length", default: o.context, range: 2...100_000)
            o.width = try args.int("hidden", default: o.width)
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
}
