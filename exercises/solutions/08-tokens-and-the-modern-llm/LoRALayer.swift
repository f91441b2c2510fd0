// Reference solution to exercise 8.5 (exercises/08-tokens-and-the-modern-llm/LoRALayer.swift).

import BackpropCore
import Backpropagation
import ExerciseKit
import Foundation

public final class LoRALinearLayer: Layer {
    public let weight: Parameter<Double>
    public let a: Parameter<Double>
    public let b: Parameter<Double>
    public let alpha: Double
    public var backend: Backend = .naive
    public var parameters: [Parameter<Double>] { [a, b] }
    public var summary: String { "LoRALinearLayer(\(inputs) → \(outputs), rank \(rank))" }
    var inputs: Int { weight.value.shape[1] }
    var outputs: Int { weight.value.shape[0] }
    var rank: Int { a.value.shape[0] }
    var scale: Double { alpha / Double(rank) }

    public struct Cache {
        /// x [n, in], x Aᵀ [n, r] and x's shape
        var x: [Double]
        var ax: [Double]
        var shape: [Int]
    }

    public init(weight: Tensor<Double>, rank: Int, alpha: Double, rng: inout SeededRandom) throws {
        let (outputs, inputs) = (weight.shape[0], weight.shape[1])
        let bound = 1 / Double(inputs).squareRoot()
        self.weight = Parameter("weight", weight)
        a = Parameter("lora_A", try Tensor(shape: [rank, inputs], scalars: (0..<(rank * inputs)).map { _ in rng.uniform(-bound, bound) }))
        b = Parameter("lora_B", try Tensor(shape: [outputs, rank], repeating: 0))
        self.alpha = alpha
    }

    /// out[i][o] = Σₖ p[i][k]·m[o][k] for p [n, k] and m [outs, k], row-major.
    static func timesTransposed(_ p: [Double], _ m: [Double], n: Int, k: Int, outs: Int) -> [Double] {
        var out = [Double](repeating: 0, count: n * outs)
        for i in 0..<n { for o in 0..<outs { var s = 0.0; for j in 0..<k { s += p[i * k + j] * m[o * k + j] }; out[i * outs + o] = s } }
        return out
    }

    /// out[i][j] = Σₖ p[i][k]·m[k][j] for p [n, k] and m [k, outs].
    static func times(_ p: [Double], _ m: [Double], n: Int, k: Int, outs: Int) -> [Double] {
        var out = [Double](repeating: 0, count: n * outs)
        for i in 0..<n { for j in 0..<k { let v = p[i * k + j]; for o in 0..<outs { out[i * outs + o] += v * m[j * outs + o] } } }
        return out
    }

    public func forward(_ x: Tensor<Double>, mode: Mode) throws -> (output: Tensor<Double>, cache: Cache) {
        let n = x.count / inputs
        let ax = Self.timesTransposed(x.scalars, a.value.scalars, n: n, k: inputs, outs: rank)           // [n, r]
        var y = Self.timesTransposed(x.scalars, weight.value.scalars, n: n, k: inputs, outs: outputs)    // x Wᵀ
        let side = Self.timesTransposed(ax, b.value.scalars, n: n, k: rank, outs: outputs)               // (x Aᵀ) Bᵀ
        for i in y.indices { y[i] += scale * side[i] }
        return (try Tensor(shape: Array(x.shape.dropLast()) + [outputs], scalars: y), Cache(x: x.scalars, ax: ax, shape: x.shape))
    }

    public func backward(_ dy: Tensor<Double>, cache: Cache) throws -> Tensor<Double> {
        let n = cache.x.count / inputs, s = scale, g = dy.scalars
        // B.grad += s·dyᵀ (x Aᵀ)   [out, r]
        var dB = b.grad.scalars
        for i in 0..<n { for o in 0..<outputs { for k in 0..<rank { dB[o * rank + k] += s * g[i * outputs + o] * cache.ax[i * rank + k] } } }
        b.grad = try Tensor(shape: b.value.shape, scalars: dB)
        // u = s·dy B   [n, r];  A.grad += uᵀ x   [r, in]
        let u = Self.times(g, b.value.scalars, n: n, k: outputs, outs: rank).map { $0 * s }
        var dA = a.grad.scalars
        for i in 0..<n { for k in 0..<rank { for j in 0..<inputs { dA[k * inputs + j] += u[i * rank + k] * cache.x[i * inputs + j] } } }
        a.grad = try Tensor(shape: a.value.shape, scalars: dA)
        // dx = dy W + u A
        var dx = Self.times(g, weight.value.scalars, n: n, k: outputs, outs: inputs)
        let side = Self.times(u, a.value.scalars, n: n, k: rank, outs: inputs)
        for i in dx.indices { dx[i] += side[i] }
        return try Tensor(shape: cache.shape, scalars: dx)
    }

    public func merge() throws {
        let update = Self.times(b.value.scalars, a.value.scalars, n: outputs, k: rank, outs: inputs)
        weight.value = try Tensor(shape: weight.value.shape, scalars: zip(weight.value.scalars, update).map { $0 + scale * $1 })
        b.value = try Tensor(shape: b.value.shape, repeating: 0)
    }
}
