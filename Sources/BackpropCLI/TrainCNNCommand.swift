// `backprop train cnn`: chapter 5's convolutional network on the digits.

import BackpropCore
import ConvolutionalNetworks
import Foundation

enum TrainCNNCommand {
    static let flags = [
        Flag(name: "dataset", value: "NAME", help: "digits (the only image dataset)"),
        Flag(name: "epochs", value: "N", help: "passes over the training data (default 40)"),
        Flag(name: "batch", value: "N", help: "minibatch size (default 64)"),
        Flag(name: "lr", value: "X", help: "Adam learning rate, peak of the cosine schedule (default 0.002)"),
        Flag(name: "batch-norm", value: nil, help: "insert BatchNorm2D after each convolution"),
        Flag(name: "dropout", value: "P", help: "dropout before the last layer (default 0.25)"),
        Flag(name: "kernels", value: "K", help: "naive or simd (default simd)"),
        Flag(name: "seed", value: "S", help: "random seed (default 42)"),
        Flag(name: "save", value: "PATH", help: "write the trained model to a checkpoint file (atomically)"),
        Flag(name: "json", value: nil, help: "end with one JSON line summarising the run"),
    ]

    static func run(_ words: [String]) throws {
        let args = try Arguments(command: "train cnn", words: words, flags: flags)
        if args.wantsHelp {
            print(helpText(usage: "backprop train cnn --dataset digits [--epochs N] [--batch N] [--lr X] [--batch-norm] [--seed S] [--save PATH] [--json]",
                           summary: "Train chapter 5's CNN (conv 16 → conv 32 → max-pool → linear) on the 8×8 digits.",
                           flags: flags))
            return
        }
        guard args.positionals.isEmpty else { throw UsageError("backprop train cnn: unexpected argument '\(args.positionals[0])'") }
        _ = try args.choice("dataset", from: ["digits"], default: "digits")
        var o = CNNRunOptions(seed: try args.seed())
        o.epochs = try args.int("epochs", default: o.epochs)
        o.batch = try args.int("batch", default: o.batch)
        o.learningRate = try args.double("lr", default: o.learningRate)
        o.batchNorm = args.has("batch-norm")
        o.dropout = try args.probability("dropout", default: o.dropout)
        o.kernels = try args.kernels()
        let progress = ProgressLine("  epoch", total: o.epochs, unit: "epochs")
        let result = try Chapter5.run(o) { e in
            progress.update(e.epoch + 1, note: String(format: "loss %.4f  val acc %.1f%%", e.trainLoss, (e.validationAccuracy ?? 0) * 100))
        }
        progress.finish()
        if let path = args.string("save") {
            try Chapter5.checkpoint(o, model: result.trainer.model, data: result.data, summary: result.summary)
                .write(to: URL(fileURLWithPath: path))
            print("saved the model to \(path)")
        }
        print(TourCommand.table([result.summary]))
        if args.has("json") { print(result.summary.json) }
    }
}
