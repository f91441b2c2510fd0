// Chapter 1, linear models and the perceptron: `train perceptron`,
// `train logistic`, `train linear` (LinearModels' Experiments.swift), its
// tour runs and figures.

import BackpropCore
import Foundation
import LinearModels

extension BookChapter {
    static let linearModels = BookChapter(
        number: 1, title: "linear models and the perceptron",
        tour: { Chapter1.tour(seed: $0) },
        untrainedFigures: { try Chapter1Figures.all() },
        models: LinearModelKind.allCases.map(TrainLinearModelCommand.command))
}

/// `backprop train perceptron|logistic|linear`: one command per model, the
/// defaults from `LinearModelRunOptions`.
enum TrainLinearModelCommand {
    static let summaries: [LinearModelKind: String] = [
        .perceptron: "the perceptron; three classes one-versus-rest",
        .logistic: "logistic regression; three classes one-versus-rest",
        .linear: "linear regression by gradient descent, against the normal equations",
    ]

    static func command(_ model: LinearModelKind) -> Command {
        let defaults = LinearModelRunOptions(model: model)
        let datasets = model.datasets.map(\.rawValue)
        return Command(
            "train \(model.rawValue)", summary: summaries[model]!,
            flags: [
                Flag(name: "dataset", choices: datasets, help: "the data (default \(defaults.dataset.rawValue))"),
                .epochs(default: defaults.epochs),
                .learningRate(default: defaults.learningRate),
                .seed(default: defaults.seed, "data, split and order"),
                .save, .json,
            ]
        ) { args in
            var o = LinearModelRunOptions(model: model, seed: try args.seed(default: defaults.seed))
            o.dataset = Chapter1Dataset(rawValue: try args.choice("dataset", from: datasets, default: o.dataset.rawValue)!)!
            o.epochs = try args.int("epochs", default: o.epochs)
            o.learningRate = try args.double("lr", default: o.learningRate)
            let save = args.string("save").map { URL(fileURLWithPath: $0) }
            let summary = try Chapter1.run(o, saveTo: save)
            if let save { print("saved the model to \(save.path)") }
            print(ResultsTable.render([summary]))
            if args.has("json") { print(summary.json) }
        }
    }
}
