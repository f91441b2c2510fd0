// Chapter 5, convolutional networks: `train cnn` (ConvolutionalNetworks'
// Experiments.swift), its tour run, figures and the `conv` benchmark.

import BackpropCore
import ConvolutionalNetworks
import Foundation

extension BookChapter {
    static let convolutionalNetworks = BookChapter(
        number: 5, title: "convolutional networks",
        tour: { Chapter5.tour(seed: $0) },
        untrainedFigures: { try Chapter5Figures.untrained() },
        trainedFigures: { try Chapter5Figures.trained() },
        benchmarks: [Benchmark("conv") { try CNNBenchmark.run(peakGflops: $0.peakGflops, quick: $0.quick) }],
        models: [TrainCNNCommand.command])
}

/// `backprop train cnn`: the defaults per dataset come from `CNNRunOptions.defaults(for:)`.
enum TrainCNNCommand {
    static let command: Command = {
        let d = CNNRunOptions.defaults(for: "digits")!, m = CNNRunOptions.defaults(for: "mnist")!
        return Command(
            "train cnn", summary: "the digits CNN (8×8 digits) or LeNet-5 (--dataset mnist, 28×28 digits)",
            flags: [
                Flag(name: "dataset", choices: Chapter5.datasets,
                     help: "digits (the 8×8 digits, the small CNN; default) or mnist (5,000 MNIST digits, LeNet-5)"),
                .epochs(default: d.epochs),
                .batch(default: d.batch),
                .learningRate(default: d.learningRate, "Adam learning rate, peak of the cosine schedule"),
                Flag(name: "batch-norm", value: nil, help: "insert BatchNorm2D after each convolution (digits only)"),
                Flag(name: "dropout", value: "P", help: "dropout before the last layer (default \(d.dropout); mnist \(m.dropout))"),
                .backend, .seed(default: d.seed), .save, .json,
            ],
            details: "Defaults for mnist: LeNet-5, \(m.epochs) epochs of batch \(m.batch), Adam at \(m.learningRate), dropout \(m.dropout);\n"
                + "the split is fixed (\(Chapter5.mnistSplit)); --seed sets the\n"
                + "initial weights and the minibatch order."
        ) { args in
            let dataset = try args.choice("dataset", from: Chapter5.datasets, default: "digits")!
            var o = CNNRunOptions.defaults(for: dataset, seed: try args.seed(default: d.seed))!
            o.epochs = try args.int("epochs", default: o.epochs)
            o.batch = try args.int("batch", default: o.batch)
            o.learningRate = try args.double("lr", default: o.learningRate)
            o.batchNorm = args.has("batch-norm")
            if o.batchNorm && dataset == "mnist" { throw args.error("--batch-norm is for the digits CNN; LeNet-5 (--dataset mnist) has none") }
            o.dropout = try args.probability("dropout", default: o.dropout)
            o.backend = try args.backend()
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
            print(ResultsTable.render([result.summary]))
            if args.has("json") { print(result.summary.json) }
        }
    }()
}
