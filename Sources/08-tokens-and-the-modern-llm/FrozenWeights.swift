// Frozen weights: the backward pass of a layer whose weights are not being
// trained (LoRA's base model) still owes its input gradient, which the
// layers below (and their adapters) need, but not its weight gradient.
//
//   Linear y = x Wᵀ, trained   dx = dy W  and  W.grad += dyᵀ x   (two matmuls of n·in·out)
//                    frozen    dx = dy W                         (one)
//
// Skipping W.grad halves a projection's backward pass. In the Llama every
// projection (attention's four, the MLP's two or three), the untied head
// (its dlogitsᵀ h is V·C·n) and the token embedding's scatter-add are frozen
// this way when `Llama.freezesBase` is set; the norms' gains still
// accumulate their gradient, which is fused into the same loop as dx (one
// multiply-add per element, nothing to save) and never read.

import BackpropCore
import Backpropagation

extension Linear {
    /// dx = dy W for dy [.., out] and the forward input's shape; W.grad (and b.grad) untouched.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func inputGradient(_ dy: Tensor<Scalar>, cache input: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let outputShape = Array(input.shape.dropLast()) + [outputs]
        guard dy.shape == outputShape else {
            throw TensorError.shapeMismatch(operation: "Linear.inputGradient", lhs: dy.shape, rhs: outputShape,
                                            reason: "dy must have the output's shape")
        }
        let dx = try Tensor.matmul(try dy.flattenedRows("Linear.inputGradient"), weight.value, .nn, backend: backend)   // [n, in]
        return input.rank == 2 ? dx : try dx.reshaped(input.shape)
    }

    /// `backward` when the weight is trained, `inputGradient` when it is frozen.
    func backward(_ dy: Tensor<Scalar>, cache input: Tensor<Scalar>, frozen: Bool) throws -> Tensor<Scalar> {
        frozen ? try inputGradient(dy, cache: input) : try backward(dy, cache: input)
    }
}
