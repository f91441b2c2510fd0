// `backprop train mlp`: chapter 2's multilayer perceptron.

import BackpropCore
import Foundation
import Backpropagation

enum TrainMLPCommand {
    static let flags = [
        Flag(name: "dataset", value: "NAME", help: "xor, spirals or digits (default digits)"),
        Flag(name: "hidden", value: "W,W…", help: "hidden layer widths, e.g. 256,256"),
        Flag(name: "activation", value: "F", help: "relu, leaky-relu, tanh, sigmoid, gelu, gelu-tanh"),
        Flag(name: "optimizer", value: "NAME", help: "sgd, momentum, nesterov, adam, adamw"),
        Flag(name: "lr", value: "X", help: "learning rate (peak of the cosine schedule)"),
        Flag(name: "epochs", value: "N", help: "passes over the training data"),
        Flag(name: "batch", value: "N", help: "minibatch size"),
        Flag(name: "dropout", value: "P", help: "dropout probability after each hidden layer"),
        Flag(name: "kernels", value: "K", help: "naive or simd (default simd)"),
        Flag(name: "seed", value: "S", help: "random seed for data split, initialisation and order (default 42)"),
        Flag(name: "save", value: "PATH", help: "write the trained model to a checkpoint file (atomically)"),
        Flag(name: "json", value: nil, help: "end with one JSON line summarising the run"),
    ]

    static let activations: [String: UnaryFunction] = [
        "relu": .relu, "leaky-relu": .leakyRelu(slope: 0.01), "tanh": .tanh, "sigmoid": .sigmoid,
        "gelu": .gelu, "gelu-tanh": .geluTanh,
    ]

    static func run(_ words: [String]) throws {
        let args = try Arguments(command: "train mlp", words: words, flags: flags)
        if args.wantsHelp {
            print(helpText(
                usage: "backprop train mlp --dataset xor|spirals|digits [--hidden 256,256] [--optimizer sgd|momentum|adam|adamw] [--lr X] [--epochs N] [--batch N] [--seed S] [--save PATH] [--json]",
                summary: "Train chapter 2's multilayer perceptron and report its test accuracy.", flags: flags,
                details: "Defaults per dataset: xor 2-4-2 tanh; spirals 2-64-64-2 relu; digits 64-256-256-10 relu, dropout 0.1;\nall with Adam and a cosine learning-rate decay."))
            return
        }
        guard args.positionals.isEmpty else { throw UsageError("backprop train mlp: unexpected argument '\(args.positionals[0])'") }
        let seed = try args.seed()
        let name = try args.choice("dataset", from: Chapter2.datasets, default: "digits")!
        var o = MLPRunOptions.defaults(for: name, seed: seed)!
        if let text = args.string("hidden") {
            let widths = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !widths.isEmpty, widths.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw UsageError("backprop train mlp: --hidden expects positive widths separated by commas, got '\(text)'")
            }
            o.widths = widths.map { $0! }
        }
        if let a = try args.choice("activation", from: activations.keys.sorted(), default: nil) { o.activation = activations[a]! }
        if let opt = try args.choice("optimizer", from: OptimizerKind.allCases.map(\.rawValue), default: nil) {
            o.use(OptimizerKind(rawValue: opt)!)
        }
        o.learningRate = try args.double("lr", default: o.learningRate)
        o.epochs = try args.int("epochs", default: o.epochs)
        o.batch = try args.int("batch", default: o.batch)
        o.dropout = try args.probability("dropout", default: o.dropout)
        o.kernels = try args.kernels()

        let progress = ProgressLine("  epoch", total: o.epochs, unit: "epochs")
        let result = try Chapter2.run(o) { e in
            progress.update(e.epoch + 1, note: String(format: "loss %.4f  val acc %.1f%%", e.trainLoss, (e.validationAccuracy ?? 0) * 100))
        }
        progress.finish()
        if let path = args.string("save") {
            try Chapter2.checkpoint(o, model: result.trainer.model, data: result.data, summary: result.summary)
                .write(to: URL(fileURLWithPath: path))
            print("saved the model to \(path)")
        }
        print(TourCommand.table([result.summary]))
        if args.has("json") { print(result.summary.json) }
    }
}
