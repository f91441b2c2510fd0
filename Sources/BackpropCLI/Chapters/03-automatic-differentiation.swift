// Chapter 3, automatic differentiation: its tour runs (XOR with the scalar
// engine, the digits MLP with the tensor engine), `train autodiff-mlp`, and
// the `autodiff` benchmark (engine vs hand-written step), and its figures
// (all drawn without training: `backprop figures --chapter 3 --untrained`).

import AutomaticDifferentiation
import BackpropCore
import Foundation

extension BookChapter {
    static let automaticDifferentiation = BookChapter(
        number: 3, title: "automatic differentiation",
        tour: { Chapter3.tour(seed: $0) },
        untrainedFigures: { try Chapter3Figures.untrained() },
        benchmarks: [Benchmark("autodiff") { try AutodiffBenchmark.run(peakGflops: $0.peakGflops, quick: $0.quick) }],
        models: [TrainAutodiffMLPCommand.command])
}

/// `backprop train autodiff-mlp`: chapter 2's digits MLP, its backward pass found by the tape.
enum TrainAutodiffMLPCommand {
    static let command = Command(
        "train autodiff-mlp", summary: "chapter 2's digits MLP trained by the automatic-differentiation engine",
        flags: [
            Flag(name: "steps", value: "N", help: "optimizer steps (default: chapter 2's 40 epochs)"),
            .backend, .seed(default: 42, "data split, initialisation, dropout and order"), .json,
        ],
        details: "The same data split, initialisation, dropout masks, Adam and batch order as "
            + "`backprop train mlp --dataset digits` with the same seed; reports the test accuracy."
    ) { args in
        var o = AutodiffRunOptions(seed: try args.seed(), backend: try args.backend())
        if args.string("steps") != nil {
            let steps = try args.int("steps", default: 1)
            guard steps >= 1 else { throw args.error("--steps must be at least 1, got \(steps)") }
            o.steps = steps
        }
        let result = try Chapter3.runDigits(o)
        print(ResultsTable.render([result.summary]))
        if args.has("json") { print(result.summary.json) }
    }
}
