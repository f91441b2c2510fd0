// Small valid checkpoints, one stored as f32 and one as f64, shared by the
// checkpoint format's tests (Tests/Storage) and the fuzzer's (chapter 9).

import BackpropCore
import Storage

/// Small checkpoints with awkward values: signed zeros, subnormals, the
/// largest Float, non-ASCII names, a NaN in the metadata, an empty tensor.
public enum CheckpointSamples {
    public static func float32() throws -> Checkpoint {
        let w = try Tensor<Double>(shape: [2, 3], scalars: [1.5, -0.0, Double(Float.leastNonzeroMagnitude), Double(Float.greatestFiniteMagnitude), -3.25, Double(Float(0.1))])
        return Checkpoint(kind: "toy", config: [("widths", .array([.integer(3), .integer(2)])), ("names", .array([.string("a \"b\""), .string("ü→日本")]))],
                          metadata: [("seed", .integer(7)), ("loss", .number(.nan))], dtype: .float32,
                          tensors: [("w", w), ("b", Tensor([0.25, -8])), ("empty", try Tensor(shape: [0, 4], scalars: []))])
    }

    public static func float64() throws -> Checkpoint {
        Checkpoint(kind: "toy64", config: [("rate", .number(0.1))],
                   tensors: [("x", Tensor([0.1, 1.0 / 3, -1e-300, Double.leastNonzeroMagnitude, 1e300])), ("y", try Tensor(shape: [1, 1], scalars: [-0.0]))])
    }
}
