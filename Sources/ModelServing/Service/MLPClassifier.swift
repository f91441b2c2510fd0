// MLPClassifier: chapter 2's multilayer perceptron (a Sequential<Float>) as
// a BatchPredictor.
//
//   predict  rows [n][in] → (standardise) → x [n, in] → forward (inference) → logits [n, classes]
//            → softmax rows → probabilities [n, classes], class = argmax
//
// Inference mode: dropout passes activations through unchanged and no cache
// is kept for a backward pass. The forward pass only reads the weights, so
// one model serves several threads at once (hence @unchecked Sendable: the
// model must not be trained while it is served).

import BackpropCore
import Foundation
import NeuralNetworks

public final class MLPClassifier: BatchPredictor, @unchecked Sendable {
    public let model: Sequential<Float>
    public let inputWidth: Int
    public let info: ModelInfo
    /// Applied to raw inputs first, when the model was trained on standardised features.
    public let standardizer: Standardizer?

    /// - Throws: `ServingError.invalidInput` if `inputWidth` does not fit the model.
    public init(model: Sequential<Float>, inputWidth: Int, standardizer: Standardizer? = nil,
                kind: String = "mlp", config: [(String, JSONValue)] = []) throws {
        if let s = standardizer, s.mean.count != inputWidth {
            throw ServingError.invalidInput("the standardizer has \(s.mean.count) features, the model \(inputWidth)")
        }
        // One forward pass on zeros checks the width against the first layer.
        let outputs: Int
        do {
            outputs = try model.forward(Tensor<Float>.zeros([1, inputWidth]), mode: .inference).output.shape[1]
        } catch {
            throw ServingError.invalidInput("the model does not accept rows of \(inputWidth) values: \(error)")
        }
        self.model = model
        self.inputWidth = inputWidth
        self.standardizer = standardizer
        self.info = ModelInfo(kind: kind, parameterCount: model.parameterCount,
                              config: config + [("inputs", .integer(inputWidth)), ("classes", .integer(outputs)),
                                                ("layers", .string(model.summary))])
    }

    /// The Double whose shortest decimal is the Float's (0.1 rather than
    /// 0.10000000149011612): same Float when read back, half the JSON.
    static func shortestDouble(_ x: Float) -> Double { Double(x.description) ?? Double(x) }

    public func predict(_ batch: [[Double]]) throws -> [Prediction] {
        var x = try Tensor<Float>(shape: [batch.count, inputWidth], scalars: batch.flatMap { $0.map { Float($0) } })
        if let standardizer { x = try standardizer.transform(x) }
        let logits = try model.forward(x, mode: .inference).output
        let p = try logits.softmaxRows(kernels: model.kernels)
        let classes = p.shape[1]
        return (0..<batch.count).map { i in
            Prediction(probabilities: p.scalars[(i * classes)..<((i + 1) * classes)].map(Self.shortestDouble))
        }
    }
}
