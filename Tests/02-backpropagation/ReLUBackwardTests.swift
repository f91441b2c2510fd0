// ReLUBackwardTests: Activation's Float ReLU backward loop (ReLUBackward.swift)
// gives the bits of the naive twin, Naive.mapBackward, for every count up to
// a few vectors (whole vectors and scalar tails) and for inputs full of
// ±0, ±∞ and NaN in both x and dy.

@testable import Backpropagation
import BackpropCore
import Testing

@Suite struct ReLUBackwardTests {
    @Test("the Float ReLU backward loop equals the naive derivative bit for bit", arguments: Array(0...35))
    func matchesNaive(count: Int) {
        var rng = SeededRandom(seed: UInt64(count))
        let special: [Float] = [0, -0.0, 1, -1, .infinity, -.infinity, .nan, 0.5, -2, .leastNonzeroMagnitude]
        let x = (0..<count).map { _ in special[rng.integer(below: special.count)] }
        let dy = (0..<count).map { _ in special[rng.integer(below: special.count)] }
        var fast = [Float](repeating: 7, count: count), naive = fast
        fast.withUnsafeMutableBufferPointer { ReLUBackward.float(count: count, x: x, dy: dy, dx: $0.baseAddress!) }
        naive.withUnsafeMutableBufferPointer { Naive.mapBackward(.relu, count: count, x: x, y: x, dy: dy, dx: $0.baseAddress!) }
        #expect(fast.map(\.bitPattern) == naive.map(\.bitPattern))
    }

    @Test("Activation(.relu) backward on the SIMD backend equals the naive backend")
    func layerTwins() throws {
        var rng = SeededRandom(seed: 9)
        let x = try Tensor<Float>(shape: [3, 37], scalars: (0..<111).map { _ in Float(rng.uniform(-1, 1)) })
        let dy = try Tensor<Float>(shape: [3, 37], scalars: (0..<111).map { _ in Float(rng.uniform(-1, 1)) })
        var results: [[UInt32]] = []
        for backend in Backend.allCases {
            let layer = Activation<Float>(.relu, backend: backend)
            let (_, cache) = try layer.forward(x, mode: .training)
            results.append(try layer.backward(dy, cache: cache).scalars.map(\.bitPattern))
        }
        #expect(results[0] == results[1])
    }
}
