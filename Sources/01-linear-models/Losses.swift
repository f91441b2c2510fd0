// Chapter 1's two losses, each with its gradient (mean reduction, as
// PyTorch's default, so fixtures line up). Derivations in
// chapters/01-linear-models.md.
//
//   MSE:  L = (1/N) Σ (pᵢ − tᵢ)²                  ∂L/∂pᵢ = 2(pᵢ − tᵢ)/N
//   BCE:  L = (1/N) Σ ℓ(zᵢ, yᵢ) on logits z,       ∂L/∂zᵢ = (σ(zᵢ) − yᵢ)/N
//         ℓ(z, y) = −y·log σ(z) − (1−y)·log(1−σ(z))
//                 = max(z, 0) − z·y + log(1 + e^(−|z|))
//
// The last form never evaluates log of 0 or e of a large positive number, so
// it stays finite for logits of any size; a naive log(σ(z)) returns −∞ for
// z ≲ −104 in Float.

import BackpropCore

/// Mean squared error.
public enum MeanSquaredError {
    /// L = (1/N) Σ (pᵢ − tᵢ)² over all N elements.
    public static func forward<T>(_ prediction: Tensor<T>, _ target: Tensor<T>) throws -> T {
        try prediction.requireSameShape(target, "MeanSquaredError")
        guard prediction.count > 0 else {
            throw TensorError.invalidShape(operation: "MeanSquaredError", shape: prediction.shape, reason: "no elements")
        }
        var total: T = 0
        for i in 0..<prediction.count {
            let d = prediction.scalars[i] - target.scalars[i]
            total += d * d
        }
        return total / T(prediction.count)
    }

    /// ∂L/∂p = 2(p − t)/N.
    public static func backward<T>(_ prediction: Tensor<T>, _ target: Tensor<T>) throws -> Tensor<T> {
        try prediction.requireSameShape(target, "MeanSquaredError")
        var grad = prediction
        let scale = 2 / T(prediction.count)
        for i in 0..<grad.count { grad.scalars[i] = scale * (prediction.scalars[i] - target.scalars[i]) }
        return grad
    }
}

/// Binary cross-entropy on logits (sigmoid and log-loss fused for stability).
public enum BinaryCrossEntropy {
    /// L = (1/N) Σ [max(zᵢ, 0) − zᵢyᵢ + log(1 + e^(−|zᵢ|))], targets yᵢ ∈ [0, 1].
    public static func forward<T>(logits z: Tensor<T>, targets y: Tensor<T>) throws -> T {
        try z.requireSameShape(y, "BinaryCrossEntropy")
        guard z.count > 0 else {
            throw TensorError.invalidShape(operation: "BinaryCrossEntropy", shape: z.shape, reason: "no elements")
        }
        var total: T = 0
        for i in 0..<z.count {
            let zi = z.scalars[i], yi = y.scalars[i]
            total += max(zi, 0) - zi * yi + T.log1p(T.exp(-abs(zi)))
        }
        return total / T(z.count)
    }

    /// ∂L/∂z = (σ(z) − y)/N.
    public static func backward<T>(logits z: Tensor<T>, targets y: Tensor<T>) throws -> Tensor<T> {
        try z.requireSameShape(y, "BinaryCrossEntropy")
        var grad = z
        let n = T(z.count)
        for i in 0..<z.count { grad.scalars[i] = (sigmoid(z.scalars[i]) - y.scalars[i]) / n }
        return grad
    }

    /// σ(z) = 1/(1 + e^(−z)), evaluated so that e^(·) never overflows:
    /// for z < 0 we use the equal form e^z/(1 + e^z).
    @inlinable public static func sigmoid<T: TensorScalar>(_ z: T) -> T {
        if z >= 0 { return 1 / (1 + T.exp(-z)) }
        let e = T.exp(z)
        return e / (1 + e)
    }
}
