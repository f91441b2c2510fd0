// Chapters 2 and 4's networks (the MLP and the digits CNN) behind the
// `Classifier` interface: one batched forward pass in inference mode, then a
// softmax over the logits (in Double).
//
// A Sequential model is a mutable object (its layers are classes), so one
// lock serialises forward passes; a server batches concurrent requests into
// one pass instead (see the serving chapter).

import BackpropCore
import ConvolutionalNetworks
import Foundation
import NeuralNetworks

public final class NetworkClassifier: Classifier, @unchecked Sendable {
    public let kind: String
    public let model: Sequential<Float>
    public let classNames: [String]
    public let inputWidth: Int
    public let preprocessing: InputPreprocessing
    private let lock = NSLock()

    public init(kind: String, model: Sequential<Float>, inputWidth: Int, classNames: [String], preprocessing: InputPreprocessing) {
        self.kind = kind
        self.model = model
        self.inputWidth = inputWidth
        self.classNames = classNames
        self.preprocessing = preprocessing
    }

    /// Chapter 2's MLP from its checkpoint.
    public static func mlp(_ c: Checkpoint, path: String = "") throws -> NetworkClassifier {
        let r = try MultilayerPerceptron.restore(c, path: path)
        return NetworkClassifier(kind: "mlp", model: r.model, inputWidth: r.inputs, classNames: r.classNames, preprocessing: r.preprocessing)
    }

    /// Chapter 4's digits CNN from its checkpoint.
    public static func cnn(_ c: Checkpoint, path: String = "") throws -> NetworkClassifier {
        let r = try DigitsCNN.restore(c, path: path)
        return NetworkClassifier(kind: "cnn", model: r.model, inputWidth: 64, classNames: r.classNames, preprocessing: r.preprocessing)
    }

    public var parameterCount: Int { model.parameterCount }

    /// The logits [n, K] for raw inputs (inference mode).
    public func logits(_ inputs: [[Double]]) throws -> Tensor<Float> {
        let x = try preprocessing.apply(try InferenceInput.matrix(inputs, width: inputWidth))
        lock.lock()
        defer { lock.unlock() }
        return try model.forward(x, mode: .inference).output
    }

    public func predict(_ inputs: [[Double]]) throws -> [ClassPrediction] {
        guard !inputs.isEmpty else { return [] }
        let z = try logits(inputs)
        let k = z.shape[1]
        return (0..<inputs.count).map { i in
            let row = z.scalars[(i * k)..<((i + 1) * k)]
            let c = InferenceInput.argmax(row)
            return ClassPrediction(class: c, label: c < classNames.count ? classNames[c] : nil,
                                   probabilities: InferenceInput.softmax(row))
        }
    }
}
