// The decoder's single-row attention (DecodeKernels.swift): the SIMD kernel
// against its naive twin, for head sizes that take each of its paths (four
// vectors of a head at once, one at a time, and both), over caches of odd
// and even lengths; and the batched step split between the two cores
// (BatchedDecoding+Cores.swift) against one decoder at a time.

import BackpropCore
import Backpropagation
import RecurrentNetworks
import TestSupport
import Testing
@testable import Transformer

@Suite struct DecodeAttentionTests {
    /// Width and heads: d = 32 (4 vectors of 8 Floats), 16 (2), 48 (4 + 2).
    @Test("The SIMD single-row attention agrees with the naive loops", arguments: [(128, 4), (64, 4), (96, 2)], [1, 2, 7, 33])
    func simdMatchesNaive(shape: (width: Int, heads: Int), count: Int) throws {
        let c = shape.width, heads = shape.heads
        let q = randomTensor([3 * c], seed: 671, scale: 1.5).scalars.map(Float.init)
        let k = randomTensor([count * c], seed: 672, scale: 1.5).scalars.map(Float.init)
        let v = randomTensor([count * c], seed: 673).scalars.map(Float.init)
        let scale = 1 / Float(c / heads).squareRoot()
        var naive = [Float](repeating: 0, count: c), simd = naive
        var scores = [Float](repeating: 0, count: heads * count)
        q.withUnsafeBufferPointer { qp in
            k.withUnsafeBufferPointer { kp in
                v.withUnsafeBufferPointer { vp in
                    let rows = (q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!)
                    scores.withUnsafeMutableBufferPointer { sp in
                        naive.withUnsafeMutableBufferPointer {
                            DecodeAttention.naive(rows, count: count, width: c, heads: heads, scale: scale, scores: sp.baseAddress!, out: $0.baseAddress!)
                        }
                        simd.withUnsafeMutableBufferPointer {
                            DecodeAttention.simd(rows, count: count, width: c, heads: 0..<heads, headCount: heads, scale: scale,
                                                 scores: sp.baseAddress!, out: $0.baseAddress!)
                        }
                    }
                }
            }
        }
        #expect(maxRelativeDifference(Tensor(naive), Tensor(simd)) < 1e-5)
        #expect(naive.contains { $0 != 0 })
    }

    @Test("A batched step split between the cores gives each of 17 sequences the logits of its own decodeStep")
    func splitStep() throws {
        #expect(BatchedStepSplit.minimumRows <= 17)
        let model = try BatchedDecodingTests.model(Float.self, backend: .simd, width: 32, heads: 1)
        var rng = SeededRandom(seed: 674)
        let prompts = (0..<17).map { i in (0..<(1 + i % 11)).map { _ in rng.integer(below: 7) } }
        var batched = prompts.map { _ in GPTDecoder(model: model) }, alone = batched
        for i in prompts.indices {
            _ = try batched[i].append(contentsOf: prompts[i])
            _ = try alone[i].append(contentsOf: prompts[i])
        }
        for _ in 0..<6 {   // context 8: some windows slide and are refilled, the others step together
            let tokens = prompts.map { _ in rng.integer(below: 7) }
            let rows = try GPTDecoder.append(tokens, to: &batched)
            #expect(rows == (try tokens.indices.map { try alone[$0].append(tokens[$0]) }))
        }
        #expect(batched.map(\.tokens) == alone.map(\.tokens) && batched.map(\.cache.count) == alone.map(\.cache.count))
    }

    struct Refused: Error {}

    @Test("A split step rethrows the first error of either half and puts every cache back in order")
    func splitErrors() throws {
        guard let team = SpinTeam.shared else { return }   // one core: nothing to split
        var caches = Array(0..<9)
        #expect(throws: Refused.self) {
            _ = try BatchedStepSplit.halves(team, Array(0..<9), &caches) { (tokens: [Int], half: inout [Int]) -> [[Float]] in
                if tokens.first == 4 { throw Refused() }
                return tokens.map { [Float($0)] }
            }
        }
        #expect(caches == Array(0..<9))
        let rows = try BatchedStepSplit.halves(team, Array(0..<9), &caches) { (tokens: [Int], half: inout [Int]) -> [[Float]] in
            for i in half.indices { half[i] += 10 }
            return tokens.map { [Float($0)] }
        }
        #expect(rows == (0..<9).map { [Float($0)] } && caches == Array(10..<19))
    }
}
