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

/// `backprop train cnn`: the defaults come from `CNNRunOptions`.
enum TrainCNNCommand {
    static let command: Command = {
        let d = CNNRunOptions()
        return Command(
            "train cnn", summary: "the CNN (conv 16 → conv 32 → max-pool → linear) on the 8×8 digits",
            flags: [
                Flag(name: "dataset", choices: ["digits"], help: "the only image dataset (default digits)"),
                .epochs(default: d.epochs),
                .batch(default: d.batch),
                .learningRate(default: d.learningRate, "Adam learning rate, peak of the cosine schedule"),
                Flag(name: "batch-norm", value: nil, help: "insert BatchNorm2D after each convolution"),
                Flag(name: "dropout", value: "P", help: "dropout before the last layer (default \(d.dropout))"),
                .backend, .seed(default: d.seed), .save, .json,
            ]
        ) { args in
            _ = try args.choice("dataset", from: ["digits"], default: "digits")
            var o = CNNRunOptions(seed: try args.seed(default: d.seed))
            o.epochs = try args.int("epochs", default: o.epochs)
            o.batch = try args.int("batch", default: o.batch)
            o.learningRate = try args.double("lr", default: o.learningRate)
            o.batchNorm = args.has("batch-norm")
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
