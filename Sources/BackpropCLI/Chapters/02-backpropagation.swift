// Chapter 2, the multilayer perceptron and backpropagation: `train mlp`
// (Backpropagation's Experiments.swift), its tour runs, figures and the `mlp`
// benchmark.

import BackpropCore
import Foundation
import Backpropagation

extension BookChapter {
    static let backpropagation = BookChapter(
        number: 2, title: "the multilayer perceptron and backpropagation",
        tour: { Chapter2.tour(seed: $0) },
        untrainedFigures: { try Chapter2Figures.untrained() },
        trainedFigures: { try Chapter2Figures.trained() },
        benchmarks: [Benchmark("mlp") { try MLPBenchmark.run(peakGflops: $0.peakGflops, quick: $0.quick) }],
        models: [TrainMLPCommand.command])
}

/// `backprop train mlp`: the defaults per dataset and per optimizer come from `MLPRunOptions`.
enum TrainMLPCommand {
    static let activations: [String: UnaryFunction] = [
        "relu": .relu, "leaky-relu": .leakyRelu(slope: 0.01), "tanh": .tanh, "sigmoid": .sigmoid,
        "gelu": .gelu, "gelu-tanh": .geluTanh,
    ]

    /// "xor: widths 4, tanh, adam at 0.05, 300 epochs of batch 4", from the options type.
    static var defaults: String {
        Chapter2.datasets.map { name in
            let o = MLPRunOptions.defaults(for: name)!
            return "  \(name): widths \(o.widths.map(String.init).joined(separator: ",")), \(o.activation.name), "
                + "\(o.optimizer.rawValue) at \(o.learningRate), \(o.epochs) epochs of batch \(o.batch)"
                + (o.dropout > 0 ? ", dropout \(o.dropout)" : "")
        }.joined(separator: "\n")
    }

    static let command = Command(
        "train mlp", summary: "the multilayer perceptron; reports its test accuracy",
        flags: [
            Flag(name: "dataset", choices: Chapter2.datasets, help: "the data (default digits)"),
            Flag(name: "widths", value: "W,W…", help: "hidden layer widths, one per layer, e.g. 256,256", formerly: ["hidden"]),
            Flag(name: "activation", choices: activations.keys.sorted(), help: "activation after each hidden layer"),
            Flag(name: "optimizer", choices: OptimizerKind.allCases.map(\.rawValue),
                 help: "default adam; these bring their own learning rate: "
                     + OptimizerKind.allCases.compactMap { k in k.learningRate.map { "\(k.rawValue) \($0)" } }.joined(separator: ", ")),
            Flag(name: "lr", value: "X", help: "learning rate (peak of the cosine schedule)"),
            Flag(name: "epochs", value: "N", help: "passes over the training data"),
            Flag(name: "batch", value: "N", help: "examples per minibatch"),
            Flag(name: "dropout", value: "P", help: "dropout probability after each hidden layer"),
            .backend, .seed(default: 42, "data split, initialisation and order"), .save, .json,
        ],
        details: "Defaults per dataset (Adam with a cosine learning-rate decay):\n" + defaults
    ) { args in
        let name = try args.choice("dataset", from: Chapter2.datasets, default: "digits")!
        var o = MLPRunOptions.defaults(for: name, seed: try args.seed())!
        if let text = args.string("widths") {
            let widths = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !widths.isEmpty, widths.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw args.error("--widths expects positive widths separated by commas, got '\(text)'")
            }
            o.widths = widths.map { $0! }
        }
        if let a = try args.choice("activation", from: activations.keys.sorted(), default: nil) { o.activation = activations[a]! }
        if let kind = try args.choice("optimizer", from: OptimizerKind.allCases.map(\.rawValue), default: nil) {
            o.use(OptimizerKind(rawValue: kind)!)
        }
        o.learningRate = try args.double("lr", default: o.learningRate)
        o.epochs = try args.int("epochs", default: o.epochs)
        o.batch = try args.int("batch", default: o.batch)
        o.dropout = try args.probability("dropout", default: o.dropout)
        o.backend = try args.backend()

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
        print(ResultsTable.render([result.summary]))
        if args.has("json") { print(result.summary.json) }
    }
}
