// Sequential: layers applied in order. Forward keeps every layer's cache;
// backward walks the layers in reverse, feeding each the gradient of the
// next — the chain rule, one layer at a time (chapters/02-backpropagation.md,
// "Backpropagation through a stack of layers").
//
// Parameters are named "<index>.<name>" ("0.weight", "2.bias"), as in
// PyTorch's nn.Sequential, so fixtures, checkpoints and optimizers agree.

import BackpropCore

/// A stack of layers.
public final class Sequential<Scalar: TensorScalar>: Layer {
    public private(set) var layers: [any Layer<Scalar>]

    public init(_ layers: [any Layer<Scalar>]) { self.layers = layers }

    public var backend: Backend {
        get { layers.first?.backend ?? .simd }
        set { for layer in layers { layer.backend = newValue } }
    }

    public var parameters: [Parameter<Scalar>] { layers.flatMap { $0.parameters } }

    /// Every parameter with its qualified name, in order.
    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        layers.enumerated().flatMap { (i, layer) in layer.parameters.map { ("\(i).\($0.name)", $0) } }
    }

    /// The parameter with a qualified name such as "2.weight".
    public func parameter(named name: String) -> Parameter<Scalar>? {
        namedParameters.first { $0.name == name }?.parameter
    }

    public var summary: String { layers.map { $0.summary }.joined(separator: " → ") }

    /// Sets every parameter's gradient to zero.
    public func zeroGrad() { parameters.forEach { $0.zeroGrad() } }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: [Any]) {
        var h = x
        var caches: [Any] = []
        caches.reserveCapacity(layers.count)
        for layer in layers {
            let (y, cache) = try layer.forward(h, mode: mode)
            caches.append(cache)
            h = y
        }
        return (h, caches)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: [Any]) throws -> Tensor<Scalar> {
        precondition(cache.count == layers.count, "Sequential.backward: cache from another model")
        var g = dy
        for (layer, c) in zip(layers, cache).reversed() {
            g = try Sequential.backward(layer, g, c)
        }
        return g
    }

    /// The parameters' gradients alone (the trainer's backward pass): layers
    /// in reverse as in `backward`, but the first layer with parameters only
    /// accumulates its parameters' gradients, and the layers before it (such
    /// as an Unflatten) are not visited — no gradient flows into the data,
    /// as in PyTorch for an input that does not require one. The parameters'
    /// gradients are exactly those of `backward`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backwardParameters(_ dy: Tensor<Scalar>, cache: [Any]) throws {
        precondition(cache.count == layers.count, "Sequential.backward: cache from another model")
        guard let first = layers.firstIndex(where: { !$0.parameters.isEmpty }) else { return }
        var g = dy
        for i in stride(from: layers.count - 1, to: first, by: -1) {
            g = try Sequential.backward(layers[i], g, cache[i])
        }
        try Sequential.accumulate(layers[first], g, cache[first])
    }

    public func accumulateParameterGradients(_ dy: Tensor<Scalar>, cache: [Any]) throws {
        try backwardParameters(dy, cache: cache)
    }

    private static func accumulate<L: Layer>(_ layer: L, _ dy: Tensor<L.Scalar>, _ cache: Any) throws {
        try layer.accumulateParameterGradients(dy, cache: cache as! L.Cache)
    }

    /// Opens the existential so the erased cache can be cast back to the
    /// layer's own Cache type (a mismatch would be a bug in this file).
    private static func backward<L: Layer>(_ layer: L, _ dy: Tensor<L.Scalar>, _ cache: Any) throws -> Tensor<L.Scalar> {
        try layer.backward(dy, cache: cache as! L.Cache)
    }
}
