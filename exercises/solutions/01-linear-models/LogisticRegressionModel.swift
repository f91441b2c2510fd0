// Reference solution to exercise 1.5: logistic regression's loss and
// gradients with explicit loops over the row-major scalars, generic over the
// scalar so the same code is checked in Double and trained in Float.
//   zᵢ = w·xᵢ + b,  ℓᵢ = max(zᵢ, 0) − zᵢyᵢ + log(1 + e^(−|zᵢ|)),
//   ∂L/∂zᵢ = (σ(zᵢ) − yᵢ)/n,  ∂L/∂w = Σᵢ (∂L/∂zᵢ)·xᵢ,  ∂L/∂b = Σᵢ ∂L/∂zᵢ,
// with σ evaluated so that e^z is never taken of a large positive z.

import BackpropCore
import ExerciseKit
import LinearModels

public struct LogisticRegressionModel<T: TensorScalar>: GradientDescentModel {
    public var weight: Tensor<T>
    public var bias: Tensor<T>
    public var backend: Backend

    public init(features: Int, backend: Backend = .naive) throws {
        weight = try .zeros([1, features])
        bias = try .zeros([1])
        self.backend = backend
    }

    public func lossAndGradients(_ x: Tensor<T>, _ y: Tensor<T>) throws -> (loss: T, dWeight: Tensor<T>, dBias: Tensor<T>) {
        let n = x.shape[0], d = x.shape[1]
        var loss: T = 0
        var dw = [T](repeating: 0, count: d)
        var db: T = 0
        for i in 0..<n {
            var z = bias.scalars[0]
            for k in 0..<d { z += weight.scalars[k] * x.scalars[i * d + k] }
            let e = T.exp(-abs(z))                       // in (0, 1]: never overflows
            loss += max(z, 0) - z * y.scalars[i] + T.log1p(e)
            let sigma = z >= 0 ? 1 / (1 + e) : e / (1 + e)
            let dz = (sigma - y.scalars[i]) / T(n)
            for k in 0..<d { dw[k] += dz * x.scalars[i * d + k] }
            db += dz
        }
        return (loss / T(n), try Tensor(shape: [1, d], scalars: dw), Tensor([db]))
    }
}
