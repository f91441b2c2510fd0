// `backprop train <model>`: one training run, a summary, and with --json a
// last line holding one JSON object.

import BackpropCore
import Foundation
import LinearModels

enum TrainCommand {
    static let models = ["perceptron", "logistic", "linear", "mlp", "cnn", "word2vec", "char-rnn", "memory", "gpt"]

    static let flags = [
        Flag(name: "dataset", value: "NAME", help: "blobs, xor, iris, iris-setosa, iris-virginica (linear: line)"),
        Flag(name: "epochs", value: "N", help: "passes over the training data"),
        Flag(name: "lr", value: "X", help: "learning rate"),
        Flag(name: "seed", value: "S", help: "random seed for data, split and order (default 42)"),
        Flag(name: "save", value: "PATH", help: "write the trained model to a checkpoint file (atomically)"),
        Flag(name: "json", value: nil, help: "end with one JSON line summarising the run"),
    ]

    static let help = helpText(
        usage: "backprop train <\(models.joined(separator: "|"))> [--dataset NAME] [--epochs N] [--lr X] [--seed S] [--save PATH] [--json]",
        summary: "Train one model and report its accuracy or loss (see `backprop train mlp --help` and `backprop train cnn --help` for chapters 2 and 5).",
        flags: flags,
        details: """
            defaults: perceptron on blobs (100 epochs, lr 1), logistic on iris (500 epochs, lr 0.5),
            linear on line (200 epochs, lr 0.1). Three-class data is handled one-versus-rest.
            """)

    static func run(_ words: [String]) throws {
        if words.first == "mlp" { return try TrainMLPCommand.run(Array(words.dropFirst())) }
        if words.first == "cnn" { return try TrainCNNCommand.run(Array(words.dropFirst())) }
        if words.first == "word2vec" { return try TrainWord2VecCommand.run(Array(words.dropFirst())) }
        if words.first == "char-rnn" { return try TrainCharRNNCommand.run(Array(words.dropFirst())) }
        if words.first == "memory" { return try TrainMemoryCommand.run(Array(words.dropFirst())) }
        if words.first == "gpt" { return try TrainGPTCommand.run(Array(words.dropFirst())) }
        let args = try Arguments(command: "train", words: words, flags: flags)
        if args.wantsHelp { print(help); return }
        guard let model = args.positionals.first else {
            throw UsageError("backprop train: which model? one of \(models.joined(separator: ", ")) (see `backprop train --help`)")
        }
        guard models.contains(model) else {
            throw UsageError("backprop train: unknown model '\(model)'; models are \(models.joined(separator: ", "))")
        }
        guard args.positionals.count == 1 else {
            throw UsageError("backprop train: unexpected argument '\(args.positionals[1])'")
        }
        let kind = LinearModelKind(rawValue: model)!
        var o = LinearModelRunOptions(model: kind)
        o.epochs = try args.int("epochs", default: o.epochs)
        o.learningRate = try args.double("lr", default: o.learningRate)
        o.seed = try args.seed()
        let save = args.string("save").map { URL(fileURLWithPath: $0) }
        let datasets = kind.datasets.map(\.rawValue)
        o.dataset = Chapter1Dataset(rawValue: try args.choice("dataset", from: datasets, default: o.dataset.rawValue)!)!
        let summary = try Chapter1.run(o, saveTo: save)
        if let save { print("saved the model to \(save.path)") }
        print(TourCommand.table([summary]))
        if args.has("json") { print(summary.json) }
    }
}
