// The SwiGLU MLP: finite differences, PyTorch, the gate's twins, Llama's
// hidden width.

import BackpropCore
import Backpropagation
import TestSupport
import Testing
@testable import TokensAndTheModernLLM

@Suite struct SwiGLUTests {
    @Test("SwiGLU backward matches finite differences (input, W₁, W₃, W₂)", arguments: [Backend.naive, .simd])
    func gradient(backend: Backend) throws {
        var rng = SeededRandom(seed: 831)
        let mlp = try SwiGLU<Double>(width: 4, hidden: 6, std: 0.7, outputStd: 0.7, rng: &rng, backend: backend)
        let reports = try checkLayer(mlp, input: randomTensor([2, 3, 4], seed: 832, scale: 2), seed: 833)
        #expect(reports["input"]!.passes(1e-6), "input: \(reports["input"]!)")
        for (i, (name, _)) in mlp.namedParameters.enumerated() {
            let report = reports["\(i).weight"]!
            #expect(report.passes(1e-6), "\(name): \(report)")
        }
    }

    func matchesPyTorch<S: TensorScalar>(_: S.Type, _ backend: Backend) throws {
        let f = try fixture("ch8_swiglu")
        let tol = tolerances(S.self)
        let mlp = try SwiGLU<S>(gate: try f.tensor("param:gate_proj.weight"), up: try f.tensor("param:up_proj.weight"),
                                down: try f.tensor("param:down_proj.weight"), backend: backend)
        #expect(mlp.width == 8 && mlp.hidden == 12)
        let (y, cache) = try mlp.forward(try f.tensor("x"), mode: .training)    // [2, 3, 8]
        #expect(maxRelativeDifference(y, try f.tensor("y")) < tol.output)
        #expect(maxRelativeDifference(try mlp.backward(try f.tensor("dy"), cache: cache), try f.tensor("dx")) < tol.gradient)
        let (worst, name) = try worstGradient(mlp.namedParameters, against: f)
        #expect(worst < tol.gradient, "\(name): \(worst)")
    }

    @Test("SwiGLU matches PyTorch down(silu(gate(x)) * up(x)): y, dx and the weights' gradients", arguments: [Backend.naive, .simd])
    func fixtureMatch(backend: Backend) throws {
        try matchesPyTorch(Double.self, backend)
        try matchesPyTorch(Float.self, backend)
    }

    /// 4·64 rows of hidden width 128: 32,768 gate elements, the size from
    /// which the SIMD gate uses both cores; x scaled so σ sees the tails.
    @Test("Naive and SIMD SwiGLU agree in Float (the vector sigmoid, two cores)")
    func twins() throws {
        let x: Tensor<Float> = random([4, 64, 32], seed: 834, scale: 3)
        let dy: Tensor<Float> = random([4, 64, 32], seed: 835)
        var results: [(Tensor<Float>, Tensor<Float>, [Tensor<Float>])] = []
        for backend in [Backend.naive, .simd] {
            var rng = SeededRandom(seed: 836)
            let mlp = try SwiGLU<Float>(width: 32, hidden: 128, std: 0.3, outputStd: 0.1, rng: &rng, backend: backend)
            let (y, cache) = try mlp.forward(x, mode: .training)
            results.append((y, try mlp.backward(dy, cache: cache), mlp.parameters.map(\.grad)))
        }
        #expect(maxRelativeDifference(results[0].0, results[1].0) < 2e-5)
        #expect(maxRelativeDifference(results[0].1, results[1].1) < 1e-4)
        for i in 0..<3 { #expect(maxRelativeDifference(results[0].2[i], results[1].2[i]) < 1e-4, "weight \(i)") }
    }

    @Test("The gate kernels' twins agree on the tails of σ (no NaN at ±100), in Float and Double")
    func gateKernels() throws {
        let a: [Float] = [-100, -20, -1, -0.5, 0, 0.5, 1, 20, 100, 3.3, -7.1]
        let b: [Float] = a.indices.map { Float($0) * 0.3 - 1 }
        let dh: [Float] = a.indices.map { 1 - Float($0) * 0.2 }
        var outputs: [[Float]] = []
        for backend in [Backend.naive, .simd] {
            var h = [Float](repeating: 0, count: a.count), s = h, da = h, db = h
            SwiGLUKernels.forward(backend, count: a.count, a, b, &h, &s)
            SwiGLUKernels.backward(backend, count: a.count, dh, a, b, s, &da, &db)
            outputs.append(h + s + da + db)
        }
        #expect(outputs.allSatisfy { $0.allSatisfy(\.isFinite) })
        for (x, y) in zip(outputs[0], outputs[1]) { #expect(abs(x - y) <= 1e-6 * max(1, abs(x)), "\(x) vs \(y)") }
        // silu′(0) = ½ and silu(0) = 0; silu′(100) = 1.
        var da = [Double](repeating: 0, count: 2), db = da
        SwiGLUKernels.backward(.simd, count: 2, [1, 1], [0, 100], [1, 1], [0.5, 1], &da, &db)
        #expect(da == [0.5, 1] && db == [0, 100])
    }

    @Test("Llama's hidden width: ⌊8C/3⌋ rounded up to a multiple (Llama 7B: 4096 → 11008)")
    func hiddenWidth() {
        #expect(SwiGLU<Float>.llamaHidden(width: 4096, multipleOf: 256) == 11008)
        #expect(SwiGLU<Float>.llamaHidden(width: 128) == 344)
        #expect(SwiGLU<Float>.llamaHidden(width: 128, multipleOf: 16) == 352)
        #expect(SwiGLU<Float>.llamaHidden(width: 96) == 256)
    }

    @Test("Bad shapes are typed errors naming the shapes")
    func badShapes() throws {
        var rng = SeededRandom(seed: 837)
        let mlp = try SwiGLU<Double>(width: 4, hidden: 6, rng: &rng)
        let error = #expect(throws: TensorError.self) { try mlp.forward(randomTensor([2, 3, 5], seed: 1), mode: .inference) }
        #expect("\(error!)".contains("[2, 3, 5]"))
        let (_, cache) = try mlp.forward(randomTensor([2, 3, 4], seed: 1), mode: .training)
        #expect(throws: TensorError.self) { try mlp.backward(randomTensor([2, 3, 6], seed: 2), cache: cache) }
        #expect(throws: TensorError.self) {
            try SwiGLU<Double>(gate: randomTensor([6, 4], seed: 1), up: randomTensor([6, 4], seed: 2), down: randomTensor([6, 4], seed: 3))
        }
    }
}
