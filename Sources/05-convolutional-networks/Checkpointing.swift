// The digits CNN's checkpoint: everything needed to rebuild it from the file
// alone (the layer tensors themselves, including batch normalisation's
// running statistics, are saved by Backpropagation/Checkpointing.swift):
//
//   kind    "cnn"
//   config  inputs (64), channels [c₁, c₂], batch_norm, dropout, outputs (10),
//           class_names, input_preprocessing (scale 1/16 for the digits)
//   tensors "1.weight" [c₁, 1, 3, 3], …, "2.running_mean" [c₁], … (f32)

import BackpropCore
import Datasets
import Storage
import Backpropagation

/// The trained digits CNN as a classifier: the network, its architecture,
/// class names and pixel scale. This is what a checkpoint of kind "cnn" holds.
public final class DigitsCNNClassifier: CheckpointModel, @unchecked Sendable {
    public static var checkpointKind: String { "cnn" }

    public let model: Sequential<Float>
    public let channels: (Int, Int)
    public let batchNorm: Bool
    public let dropout: Double
    public let classNames: [String]
    public let preprocessing: InputPreprocessing
    /// 8×8 = 64 pixels.
    public var inputs: Int { 64 }

    /// A network built by `DigitsCNN.make` with these settings.
    public init(model: Sequential<Float>, channels: (Int, Int) = (16, 32), batchNorm: Bool, dropout: Double,
                classNames: [String], preprocessing: InputPreprocessing) {
        self.model = model
        self.channels = channels; self.batchNorm = batchNorm; self.dropout = dropout
        self.classNames = classNames; self.preprocessing = preprocessing
    }

    public func checkpoint(metadata: [(String, JSONValue)] = []) -> Checkpoint {
        let config: [(String, JSONValue)] = [
            ("inputs", .integer(64)), ("channels", .array([.integer(channels.0), .integer(channels.1)])),
            ("batch_norm", .bool(batchNorm)), ("dropout", .number(dropout)), ("outputs", .integer(10)),
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
        guard inputs == 64 else { throw CheckpointError.badConfig(path: c.path, key: "inputs", reason: "is \(inputs); the digits CNN reads 8×8 = 64 pixels") }
        let outputs = try c.configInt("outputs")
        guard outputs == 10 else { throw CheckpointError.badConfig(path: c.path, key: "outputs", reason: "is \(outputs); the digits CNN has 10 classes") }
        let channels = try c.configInts("channels", in: 1...max(c.storedScalarCount, 1))
        guard channels.count == 2 else { throw CheckpointError.badConfig(path: c.path, key: "channels", reason: "must list two channel counts") }
        // conv1 9·c₁ + conv2 9·c₁·c₂ + linear 16·c₂·10: all must be stored.
        let (a, o1) = channels[0].multipliedReportingOverflow(by: channels[1])
        try c.requireStored(parameters: o1 || a > Int.max / 16 ? nil : 9 * a + 160 * channels[1], key: "channels")
        let batchNorm = try c.configBool("batch_norm")
        let dropout = try c.configDropout()
        let classNames = try c.configStrings("class_names")
        guard classNames.count == 10 else {
            throw CheckpointError.badConfig(path: c.path, key: "class_names", reason: "names \(classNames.count) classes, the network has 10")
        }
        let preprocessing = try InputPreprocessing(checkpoint: c, inputs: 64)
        for (name, t) in c.tensors where name.hasSuffix(".running_var") {
            if let i = t.scalars.firstIndex(where: { $0 < 0 }) {
                throw CheckpointError.malformed(path: c.path, reason: "tensor '\(name)' holds a negative variance at element \(i)")
            }
        }
        let model: Sequential<Float> = try DigitsCNN.make(channels: (channels[0], channels[1]), batchNorm: batchNorm, dropout: dropout, seed: 0)
        try model.load(c)
        self.init(model: model, channels: (channels[0], channels[1]), batchNorm: batchNorm, dropout: dropout,
                  classNames: classNames, preprocessing: preprocessing)
    }
}
