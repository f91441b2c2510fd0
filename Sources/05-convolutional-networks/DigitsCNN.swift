// The chapter's model: a small LeNet-style network for 8×8 digits.
//
//   [N, 64] → Unflatten → [N, 1, 8, 8]
//   Conv2D(1 → 16, 3×3, pad 1) → ReLU        [N, 16, 8, 8]     160 parameters
//   Conv2D(16 → 32, 3×3, pad 1) → ReLU       [N, 32, 8, 8]   4,640
//   MaxPool2D(2)                             [N, 32, 4, 4]
//   Flatten → Dropout → Linear(512 → 10)     [N, 10]         5,130
// 9,930 parameters in all, against 85,002 for chapter 2's 64-256-256-10 MLP.

import BackpropCore
import Backpropagation

public enum DigitsCNN {
    /// Builds the network; `batchNorm` inserts BatchNorm2D after each convolution.
    public static func make<T: TensorScalar>(
        channels: (Int, Int) = (16, 32), batchNorm: Bool = false, dropout: Double = 0.25, seed: UInt64,
        backend: Backend = .simd
    ) throws -> Sequential<T> {
        var rng = SeededRandom(seed: seed)
        var layers: [any Layer<T>] = [Unflatten<T>([1, 8, 8], backend: backend)]
        layers.append(try Conv2D<T>(1, channels.0, kernelSize: 3, padding: 1, bias: !batchNorm, rng: &rng, backend: backend))
        if batchNorm { layers.append(try BatchNorm2D<T>(channels.0, backend: backend)) }
        layers.append(Activation<T>(.relu, backend: backend))
        layers.append(try Conv2D<T>(channels.0, channels.1, kernelSize: 3, padding: 1, bias: !batchNorm, rng: &rng, backend: backend))
        if batchNorm { layers.append(try BatchNorm2D<T>(channels.1, backend: backend)) }
        layers.append(Activation<T>(.relu, backend: backend))
        layers.append(MaxPool2D<T>(2, backend: backend))
        layers.append(Flatten<T>(backend: backend))
        if dropout > 0 { layers.append(try Dropout<T>(dropout, seed: seed &+ 1, backend: backend)) }
        layers.append(try Linear<T>(channels.1 * 16, 10, initializer: .xavierUniform, rng: &rng, backend: backend))
        return Sequential(layers)
    }
}
