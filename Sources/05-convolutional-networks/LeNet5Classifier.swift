// LeNet-5's checkpoint: the architecture is fixed (LeNet5.swift), so the file
// records only what varies and what serving needs.
//
//   kind    "lenet5"
//   config  inputs (784), image [1, 28, 28], outputs (10), dropout,
//           class_names, input_preprocessing (scale 1/255 for MNIST)
//   tensors "1.weight" [6, 1, 5, 5], "1.bias" [6], "4.weight" [16, 6, 5, 5],
//           "4.bias" [16], "8.weight" [120, 400], …, "13.weight" or
//           "12.weight" [10, 84] (after dropout or not) (f32)

import BackpropCore
import Datasets
import Storage
import Backpropagation

/// A trained LeNet-5 as a classifier: the network, its dropout, class names
/// and pixel scale. This is what a checkpoint of kind "lenet5" holds.
public final class LeNet5Classifier: CheckpointModel, @unchecked Sendable {
    public static var checkpointKind: String { "lenet5" }

    public let model: Sequential<Float>
    public let dropout: Double
    public let classNames: [String]
    public let preprocessing: InputPreprocessing
    /// 28×28 = 784 pixels.
    public var inputs: Int { LeNet5.side * LeNet5.side }

    /// A network built by `LeNet5.make(dropout:)`.
    public init(model: Sequential<Float>, dropout: Double, classNames: [String], preprocessing: InputPreprocessing) {
        self.model = model
        self.dropout = dropout
        self.classNames = classNames
        self.preprocessing = preprocessing
    }

    public func checkpoint(metadata: [(String, JSONValue)] = []) -> Checkpoint {
        let config: [(String, JSONValue)] = [
            ("inputs", .integer(inputs)), ("image", .array([.integer(1), .integer(LeNet5.side), .integer(LeNet5.side)])),
            ("outputs", .integer(10)), ("dropout", .number(dropout)),
            ("class_names", .array(classNames.map { .string($0) })),
        ] + preprocessing.checkpointConfig
        var c = model.checkpoint(kind: Self.checkpointKind, config: config, metadata: metadata)
        c.tensors += preprocessing.checkpointTensors
        return c
    }

    /// Rebuilds the network from its checkpoint alone.
    /// - Throws: `CheckpointError`; nothing is half-built.
    public convenience init(checkpoint c: Checkpoint) throws {
        try c.require(kind: Self.checkpointKind)
        let inputs = try c.configInt("inputs")
        guard inputs == LeNet5.side * LeNet5.side else {
            throw CheckpointError.badConfig(path: c.path, key: "inputs", reason: "is \(inputs); LeNet-5 reads 28×28 = 784 pixels")
        }
        let image = try c.configInts("image", in: 1...LeNet5.side)
        guard image == [1, LeNet5.side, LeNet5.side] else {
            throw CheckpointError.badConfig(path: c.path, key: "image", reason: "is \(image); LeNet-5 reads one channel of 28×28")
        }
        let outputs = try c.configInt("outputs")
        guard outputs == 10 else { throw CheckpointError.badConfig(path: c.path, key: "outputs", reason: "is \(outputs); LeNet-5 has 10 classes") }
        let dropout = try c.configDropout()
        let classNames = try c.configStrings("class_names")
        guard classNames.count == 10 else {
            throw CheckpointError.badConfig(path: c.path, key: "class_names", reason: "names \(classNames.count) classes, the network has 10")
        }
        let preprocessing = try InputPreprocessing(checkpoint: c, inputs: inputs)
        let model: Sequential<Float> = try LeNet5.make(dropout: dropout, seed: 0)
        try model.load(c)
        self.init(model: model, dropout: dropout, classNames: classNames, preprocessing: preprocessing)
    }
}
