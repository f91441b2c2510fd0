// Chapter 1's models behind the `Classifier` interface, and its linear
// regression (a regressor: offline inference only, nothing to serve).
//
// Probabilities: logistic regression gives σ(z) = P(class 1) for a binary
// model, [1 − σ(z), σ(z)]; one-versus-rest gives K independent σ(z_k), which
// are normalised to sum to 1 (the class is still the largest score). The
// perceptron has no probabilities, only a decision: its prediction puts
// probability 1 on the class it chose.

import BackpropCore
import Datasets
import Foundation
import Storage
import LinearModels

/// A chapter-1 classifier (perceptron or logistic regression).
public struct LinearModelClassifier<Model: SavableLinearModel>: Classifier {
    public let models: LinearClassifierModels<Model>
    public let classNames: [String]
    public let inputWidth: Int
    public let preprocessing: InputPreprocessing
    public let info: ModelInfo

    /// A trained classifier; `checkpoint` (the one it was loaded from, else a
    /// fresh one) describes it in `info`.
    public init(_ classifier: LinearClassifier<Model>, checkpoint: Checkpoint? = nil) throws {
        (models, classNames, inputWidth, preprocessing) = (classifier.models, classifier.classNames, classifier.inputs, classifier.preprocessing)
        let scorers: Int
        switch models {
        case .binary: scorers = 1
        case .oneVersusRest(let o): scorers = o.models.count
        }
        info = ModelInfo(checkpoint: try checkpoint ?? classifier.checkpoint(), parameterCount: scorers * (inputWidth + 1))
    }

    /// σ(z) for the logistic model; nil for the perceptron (no probability).
    private func probability(_ score: Float) -> Double? {
        Model.checkpointKind == "logistic" ? 1 / (1 + Foundation.exp(-Double(score))) : nil
    }

    public func predict(_ inputs: [[Double]]) throws -> [ClassPrediction] {
        let x = try preprocessing.apply(try InferenceInput.matrix(inputs, width: inputWidth))
        switch models {
        case .binary(let m):
            let scores = try m.scores(x)
            let classes = try m.predict(x)
            return zip(scores, classes).map { s, k in
                let p: [Double] = probability(s).map { [1 - $0, $0] } ?? (k == 1 ? [0, 1] : [1, 0])
                return ClassPrediction(class: k, label: classNames[k], probabilities: p)
            }
        case .oneVersusRest(let ovr):
            let scores = try ovr.models.map { try $0.scores(x) }
            let classes = try ovr.predict(x)
            return classes.enumerated().map { i, k in
                var p = (0..<scores.count).map { j in probability(scores[j][i]) ?? (j == k ? 1 : 0) }
                let total = p.reduce(0, +)
                if total > 0 { p = p.map { $0 / total } }
                return ClassPrediction(class: k, label: classNames[k], probabilities: p)
            }
        }
    }
}

/// Chapter 1's linear regression: one number per input row.
public struct LinearRegressor: Sendable {
    public let model: LinearRegression<Float>
    public var inputWidth: Int { model.weight.shape[1] }
    public var parameterCount: Int { inputWidth + 1 }

    public init(model: LinearRegression<Float>) {
        self.model = model
    }

    /// ŷ for each row. - Throws: `InferenceError` for a row of the wrong width.
    public func predict(_ inputs: [[Double]]) throws -> [Double] {
        let x = try InferenceInput.matrix(inputs, width: inputWidth)
        return try model.predict(x).scalars.map(Double.init)
    }
}
