// The layer interface of chapter 2, in the spirit of CS231n's layers.py and
// llm.c: `forward` returns the output together with what `backward` needs
// (the cache); `backward` takes the upstream gradient ∂L/∂y and that cache,
// returns ∂L/∂x, and *adds* each parameter's gradient into `Parameter.grad`
// (so gradients from several uses, or several minibatches, accumulate until
// an optimizer's `zeroGrad`).
//
// Layers are classes: a model is one mutable object whose parameters an
// optimizer updates in place. Every layer is generic over its scalar, so the
// same code trains in Float and is gradient-checked in Double, and every
// layer computes on a `Backend` (naive or SIMD twins).
//
// Sequence layers keep the same contract: their tensors are
// [batch, time, features] (features last, so Linear and LayerNorm act on
// every position alike); an embedding takes token ids as a tensor of whole
// numbers; a recurrent layer starts from the zero state and leaves its final
// state in the cache (chapter 6 adds a stateful API beside the contract).

import BackpropCore

/// Whether a forward pass is for training or inference. Dropout (and, in
/// chapter 5, batch normalisation) behave differently in the two.
public enum Mode: Sendable {
    case training, inference
}

/// A trainable tensor and the gradient accumulated for it.
public final class Parameter<Scalar: TensorScalar>: @unchecked Sendable {
    /// The name within its layer ("weight", "bias"); containers add a prefix.
    public let name: String
    public var value: Tensor<Scalar>
    /// ∂L/∂value, same shape; accumulated by backward passes.
    public var grad: Tensor<Scalar>

    public init(_ name: String, _ value: Tensor<Scalar>) {
        self.name = name
        self.value = value
        self.grad = Tensor(uncheckedZerosLike: value)
    }

    /// Sets the gradient to zero, keeping its storage.
    public func zeroGrad() {
        grad.withUnsafeMutableBufferPointer { g in
            guard let base = g.baseAddress else { return }
            Scalar.fill(base, count: g.count, with: 0)
        }
    }
}

extension Tensor {
    /// Zeros of the same shape as `t` (no validation needed: the shape is valid).
    init(uncheckedZerosLike t: Tensor) {
        self = try! Tensor(shape: t.shape, repeating: 0)
    }
}

/// A differentiable layer: forward with a cache, backward from it.
public protocol Layer<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar
    /// What the forward pass keeps for the backward pass.
    associatedtype Cache

    /// y = layer(x), and the cache backward will need.
    func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Cache)

    /// ∂L/∂x from ∂L/∂y; adds ∂L/∂θ into each parameter's `grad`.
    func backward(_ dy: Tensor<Scalar>, cache: Cache) throws -> Tensor<Scalar>

    /// Adds ∂L/∂θ into each parameter's `grad`, as `backward` does, without
    /// computing ∂L/∂x: for the first layer of a model, whose input (the
    /// data) needs no gradient. The default calls `backward` and drops ∂L/∂x;
    /// a layer whose ∂L/∂x costs real work (Conv2D) skips it.
    func accumulateParameterGradients(_ dy: Tensor<Scalar>, cache: Cache) throws

    /// The trainable parameters, named within the layer.
    var parameters: [Parameter<Scalar>] { get }

    /// The backend (naive or SIMD twins) this layer computes with.
    var backend: Backend { get set }

    /// A one-line description, e.g. "Linear(64 → 256)".
    var summary: String { get }
}

extension Layer {
    public func accumulateParameterGradients(_ dy: Tensor<Scalar>, cache: Cache) throws {
        _ = try backward(dy, cache: cache)
    }

    /// Forward in inference mode, discarding the cache.
    public func callAsFunction(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
        try forward(x, mode: .inference).output
    }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}
