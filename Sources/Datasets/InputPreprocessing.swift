// InputPreprocessing: what a model does to raw inputs before its first
// layer. A model trained on standardised features must see standardised
// features when it serves, so the statistics travel in its checkpoint:
//
//   none          x as given
//   standardize   (x − μ) / σ per feature; μ, σ fitted on the training rows
//                 (chapter 1's iris, chapter 2's digits), saved as the
//                 tensors "input.mean" and "input.std" [d]
//   scale         c·x for one constant c (chapter 4's pixels: c = 1/16),
//                 saved as the config number "input_scale"
//
// `apply` runs the same arithmetic as training did, so predictions after a
// reload are bit-identical.

import BackpropCore
import Storage

/// A fixed transformation of raw inputs, saved with the model.
public enum InputPreprocessing: Sendable {
    case none
    case standardize(Standardizer)
    case scale(Float)

    /// x [n, d] → the model's input [n, d].
    public func apply(_ x: Tensor<Float>) throws -> Tensor<Float> {
        switch self {
        case .none: return x
        case .standardize(let s): return try s.transform(x)
        case .scale(let c): return x.scaled(by: c)
        }
    }

    /// The name stored under "input_preprocessing".
    public var name: String {
        switch self {
        case .none: return "none"
        case .standardize: return "standardize"
        case .scale: return "scale"
        }
    }

    /// Config entries describing the preprocessing.
    public var checkpointConfig: [(String, JSONValue)] {
        if case .scale(let c) = self { return [("input_preprocessing", .string(name)), ("input_scale", .number(Double(c)))] }
        return [("input_preprocessing", .string(name))]
    }

    /// Tensors the preprocessing needs (standardisation's μ and σ).
    public var checkpointTensors: [(name: String, tensor: Tensor<Double>)] {
        guard case .standardize(let s) = self else { return [] }
        return [("input.mean", Tensor(s.mean.map(Double.init))), ("input.std", Tensor(s.std.map(Double.init)))]
    }

    /// Reads the preprocessing of a model with `inputs` features.
    /// - Throws: `CheckpointError` for an unknown kind, missing or misshapen
    ///   statistics, or a non-positive σ.
    public init(checkpoint c: Checkpoint, inputs: Int) throws {
        let kind = c.configValue("input_preprocessing")?.stringValue ?? "none"
        switch kind {
        case "none": self = .none
        case "scale":
            let factor = try c.configDouble("input_scale")
            guard Double(Float(factor)) == factor, factor != 0 else {
                throw CheckpointError.badConfig(path: c.path, key: "input_scale", reason: "must be a non-zero Float")
            }
            self = .scale(Float(factor))
        case "standardize":
            let mean: Tensor<Float> = try c.tensor("input.mean", shape: [inputs])
            let std: Tensor<Float> = try c.tensor("input.std", shape: [inputs])
            do { self = .standardize(try Standardizer(mean: mean.scalars, std: std.scalars)) } catch {
                throw CheckpointError.badConfig(path: c.path, key: "input_preprocessing", reason: "has unusable statistics: \(error)")
            }
        default:
            throw CheckpointError.badConfig(path: c.path, key: "input_preprocessing", reason: "is '\(kind)'; known: none, standardize, scale")
        }
    }
}
