// A model to serve before any checkpoint exists: chapter 2's digits MLP,
// trained in a few seconds (release build) by chapter 2's own run, saved to
// a checkpoint in memory and loaded back as the registry would load the
// file `backprop train mlp --save` writes. So the demo serves exactly what a
// saved model serves: raw pixel values (0…16) in, standardised by the
// statistics stored with the model.

import BackpropCore
import Datasets
import Foundation
import Backpropagation

public enum DemoModels {
    /// A trained digits classifier and the raw test rows with their labels.
    public struct Digits: Sendable {
        public var classifier: NetworkClassifier
        public var testInputs: [[Double]]
        public var testLabels: [Int]
        public var testAccuracy: Double
        /// Layer widths, e.g. "64-256-256-10".
        public var architecture: String
    }

    /// Trains a 64-hidden…-10 ReLU MLP on the bundled digits with chapter 2's
    /// settings (60/20/20 split, Adam, cosine decay), without dropout.
    public static func digits(hidden: [Int] = [256, 256], epochs: Int = 10, seed: UInt64 = 42) throws -> Digits {
        var options = MLPRunOptions.defaults(for: "digits", seed: seed)!
        options.widths = hidden
        options.epochs = epochs
        options.dropout = 0
        let run = try Chapter2.run(options)
        let checkpoint = Chapter2.checkpoint(options, model: run.trainer.model, data: run.data, summary: run.summary)
        let classifier = try NetworkClassifier.mlp(checkpoint)
        // The same split as the run's, before standardisation: what a client sends.
        let test = try BundledData.digits().split(trainFraction: 0.6, validationFraction: 0.2, seed: seed).test
        let width = test.featureCount
        let rows = (0..<test.count).map { i in test.features.scalars[(i * width)..<((i + 1) * width)].map { Double($0) } }
        let widths = [width] + hidden + [test.classNames.count]
        return Digits(classifier: classifier, testInputs: rows, testLabels: test.labels,
                      testAccuracy: run.summary.metric("test_accuracy") ?? .nan,
                      architecture: widths.map(String.init).joined(separator: "-"))
    }
}
