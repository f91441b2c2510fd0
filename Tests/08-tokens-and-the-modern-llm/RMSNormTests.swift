// RMSNorm: backward against finite differences, forward and backward
// against PyTorch's F.rms_norm, the naive and SIMD twins against each
// other, and its edge cases.

import BackpropCore
import Backpropagation
import TestSupport
import Testing
@testable import TokensAndTheModernLLM

@Suite struct RMSNormTests {
    @Test("RMSNorm backward matches finite differences (input and gain)", arguments: [Backend.naive, .simd])
    func gradient(backend: Backend) throws {
        let norm = try RMSNorm<Double>(width: 5, backend: backend)
        norm.gain.value = randomTensor([5], seed: 811, scale: 1.5)
        for shape in [[4, 5], [2, 3, 5]] {   // rows, and a sequence [B, T, C]
            let reports = try checkLayer(norm, input: randomTensor(shape, seed: 812, scale: 2), seed: 813)
            #expect(reports["input"]!.passes(1e-6), "\(shape): \(reports["input"]!)")
            #expect(reports["weight"]!.passes(1e-6), "\(shape): \(reports["weight"]!)")
        }
    }

    func matchesPyTorch<S: TensorScalar>(_: S.Type, _ backend: Backend) throws {
        let f = try fixture("ch8_rmsnorm")
        let tol = tolerances(S.self)
        let norm = try RMSNorm<S>(width: 10, epsilon: try f.scalar("epsilon"), backend: backend)
        norm.gain.value = try f.tensor("weight")
        let (y, cache) = try norm.forward(try f.tensor("x"), mode: .training)   // [2, 3, 10]
        #expect(maxRelativeDifference(y, try f.tensor("y")) < tol.output)
        let dx = try norm.backward(try f.tensor("dy"), cache: cache)
        #expect(maxRelativeDifference(dx, try f.tensor("dx")) < tol.gradient)
        #expect(maxRelativeDifference(norm.gain.grad, try f.tensor("dweight")) < tol.gradient)
    }

    @Test("RMSNorm matches F.rms_norm (eps 1e-5): y, dx, dweight in Double and Float", arguments: [Backend.naive, .simd])
    func fixtureMatch(backend: Backend) throws {
        try matchesPyTorch(Double.self, backend)
        try matchesPyTorch(Float.self, backend)
    }

    /// 300 × 67: enough work for two cores (the gain gradient summed from
    /// two partial sums), and 67 = 8·8 + 3 leaves a vector tail.
    @Test("Naive and SIMD RMSNorm agree in Float on 300 rows of width 67 (two cores, vector tails)")
    func twins() throws {
        let x: Tensor<Float> = random([300, 67], seed: 814, scale: 3)
        let dy: Tensor<Float> = random([300, 67], seed: 815)
        var results: [(Tensor<Float>, Tensor<Float>, Tensor<Float>)] = []
        for backend in [Backend.naive, .simd] {
            let norm = try RMSNorm<Float>(width: 67, backend: backend)
            norm.gain.value = random([67], seed: 816)
            let (y, cache) = try norm.forward(x, mode: .training)
            results.append((y, try norm.backward(dy, cache: cache), norm.gain.grad))
        }
        #expect(maxRelativeDifference(results[0].0, results[1].0) < 2e-5)
        #expect(maxRelativeDifference(results[0].1, results[1].1) < 1e-4)
        #expect(maxRelativeDifference(results[0].2, results[1].2) < 1e-4)
    }

    @Test("A zero row gives zeros (ε keeps r = 1/√ε finite), and scaling a row does not change y", arguments: [Backend.naive, .simd])
    func edgeCases(backend: Backend) throws {
        let norm = try RMSNorm<Double>(width: 4, epsilon: 1e-5, backend: backend)
        let (y, cache) = try norm.forward(try Tensor(shape: [1, 4], scalars: [0, 0, 0, 0]), mode: .training)
        #expect(y.scalars == [0, 0, 0, 0])
        #expect(abs(cache.inverseRMS[0] - 1 / 1e-5.squareRoot()) < 1e-9)
        let x = randomTensor([3, 4], seed: 817)
        let y1 = try norm(x), y2 = try norm(x.scaled(by: 1000))
        // Equal up to ε's share: y₁/y₂ = √((m + ε/10⁶)/(m + ε)) ≈ 1 − ε/(2m), about 2e-5 here (m ≈ 1/3)…
        #expect(maxRelativeDifference(y1, y2) < 1e-4)
        #expect(maxRelativeDifference(y1, y2) > 1e-6)
        // …and exactly (to rounding) without ε.
        let exact = try RMSNorm<Double>(width: 4, epsilon: 0, backend: backend)
        #expect(maxRelativeDifference(try exact(x), try exact(x.scaled(by: 1000))) < 1e-14)
        // Unit RMS for a unit gain: mean of y² = m/(m + ε) ≈ 1.
        for i in 0..<3 {
            let row = y1.scalars[(4 * i)..<(4 * i + 4)]
            #expect(abs(row.map { $0 * $0 }.reduce(0, +) / 4 - 1) < 1e-3)
        }
    }

    @Test("Bad shapes are typed errors naming the shapes")
    func badShapes() throws {
        let norm = try RMSNorm<Double>(width: 5)
        let error = #expect(throws: TensorError.self) { try norm.forward(randomTensor([2, 3, 7], seed: 1), mode: .inference) }
        #expect("\(error!)".contains("[2, 3, 7]"))
        let (_, cache) = try norm.forward(randomTensor([2, 3, 5], seed: 1), mode: .training)
        let backwardError = #expect(throws: TensorError.self) { try norm.backward(randomTensor([2, 5], seed: 2), cache: cache) }
        #expect("\(backwardError!)".contains("[2, 5]") && "\(backwardError!)".contains("[2, 3, 5]"))
        #expect(throws: TensorError.self) { try RMSNorm<Double>(width: 0) }
        #expect(throws: TensorError.self) { try norm.forward(try Tensor<Double>(shape: [5], scalars: [1, 2, 3, 4, 5]), mode: .inference) }
    }
}
