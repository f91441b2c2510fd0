// Chapters 2 and 5's networks (the MLP, the digits CNN and LeNet-5) behind the
// `Classifier` interface: one batched forward pass in inference mode, then a
// softmax over the logits (in Double).
//
//   rows [n][d] → preprocessing (as saved) → x [n, d] → forward (inference) → logits [n, K]
//               → softmax per row → probabilities [n][K], class = argmax
//
// Inference mode keeps no cache and changes nothing in the layers (dropout
// passes activations through, batch norm reads its running statistics), so
// several threads may predict at once: the service's batch workers do.
// (Hence @unchecked Sendable: the model must not be trained while it serves.)

import BackpropCore
import Datasets
import Storage
import ConvolutionalNetworks
import Foundation
import Backpropagation

public final class NetworkClassifier: Classifier, @unchecked Sendable {
    public let model: Sequential<Float>
    public let info: ModelInfo
    public let classNames: [String]
    public let inputWidth: Int
    public let preprocessing: InputPreprocessing

    init(model: Sequential<Float>, info: ModelInfo, inputWidth: Int, classNames: [String], preprocessing: InputPreprocessing) {
        self.model = model
        self.info = info
        self.inputWidth = inputWidth
        self.classNames = classNames
        self.preprocessing = preprocessing
    }

    /// Chapter 2's MLP; `checkpoint` (the one it was loaded from, else a
    /// fresh one) describes it in `info`.
    public convenience init(_ m: MLPClassifier, checkpoint: Checkpoint? = nil) {
        self.init(model: m.model, info: ModelInfo(checkpoint: checkpoint ?? m.checkpoint(), parameterCount: m.model.parameterCount),
                  inputWidth: m.inputs, classNames: m.classNames, preprocessing: m.preprocessing)
    }

    /// Chapter 5's digits CNN.
    public convenience init(_ m: DigitsCNNClassifier, checkpoint: Checkpoint? = nil) {
        self.init(model: m.model, info: ModelInfo(checkpoint: checkpoint ?? m.checkpoint(), parameterCount: m.model.parameterCount),
                  inputWidth: m.inputs, classNames: m.classNames, preprocessing: m.preprocessing)
    }

    /// Chapter 5's LeNet-5 for 28×28 MNIST digits.
    public convenience init(_ m: LeNet5Classifier, checkpoint: Checkpoint? = nil) {
        self.init(model: m.model, info: ModelInfo(checkpoint: checkpoint ?? m.checkpoint(), parameterCount: m.model.parameterCount),
                  inputWidth: m.inputs, classNames: m.classNames, preprocessing: m.preprocessing)
    }

    /// Chapter 2's MLP from its checkpoint.
    public static func mlp(_ c: Checkpoint) throws -> NetworkClassifier { NetworkClassifier(try MLPClassifier(checkpoint: c), checkpoint: c) }

    /// Chapter 5's digits CNN from its checkpoint.
    public static func cnn(_ c: Checkpoint) throws -> NetworkClassifier { NetworkClassifier(try DigitsCNNClassifier(checkpoint: c), checkpoint: c) }

    /// The logits [n, K] for raw inputs (inference mode).
    public func logits(_ inputs: [[Double]]) throws -> Tensor<Float> {
        let x = try preprocessing.apply(try InferenceInput.matrix(inputs, width: inputWidth))
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
