// Weight initialisers: the variance of the starting weights decides whether
// signals (and gradients) keep their scale through many layers.
//
// For a layer with fan_in inputs and fan_out outputs:
// - Xavier/Glorot (2010), for tanh/sigmoid: Var[w] = 2 / (fan_in + fan_out).
// - He/Kaiming (2015), for ReLU:            Var[w] = 2 / fan_in.
// A uniform U(−a, a) has variance a²/3, so the uniform forms use a = √(3·Var).

/// Weight initialisers drawing from a seeded generator.
public enum Initializer: String, Sendable, CaseIterable {
    case xavierUniform, xavierNormal, heUniform, heNormal

    /// The target variance for the given fan-in and fan-out.
    public func variance(fanIn: Int, fanOut: Int) -> Double {
        switch self {
        case .xavierUniform, .xavierNormal: return 2 / Double(fanIn + fanOut)
        case .heUniform, .heNormal: return 2 / Double(fanIn)
        }
    }

    /// A tensor of the given shape filled with samples of this initialiser.
    /// For a weight matrix of shape [fan_out, fan_in] (PyTorch's layout).
    public func sample<T: TensorScalar>(
        shape: [Int], fanIn: Int, fanOut: Int, using rng: inout SeededRandom
    ) throws -> Tensor<T> {
        guard fanIn > 0, fanOut > 0 else {
            throw TensorError.invalidShape(
                operation: "Initializer.\(rawValue)", shape: shape,
                reason: "fan-in \(fanIn) and fan-out \(fanOut) must be positive")
        }
        let v = variance(fanIn: fanIn, fanOut: fanOut)
        var t = try Tensor<T>.zeros(shape)
        for i in 0..<t.count {
            switch self {
            case .xavierUniform, .heUniform:
                let a = (3 * v).squareRoot()
                t.scalars[i] = T(rng.uniform(-a, a))
            case .xavierNormal, .heNormal:
                t.scalars[i] = T(rng.normal(mean: 0, std: v.squareRoot()))
            }
        }
        return t
    }
}
