// Batch normalisation over the channels of NCHW activations (Ioffe &
// Szegedy, 2015), with PyTorch's conventions.
//
// Training, for each channel c over its m = N·H·W values:
//   μ = (1/m) Σ x,   σ² = (1/m) Σ (x − μ)²          (biased, used to normalise)
//   x̂ = (x − μ)/√(σ² + ε),   y = γ x̂ + β
//   running_mean ← (1 − α)·running_mean + α·μ
//   running_var  ← (1 − α)·running_var  + α·σ²·m/(m − 1)   (unbiased)
// with momentum α = 0.1. Inference uses the running statistics instead of
// the batch's. Backward (training), per channel, derived in
// chapters/05-convolutional-networks.md, "Batch normalisation":
//   dβ = Σ dy,   dγ = Σ dy·x̂,
//   dx = γ/√(σ² + ε) · (dy − dβ/m − x̂·dγ/m)
// Sums are accumulated in Double: a channel can hold tens of thousands of values.

import BackpropCore
import Backpropagation

/// Batch normalisation for [N, C, H, W] tensors.
public final class BatchNorm2D<Scalar: TensorScalar>: Layer {
    /// γ, the per-channel scale ("weight", as in PyTorch).
    public let weight: Parameter<Scalar>
    /// β, the per-channel shift ("bias").
    public let bias: Parameter<Scalar>
    public var runningMean: Tensor<Scalar>
    public var runningVariance: Tensor<Scalar>
    public let epsilon: Double
    public let momentum: Double
    public var backend: Backend
    public var parameters: [Parameter<Scalar>] { [weight, bias] }
    public var summary: String { "BatchNorm2D(\(weight.value.count))" }

    public init(_ channels: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, backend: Backend = .simd) throws {
        weight = Parameter("weight", try Tensor(shape: [channels], repeating: 1))
        bias = Parameter("bias", try Tensor.zeros([channels]))
        runningMean = try Tensor.zeros([channels])
        runningVariance = try Tensor(shape: [channels], repeating: 1)
        self.epsilon = epsilon
        self.momentum = momentum
        self.backend = backend
    }

    /// What backward needs: x̂ and 1/√(σ² + ε) per channel (nil in inference).
    public struct Saved {
        let normalized: Tensor<Scalar>
        let inverseStd: [Double]
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Saved?) {
        let c = weight.value.count
        guard x.rank == 4, x.shape[1] == c else {
            throw TensorError.shapeMismatch(operation: "BatchNorm2D", lhs: x.shape, rhs: [c], reason: "input must be [N, \(c), H, W]")
        }
        let (n, hw) = (x.shape[0], x.shape[2] * x.shape[3])
        let m = n * hw
        var y = x
        if mode == .inference {
            for ch in 0..<c {
                let scale = Double(weight.value.scalars[ch]) / (Double(runningVariance.scalars[ch]) + epsilon).squareRoot()
                let shift = Double(bias.value.scalars[ch]) - scale * Double(runningMean.scalars[ch])
                for b in 0..<n {
                    let base = (b * c + ch) * hw
                    for i in base..<(base + hw) { y.scalars[i] = Scalar(scale * Double(x.scalars[i]) + shift) }
                }
            }
            return (y, nil)
        }
        guard m > 1 else {
            throw TensorError.invalidShape(operation: "BatchNorm2D", shape: x.shape,
                                           reason: "training needs more than one value per channel to estimate a variance")
        }
        var xhat = x
        var inverseStd = [Double](repeating: 0, count: c)
        for ch in 0..<c {
            var sum = 0.0
            for b in 0..<n { let base = (b * c + ch) * hw; for i in base..<(base + hw) { sum += Double(x.scalars[i]) } }
            let mean = sum / Double(m)
            var sq = 0.0
            for b in 0..<n {
                let base = (b * c + ch) * hw
                for i in base..<(base + hw) { let d = Double(x.scalars[i]) - mean; sq += d * d }
            }
            let variance = sq / Double(m)
            let inv = 1 / (variance + epsilon).squareRoot()
            inverseStd[ch] = inv
            let g = Double(weight.value.scalars[ch]), beta = Double(bias.value.scalars[ch])
            for b in 0..<n {
                let base = (b * c + ch) * hw
                for i in base..<(base + hw) {
                    let h = (Double(x.scalars[i]) - mean) * inv
                    xhat.scalars[i] = Scalar(h)
                    y.scalars[i] = Scalar(g * h + beta)
                }
            }
            runningMean.scalars[ch] = Scalar((1 - momentum) * Double(runningMean.scalars[ch]) + momentum * mean)
            runningVariance.scalars[ch] = Scalar(
                (1 - momentum) * Double(runningVariance.scalars[ch]) + momentum * variance * Double(m) / Double(m - 1))
        }
        return (y, Saved(normalized: xhat, inverseStd: inverseStd))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: Saved?) throws -> Tensor<Scalar> {
        guard let cache else {
            throw TrainingError.invalidOption(name: "mode", value: "inference", reason: "BatchNorm2D.backward needs a training-mode forward pass")
        }
        let xhat = cache.normalized
        try dy.requireSameShape(xhat, "BatchNorm2D.backward")
        let c = weight.value.count
        let (n, hw) = (xhat.shape[0], xhat.shape[2] * xhat.shape[3])
        let m = Double(n * hw)
        var dx = dy
        for ch in 0..<c {
            var dBeta = 0.0, dGamma = 0.0
            for b in 0..<n {
                let base = (b * c + ch) * hw
                for i in base..<(base + hw) {
                    dBeta += Double(dy.scalars[i])
                    dGamma += Double(dy.scalars[i]) * Double(xhat.scalars[i])
                }
            }
            bias.grad.scalars[ch] += Scalar(dBeta)
            weight.grad.scalars[ch] += Scalar(dGamma)
            let k = Double(weight.value.scalars[ch]) * cache.inverseStd[ch]
            for b in 0..<n {
                let base = (b * c + ch) * hw
                for i in base..<(base + hw) {
                    dx.scalars[i] = Scalar(k * (Double(dy.scalars[i]) - dBeta / m - Double(xhat.scalars[i]) * dGamma / m))
                }
            }
        }
        return dx
    }
}

extension BatchNorm2D: StatefulLayer {
    /// The running statistics, saved with the parameters.
    public var state: [(name: String, tensor: Tensor<Double>)] {
        [("running_mean", runningMean.converted()), ("running_var", runningVariance.converted())]
    }

    public func setState(_ name: String, _ tensor: Tensor<Double>) throws {
        try tensor.requireSameShape(runningMean, "BatchNorm2D.setState")
        switch name {
        case "running_mean": runningMean = tensor.converted()
        case "running_var": runningVariance = tensor.converted()
        default: throw TensorError.invalidValue(operation: "BatchNorm2D.setState", reason: "no state named '\(name)'")
        }
    }
}
