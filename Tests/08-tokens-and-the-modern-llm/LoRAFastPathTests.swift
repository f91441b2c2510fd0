// The LoRA fast path of the attention (LoRA.swift, LoRAKernels.swift):
// the thin-product kernels against their naive twins (plain sums of the
// definitions), and the whole model with adapters on every projection,
// SIMD (W + s·B A folded into one product each way) against naive (the two
// paths computed apart), frozen base or not.

import BackpropCore
import Backpropagation
import TestSupport
import Testing
@testable import TokensAndTheModernLLM

@Suite struct LoRAFastPathTests {
    /// Sizes with vector tails (37, 45 not multiples of 8) and enough rows
    /// for the gradients to split over the cores.
    @Test("LoRAKernels: x Aᵀ and the adapter's gradients, SIMD against the naive twin (Float 5e-5, Double 1e-13)")
    func kernelTwins() throws {
        func check<S: TensorScalar>(_: S.Type, tolerance: Double) {
            let (n, inputs, outputs, r) = (200, 45, 37, 3)
            #expect(n * r * (inputs + 2 * outputs) >= LoRAKernels.parallelThreshold)
            let x = random([n, inputs], seed: 970, as: S.self), a = random([r, inputs], seed: 971, as: S.self)
            let dy = random([n, outputs], seed: 972, as: S.self), b = random([outputs, r], seed: 973, as: S.self)
            let startA = random([r, inputs], seed: 974, as: S.self), startB = random([outputs, r], seed: 975, as: S.self)
            var results: [[[S]]] = []
            for backend in [Backend.naive, .simd] {
                var ax = [S](repeating: 0, count: n * r), gradA = startA.scalars, gradB = startB.scalars
                x.withUnsafeBufferPointer { px in
                    a.withUnsafeBufferPointer { pa in
                        ax.withUnsafeMutableBufferPointer { LoRAKernels.project(backend, rows: n, inputs: inputs, rank: r, px.baseAddress!, pa.baseAddress!, $0.baseAddress!) }
                    }
                    dy.withUnsafeBufferPointer { pdy in
                        b.withUnsafeBufferPointer { pb in
                            ax.withUnsafeBufferPointer { pax in
                                gradA.withUnsafeMutableBufferPointer { ga in
                                    gradB.withUnsafeMutableBufferPointer { gb in
                                        LoRAKernels.gradients(backend, rows: n, inputs: inputs, outputs: outputs, rank: r, scale: 1.5,
                                                              dy: pdy.baseAddress!, x: px.baseAddress!, ax: pax.baseAddress!, b: pb.baseAddress!,
                                                              gradA: ga.baseAddress!, gradB: gb.baseAddress!)
                                    }
                                }
                            }
                        }
                    }
                }
                results.append([ax, gradA, gradB])
            }
            // The naive ax against its definition, one element.
            let ax01 = (0..<inputs).reduce(0.0) { $0 + Double(x.scalars[$1]) * Double(a.scalars[inputs + $1]) }
            #expect(abs(Double(results[0][0][1]) - ax01) < tolerance * 10)
            for (name, naive, simd) in zip3(["ax", "A.grad", "B.grad"], results[0], results[1]) {
                let worst = zip(naive, simd).map { abs(Double($0) - Double($1)) / max(1, abs(Double($0))) }.max() ?? 0
                #expect(worst < tolerance, "\(S.self) \(name): \(worst)")
            }
        }
        // A.grad sums n = 200 rows of terms that are themselves sums of 37:
        // about (n + out)·ε = 2.8e-5 relative in Float.
        check(Float.self, tolerance: 5e-5)
        check(Double.self, tolerance: 1e-13)
    }

    func zip3<A, B, C>(_ a: [A], _ b: [B], _ c: [C]) -> [(A, B, C)] { zip(a, zip(b, c)).map { ($0, $1.0, $1.1) } }

    @Test("The Llama with adapters on q, k, v, o: merged SIMD path against the two-path naive twin, loss and every gradient, frozen or not")
    func modelTwin() throws {
        let config = try LlamaConfig(vocabularySize: 11, context: 6, layers: 2, width: 16, heads: 4, kvHeads: 2, hidden: 12)
        let inputs = [1, 4, 6, 0, 2, 9, 3, 5, 7, 8, 10, 1], targets = [4, 6, 0, 3, 2, 5, 5, 7, 8, 10, 1, 2]
        for frozen in [true, false] {
            var losses: [Double] = [], grads: [[[Double]]] = []
            for backend in [Backend.naive, .simd] {
                let model = try Llama<Double>(config: config, seed: 960, std: 0.4, backend: backend)
                try model.addLoRA(rank: 2, alpha: 4, targets: LoRATarget.allCases, seed: 961)
                LoRATests.perturb(model)
                model.freezesBase = frozen
                #expect(model.blocks[0].attention.adapters.values.allSatisfy { $0.mergesIntoBase == (backend == .simd) })
                model.zeroGrad()
                for p in model.loraParameters { p.parameter.zeroGrad() }
                losses.append(try model.loss(inputs: inputs, targets: targets, batch: 2, length: 6))
                grads.append((model.loraParameters.map(\.parameter) + model.parameters).map(\.grad.scalars))
            }
            #expect(abs(losses[0] - losses[1]) < 1e-12, "frozen \(frozen)")
            for (naive, simd) in zip(grads[0], grads[1]) {
                let worst = zip(naive, simd).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? 0
                #expect(worst < 1e-11, "frozen \(frozen): \(worst)")
            }
        }
    }
}
