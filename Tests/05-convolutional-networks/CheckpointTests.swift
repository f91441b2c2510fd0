// Checkpoints: a bit-exact round trip (parameters and batch-norm running
// statistics), typed errors for files that are not checkpoints, and atomic saves.

import BackpropCore
import Storage
import ConvolutionalNetworks
import Foundation
import Backpropagation
import Testing

@Suite struct CheckpointTests {
    func scratchDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A trained-looking model: a few steps so running statistics move.
    func trainedModel(seed: UInt64) throws -> Sequential<Float> {
        let model: Sequential<Float> = try DigitsCNN.make(channels: (4, 8), batchNorm: true, dropout: 0, seed: seed)
        let data = try Chapter5.digits(seed: 1).train
        let trainer = ClassifierTrainer(model: model, optimizer: try Adam(model.parameters, learningRate: 0.01))
        for _ in 0..<3 { try trainer.step(data.features.rows(0..<16), Array(data.labels[0..<16]), options: TrainingOptions(epochs: 1, batchSize: 16, seed: 0)) }
        return model
    }

    @Test("save then load gives a model with identical tensors and identical predictions")
    func roundTrip() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("cnn.ckpt")
        let model = try trainedModel(seed: 1)
        try model.checkpoint(kind: "cnn").write(to: url)
        let other: Sequential<Float> = try DigitsCNN.make(channels: (4, 8), batchNorm: true, dropout: 0, seed: 99)
        try other.load(try Checkpoint.load(url))
        for (a, b) in zip(model.namedTensors, other.namedTensors) {
            #expect(a.name == b.name)
            #expect(a.tensor.scalars.map(\.bitPattern) == b.tensor.scalars.map(\.bitPattern), "\(a.name) differs")
        }
        #expect(model.namedTensors.contains { $0.name.hasSuffix("running_var") })
        let x = try Chapter5.digits(seed: 1).test.features.rows(0..<8)
        #expect(try model(x) == other(x))
    }

    // (The binary format's own damage cases are in Tests/Storage/CheckpointFormatTests.)
    @Test("files that are not binary checkpoints are typed errors that name the problem", arguments: [
        ("{\"format\": \"backprop-checkpoint\", \"version\": 1, \"model\": \"cnn\", \"tensors\": []}", "version-1 checkpoint"),
        ("[1, 2]", "found 5b 31 2c 20 32 5d"),
        ("", "the file is empty"),
    ])
    func badFiles(text: String, message: String) throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bad.json")
        try Data(text.utf8).write(to: url)
        let error = #expect(throws: CheckpointError.self) { try Checkpoint.load(url) }
        #expect(error?.description.contains(message) == true, "got: \(String(describing: error))")
        #expect(throws: CheckpointError.self) { try Checkpoint.load(dir.appendingPathComponent("missing.ckpt")) }
    }

    @Test("a checkpoint for another architecture is refused before anything changes")
    func wrongShapes() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("small.ckpt")
        try trainedModel(seed: 2).checkpoint(kind: "cnn").write(to: url)
        let big: Sequential<Float> = try DigitsCNN.make(batchNorm: true, dropout: 0, seed: 3)
        let before = big.namedTensors.map(\.tensor)
        let error = #expect(throws: CheckpointError.self) { try big.load(try Checkpoint.load(url)) }
        guard case .shapeMismatch? = error else { Issue.record("expected a shape mismatch, got \(String(describing: error))"); return }
        #expect(big.namedTensors.map(\.tensor) == before)
        let mlp: Sequential<Float> = try MultilayerPerceptron.make(inputs: 64, hidden: [8], outputs: 10, seed: 1)
        #expect(throws: CheckpointError.self) { try mlp.load(try Checkpoint.load(url)) }
    }

    @Test("a failed save leaves what was there intact and no temporary file behind")
    func atomicSave() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The target is a non-empty directory: the final rename must fail.
        let target = dir.appendingPathComponent("model.ckpt")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: target.appendingPathComponent("inside.txt"))
        #expect(throws: FileWriteError.self) { try trainedModel(seed: 4).checkpoint(kind: "cnn").write(to: target) }
        #expect(try String(contentsOf: target.appendingPathComponent("inside.txt"), encoding: .utf8) == "keep me")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.ckpt"])
        // A successful save replaces an old file completely.
        let file = dir.appendingPathComponent("other.ckpt")
        try Data(String(repeating: "x", count: 1_000_000).utf8).write(to: file)
        try trainedModel(seed: 5).checkpoint(kind: "cnn").write(to: file)
        #expect(try Checkpoint.load(file).kind == "cnn")
    }
}
