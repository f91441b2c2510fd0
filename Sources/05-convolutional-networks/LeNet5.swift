// LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998) in its modern form, for
// 28×28 MNIST digits: ReLU for the scaled tanh, max pooling for the trainable
// subsampling, a full 6 → 16 connection table, softmax cross-entropy for the
// RBF output layer.
//
//   [N, 784] → Unflatten → [N, 1, 28, 28]
//   Conv2D(1 → 6, 5×5, pad 2) → ReLU       [N, 6, 28, 28]        156 parameters
//   MaxPool2D(2)                           [N, 6, 14, 14]
//   Conv2D(6 → 16, 5×5) → ReLU             [N, 16, 10, 10]     2,416
//   MaxPool2D(2)                           [N, 16, 5, 5]
//   Flatten                                [N, 400]
//   Linear(400 → 120) → ReLU               [N, 120]           48,120
//   Linear(120 → 84) → ReLU                [N, 84]            10,164
//   (Dropout, if p > 0)
//   Linear(84 → 10)                        [N, 10]               850
// 61,706 parameters in all.
//
// Initialisation as the rest of the chapter: He-uniform for the convolutions
// and the hidden linear layers (ReLU follows them), Xavier-uniform for the
// output layer, zero biases.

import BackpropCore
import Backpropagation

public enum LeNet5 {
    /// The side of the square input image.
    public static let side = 28
    /// The parameter count of the definition above.
    public static let parameterCount = (6 * 25 + 6) + (16 * 6 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)

    /// Builds the network; `dropout` > 0 inserts Dropout before the output layer.
    public static func make<T: TensorScalar>(dropout: Double = 0, seed: UInt64, backend: Backend = .simd) throws -> Sequential<T> {
        var rng = SeededRandom(seed: seed)
        var layers: [any Layer<T>] = [
            Unflatten<T>([1, side, side], backend: backend),
            try Conv2D<T>(1, 6, kernelSize: 5, padding: 2, rng: &rng, backend: backend),
            Activation<T>(.relu, backend: backend),
            MaxPool2D<T>(2, backend: backend),
            try Conv2D<T>(6, 16, kernelSize: 5, rng: &rng, backend: backend),
            Activation<T>(.relu, backend: backend),
            MaxPool2D<T>(2, backend: backend),
            Flatten<T>(backend: backend),
            try Linear<T>(400, 120, initializer: .heUniform, rng: &rng, backend: backend),
            Activation<T>(.relu, backend: backend),
            try Linear<T>(120, 84, initializer: .heUniform, rng: &rng, backend: backend),
            Activation<T>(.relu, backend: backend),
        ]
        if dropout > 0 { layers.append(try Dropout<T>(dropout, seed: seed &+ 1, backend: backend)) }
        layers.append(try Linear<T>(84, 10, initializer: .xavierUniform, rng: &rng, backend: backend))
        return Sequential(layers)
    }
}
