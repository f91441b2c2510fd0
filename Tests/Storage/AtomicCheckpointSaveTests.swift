// Atomic saves: a save that fails halfway, a producer that throws and a
// leftover temporary file all leave the previous checkpoint intact.

import BackpropCore
import Foundation
import Storage
import TestSupport
import Testing

@Suite struct AtomicCheckpointSaveTests {
    func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("a save that fails halfway leaves the previous checkpoint intact and no temporary file")
    func failedSaveKeepsPrevious() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.ckpt")
        let good = try CheckpointSamples.float32()
        try good.write(to: url)
        let before = try Data(contentsOf: url)
        // The last tensor holds a NaN: the writer has already streamed the
        // header and the first tensor into the temporary file when it throws.
        var bad = good
        bad.tensors.append(("late", Tensor([1, 2, .nan])))
        var streamed = 0
        #expect(throws: CheckpointError.self) {
            try AtomicFile.write(to: url) { handle in
                try CheckpointWriter.write(bad) { chunk in
                    streamed += chunk.count
                    try handle.write(contentsOf: chunk)
                }
            }
        }
        #expect(streamed > 100)  // really halfway, not refused up front
        #expect(try Data(contentsOf: url) == before)
        #expect(throws: CheckpointError.self) { try bad.write(to: url) }
        #expect(try Data(contentsOf: url) == before)
        #expect(try Checkpoint.load(url).tensors.count == good.tensors.count)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.ckpt"])
    }

    @Test("a producer that throws midway: its own error comes back, the old file stays")
    func producerThrows() throws {
        struct Interrupted: Error {}
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.ckpt")
        try CheckpointSamples.float64().write(to: url)
        let before = try Data(contentsOf: url)
        #expect(throws: Interrupted.self) {
            try AtomicFile.write(to: url) { handle in
                try handle.write(contentsOf: Data(repeating: 7, count: 4096))
                throw Interrupted()
            }
        }
        #expect(try Data(contentsOf: url) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.ckpt"])
    }

    /// Simulated, not real: a process killed mid-save leaves its temporary
    /// file behind (it never reaches the rename). We write such a leftover by
    /// hand and check that the checkpoint itself is unaffected and still loads.
    @Test("a leftover temporary file from a killed save does not affect the checkpoint")
    func simulatedCrashLeftover() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.ckpt")
        try CheckpointSamples.float32().write(to: url)
        let half = try CheckpointSamples.float64().encoded().prefix(50)
        try half.write(to: dir.appendingPathComponent(".model.ckpt.\(UUID().uuidString).tmp"))
        #expect(try Checkpoint.load(url).kind == "toy")
        try CheckpointSamples.float64().write(to: url)  // the next save still works
        #expect(try Checkpoint.load(url).kind == "toy64")
    }
}
