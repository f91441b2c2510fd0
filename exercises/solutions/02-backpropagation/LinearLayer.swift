// Reference solution to exercise 2.7: a fully connected layer under the
// chapter's `Layer` contract. He-uniform weights (variance 2/in), zero bias;
// forward y = x·Wᵀ + b with x as the cache; backward dx = dy·W and, added
// into the gradients, W.grad += dyᵀ·x and b.grad += the column sums of dy.

import BackpropCore
import Backpropagation
import ExerciseKit

public final class LinearLayer<Scalar: TensorScalar>: Layer {
    public let weight: Parameter<Scalar>
    public let bias: Parameter<Scalar>
    public var backend: Backend

    public var parameters: [Parameter<Scalar>] { [weight, bias] }
    public var summary: String { "LinearLayer(\(weight.value.shape[1]) → \(weight.value.shape[0]))" }

    public init(_ inputs: Int, _ outputs: Int, rng: inout SeededRandom, backend: Backend = .naive) throws {
        weight = Parameter("weight", try Initializer.heUniform.sample(
            shape: [outputs, inputs], fanIn: inputs, fanOut: outputs, using: &rng))
        bias = Parameter("bias", try Tensor.zeros([outputs]))
        self.backend = backend
    }

    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Tensor<Scalar>) {
        let y = try Tensor.matmul(x, weight.value, .nt, backend: backend)  // [n, in]·[out, in]ᵀ
        return (try y.addingRowVector(bias.value, backend: backend), x)
    }

    public func backward(_ dy: Tensor<Scalar>, cache x: Tensor<Scalar>) throws -> Tensor<Scalar> {
        weight.grad = try weight.grad.adding(try Tensor.matmul(dy, x, .tn, backend: backend), backend: backend)
        bias.grad = try bias.grad.adding(try dy.columnSums(backend: backend), backend: backend)
        return try Tensor.matmul(dy, weight.value, .nn, backend: backend)  // [n, out]·[out, in]
    }
}
