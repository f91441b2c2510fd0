// Elementwise activations as layers: y = f(x), and in backward
// dx = dy ⊙ f′(x). One class serves ReLU, LeakyReLU, tanh, sigmoid and both
// GELUs; the functions and their derivatives live in the kernels
// (Naive.apply / Naive.derivative and their SIMD twins). Derivations:
// chapters/02-backpropagation.md, "Activations".

import BackpropCore

/// An elementwise nonlinearity.
public final class Activation<Scalar: TensorScalar>: Layer {
    public let function: UnaryFunction
    public var backend: Backend
    public var parameters: [Parameter<Scalar>] { [] }
    public var summary: String { function.name }
    /// y (training) and dx, kept between steps (ReusedBuffer.swift).
    private var outputBuffer = ReusedBuffer<Scalar>(), gradientBuffer = ReusedBuffer<Scalar>()

    public init(_ function: UnaryFunction, backend: Backend = .simd) {
        self.function = function
        self.backend = backend
    }

    /// The cache is (x, y): sigmoid and tanh take f′ from y, the others from
    /// x — except the GELUs, whose derivative shares most of the function's
    /// work: for them the forward pass computes f′(x) alongside y and the
    /// cache is (f′(x), y), so backward only multiplies
    /// (BackpropCore/Kernels/MapWithDerivative.swift).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: (Tensor<Scalar>, Tensor<Scalar>)) {
        let f = function, k = backend.kernels
        guard mode == .training else {
            // No backward pass follows inference: the value alone (the
            // derivative GELU's training forward computes doubled a decoding
            // step's GELU time for nothing). A GELU's cache then holds no
            // f′(x) but an empty tensor, so a backward pass from it is a shape
            // error, not a wrong gradient.
            let y = x.mapped(function, backend: backend)
            return (y, (f.derivativeInForward ? try Tensor.zeros([0]) : x, y))
        }
        if f.derivativeInForward {
            // Both outputs start uninitialised (mapWithDerivative writes every
            // element): a zero fill of f′ was a serial pass over 1.5 MiB per
            // GELU of the baby GPT, whose lines the other core then had to
            // fetch from this one's cache.
            var y: Tensor<Scalar>?
            let derivative = x.freshOutput { px, pd, n in
                y = x.freshOutput { _, py, _ in k.mapWithDerivative(f, count: n, px, py, pd) }
            }
            return (y!, (derivative, y!))
        }
        let y = x.withUnsafeBufferPointer { px in
            outputBuffer.tensor(x.shape) { py in k.map(f, count: px.count, px.baseAddress!, py) }
        }
        return (y, (x, y))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: (Tensor<Scalar>, Tensor<Scalar>)) throws -> Tensor<Scalar> {
        let (x, y) = cache
        try dy.requireSameShape(x, "\(function.name).backward")
        let f = function, k = backend.kernels
        if f.derivativeInForward {  // cache.0 holds f′(x) (see forward)
            return try dy.multiplying(x, backend: backend)
        }
        // ReLU in Float on the SIMD backend: the inlined loop of ReLUBackward.swift.
        var reluFloat = Scalar.self == Float.self && backend == .simd
        if case .relu = f {} else { reluFloat = false }
        return x.withUnsafeBufferPointer { px in
            y.withUnsafeBufferPointer { py in
                dy.withUnsafeBufferPointer { pdy in
                    gradientBuffer.tensor(x.shape) { pdx in
                        if reluFloat {
                            ReLUBackward.float(count: pdy.count, x: UnsafeRawPointer(px.baseAddress!).assumingMemoryBound(to: Float.self),
                                               dy: UnsafeRawPointer(pdy.baseAddress!).assumingMemoryBound(to: Float.self),
                                               dx: UnsafeMutableRawPointer(pdx).assumingMemoryBound(to: Float.self))
                        } else {
                            k.mapBackward(f, count: pdy.count, x: px.baseAddress!, y: py.baseAddress!, dy: pdy.baseAddress!, dx: pdx)
                        }
                    }
                }
            }
        }
    }
}

/// Row softmax as a layer (for models that output probabilities; training
/// uses the fused `SoftmaxCrossEntropy` instead, which is cheaper and stabler).
///   y = softmax(x) per row;  dx = y ⊙ (dy − Σⱼ dyⱼ yⱼ)
public final class Softmax<Scalar: TensorScalar>: Layer {
    public var backend: Backend
    public var parameters: [Parameter<Scalar>] { [] }
    public var summary: String { "softmax" }

    public init(backend: Backend = .simd) { self.backend = backend }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Tensor<Scalar>) {
        let y = try x.softmaxRows(backend: backend)
        return (y, y)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache y: Tensor<Scalar>) throws -> Tensor<Scalar> {
        try dy.requireSameShape(y, "softmax.backward")
        let (rows, cols) = try y.matrixShape("softmax.backward")
        var dx = dy
        let k = backend.kernels
        y.withUnsafeBufferPointer { py in
            dx.withUnsafeMutableBufferPointer { pd in
                guard let d = pd.baseAddress else { return }
                k.softmaxRowsBackward(rows: rows, cols: cols, y: py.baseAddress!, dy: UnsafePointer(d), dx: d)
            }
        }
        return dx
    }
}
