// The fuzzer on its own: seeded corruptions of small valid checkpoints,
// decoded without a model loader, each end in a load that round-trips or a
// typed error. (ModelRegistryTests runs it through the model loaders.)

import BackpropCore
import Foundation
import ModelAsAService
import Storage
import TestSupport
import Testing

@Suite struct CheckpointFuzzTests {
    @Test("fuzz: 1,200 seeded corruptions each end in a load or a typed error")
    func fuzz() throws {
        let seeds = [try CheckpointSamples.float32().encoded(), try CheckpointSamples.float64().encoded(),
                     try Checkpoint(kind: "one", dtype: .float32, tensors: [("w", Tensor([1, 2, 3]))]).encoded()]
        let report = CheckpointFuzz.run(seeds: seeds, cases: 1200, seed: 701)
        print(report.summary)
        #expect(report.cases == 1200)
        #expect(report.failures.isEmpty, "\(report.failures.prefix(5))")
        #expect(report.loaded + report.errors.values.reduce(0, +) == 1200)
        #expect(report.loaded > 0)  // some edits are harmless (e.g. a changed value)
        #expect(report.mutations.count == CheckpointFuzz.mutationNames.count)
        for kind in ["badChecksum", "truncated", "malformed", "nonFinite", "tensorOutOfBounds", "tensorSizeMismatch"] {
            #expect(report.errors[kind, default: 0] > 0, "no case produced \(kind): \(report.summary)")
        }
    }
}
