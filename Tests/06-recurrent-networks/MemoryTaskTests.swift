// The adding problem: its data obey the task's definition, and a tiny run
// goes through (the real comparison is `backprop train memory`, release).

import BackpropCore
import Testing
@testable import RecurrentNetworks

@Suite struct MemoryTaskTests {
    @Test func addingBatchesHaveOneMarkerPerHalfAndTheirSumAsTarget() {
        var rng = SeededRandom(seed: 560)
        let (t, b) = (10, 16)
        let (x, y) = MemoryTask.addingBatch(length: t, batch: b, rng: &rng)
        #expect(x.count == t * b * 2 && y.count == b)
        for s in 0..<b {
            let marked = (0..<t).filter { x[($0 * b + s) * 2 + 1] == 1 }
            #expect(marked.count == 2)
            #expect(marked[0] < t / 2 && marked[1] >= t / 2)
            let sum = marked.map { x[($0 * b + s) * 2] }.reduce(0, +)
            #expect(abs(sum - y[s]) < 1e-6)
            #expect((0..<t).allSatisfy { x[($0 * b + s) * 2] >= 0 && x[($0 * b + s) * 2] < 1 })
        }
    }

    @Test(arguments: CellKind.allCases)
    func tinyRunReportsLossAndGradientNorms(_ cell: CellKind) throws {
        var o = MemoryTaskOptions(cell: cell, context: 6, seed: 561)
        o.width = 8
        o.batch = 8
        o.steps = 3
        let r = try MemoryTask.run(o)
        #expect(r.losses.count == 3 && r.losses.allSatisfy(\.isFinite))
        #expect(r.gradientNorms.count == 6 && r.gradientNorms.allSatisfy { $0.isFinite && $0 > 0 })
        #expect(r.testMSE.isFinite)
        #expect(r.solved == (r.testMSE < MemoryTask.criterion))
    }
}
