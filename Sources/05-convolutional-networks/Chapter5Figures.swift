// The figures of chapters/05-convolutional-networks.md, made by the code
// (`swift run -c release backprop figures`). The ones here train the digits
// CNN or LeNet-5, so they are checked with `backprop figures --check`, not in
// debug tests; the diagrams of Chapter5Diagrams.swift train nothing and are
// tested.

import BackpropCore
import Datasets
import Figures
import Foundation
import Backpropagation

public enum Chapter5Figures {
    public static func trained(seed: UInt64 = 42) throws -> [(String, any Figure)] {
        let run = try Chapter5.run(CNNRunOptions(seed: seed))
        let model = run.trainer.model
        return [
            ("05-filters.svg", try filters(model)),
            ("05-feature-maps.svg", try featureMaps(model, run.data.test)),
            ("05-curves.svg", try curves(run.trainer, seed: seed)),
            ("05-misclassified.svg", try misclassified(run.trainer, run.data.test)),
        ] + (try mnist(seed: seed))
    }

    /// LeNet-5 on MNIST (the default `train cnn --dataset mnist` run): the
    /// first 40 test digits with their predictions, then every later test
    /// digit it gets wrong; the wrong ones framed in red.
    static func mnist(seed: UInt64) throws -> [(String, any Figure)] {
        let run = try Chapter5.run(CNNRunOptions.defaults(for: "mnist", seed: seed)!)
        let test = run.data.test
        let e = try run.trainer.evaluate(test)
        let isWrong = { (i: Int) in e.predictions[i] != test.labels[i] }
        let first = min(40, test.count)
        let shown = Array(0..<first) + (first..<test.count).filter(isWrong)
        let marked = Set(shown.indices.filter { isWrong(shown[$0]) })
        let captions = shown.map { i in isWrong(i) ? "\(test.labels[i]) → \(e.predictions[i])" : "\(e.predictions[i])" }
        let wrong = (0..<test.count).filter(isWrong).count
        let grid = mnistGrid(
            title: "LeNet-5 on the first \(first) MNIST test digits, then all its \(wrong) mistakes (true → predicted)",
            test, shown, captions: captions, marked: marked)
        return [("05-mnist-predictions.svg", grid)]
    }

    /// Test digits as ink on paper, grey levels rounded to eighths, with the
    /// blank paper left undrawn (both keep the SVG small; at 2 pixels a
    /// pixel the eye sees no difference).
    static func mnistGrid(title: String, _ test: Dataset, _ rows: [Int], captions: [String], marked: Set<Int>) -> ImageGrid {
        func ink(_ v: Float) -> Double {
            let q = (Double(v) * 8).rounded() / 8
            return q == 0 ? .nan : q
        }
        return ImageGrid(title: title, images: rows.map { i in test.features.row(i).scalars.map(ink) },
                  imageWidth: LeNet5.side, imageHeight: LeNet5.side, captions: captions, columns: 10, pixelSize: 2,
                  scaling: .range(0...1), marked: marked)
    }

    static func firstConvolution(_ model: Sequential<Float>) -> Conv2D<Float> {
        model.layers.compactMap { $0 as? Conv2D<Float> }.first!
    }

    /// The 16 learned 3×3 filters of the first layer (blue negative, red positive).
    static func filters(_ model: Sequential<Float>) throws -> ImageGrid {
        let w = firstConvolution(model).weight.value  // [16, 1, 3, 3]
        let images = (0..<w.shape[0]).map { o in (0..<9).map { Double(w.scalars[o * 9 + $0]) } }
        return ImageGrid(title: "First-layer filters (3×3), learned on the digits", images: images, imageWidth: 3, imageHeight: 3,
                         captions: (0..<images.count).map { "filter \($0)" }, columns: 8, pixelSize: 14, colorMap: .diverging)
    }

    /// One test digit and the first layer's 16 feature maps (after ReLU).
    static func featureMaps(_ model: Sequential<Float>, _ test: Dataset) throws -> ImageGrid {
        let x = test.features.rows([0])
        let image = try x.reshaped([1, 1, 8, 8])
        let conv = firstConvolution(model)
        let maps = try conv.forward(image, mode: .inference).output.mapped(.relu)  // [1, 16, 8, 8]
        var images = [x.scalars.map(Double.init)]
        var captions = ["input: \(test.labels[0])"]
        for o in 0..<16 {
            images.append((0..<64).map { Double(maps.scalars[o * 64 + $0]) })
            captions.append("map \(o)")
        }
        return ImageGrid(title: "A test digit and the 16 feature maps of the first layer", images: images, imageWidth: 8,
                         imageHeight: 8, captions: captions, columns: 9, pixelSize: 7)
    }

    /// Validation loss per epoch: the CNN against chapter 2's MLP.
    static func curves(_ trainer: ClassifierTrainer<Float>, seed: UInt64) throws -> LinePlot {
        let mlp = try Chapter2.run(MLPRunOptions.defaults(for: "digits", seed: seed)!).trainer
        func series(_ name: String, _ t: ClassifierTrainer<Float>, train: Bool) -> LinePlot.Series {
            .init(name: name, x: t.history.map { Double($0.epoch + 1) },
                  y: t.history.map { train ? $0.trainLoss : ($0.validationLoss ?? .nan) }, dashed: train)
        }
        return LinePlot(
            title: "Digits: CNN (9,930 parameters) against MLP (85,002)", xLabel: "epoch", yLabel: "cross-entropy",
            series: [series("CNN validation", trainer, train: false), series("CNN train", trainer, train: true),
                     series("MLP validation", mlp, train: false), series("MLP train", mlp, train: true)],
            logY: true)
    }

    /// The test digits the CNN gets wrong, captioned "true → predicted".
    static func misclassified(_ trainer: ClassifierTrainer<Float>, _ test: Dataset) throws -> ImageGrid {
        let e = try trainer.evaluate(test)
        let wrong = (0..<test.count).filter { e.predictions[$0] != test.labels[$0] }
        return ImageGrid(
            title: "The \(wrong.count) misclassified test digits (true → predicted)",
            images: wrong.map { i in test.features.row(i).scalars.map(Double.init) }, imageWidth: 8, imageHeight: 8,
            captions: wrong.map { "\(test.labels[$0]) → \(e.predictions[$0])" }, columns: 8, pixelSize: 7)
    }
}
