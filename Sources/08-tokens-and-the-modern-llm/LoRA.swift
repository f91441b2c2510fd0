// Low-rank adaptation (LoRA; Hu et al., 2021): fine-tune a frozen
// projection W [out, in] by learning a low-rank update instead of W itself.
//
//   forward   x [.., in] → y [.., out]
//             y = x Wᵀ + s·(x Aᵀ) Bᵀ        A [r, in], B [out, r], s = α/r
//   backward  dy → dx (W gets no gradient: it is frozen)
//             B.grad += s·dyᵀ (x Aᵀ)          [out, r]
//             g = s·dy B                      [n, r]   (the gradient at x Aᵀ)
//             A.grad += gᵀ x                  [r, in]
//             dx = dy W + g A
//
// B starts at zero, so the adapted model starts as the base model; A starts
// small and random (PEFT's Kaiming-uniform, U(−1/√in, 1/√in)), so that B's
// first gradient is not zero. r(in + out) trainable scalars instead of
// in·out; for a square C × C projection with r = 4 and C = 128, 1,024 instead
// of 16,384. s = α/r keeps the update's size about independent of r.
//
// Merging for serving: W′ = W + s·B A computes the same function with no
// side path (the product is folded once); afterwards B = 0.
//
// `LoRAAdapter` is the side path alone (s·B A x), which the Llama's
// attention adds to its own projections; `LoRALinear` is a frozen Linear
// with its adapter, the layer the gradient check and the PyTorch fixture
// (PEFT's `lora.Linear`) test.
//
// The attention's fast path (SIMD backend, `mergesIntoBase`) folds the
// side path into the projection for the step instead:
//   forward   W′ = W + s·B A (out·r·in multiply-adds, once per step)
//             y = x W′ᵀ, and x Aᵀ [n, r] for B's gradient
//   backward  dx = dy W′ = dy W + g A (the same sum, one product)
// so each adapted projection costs one wide product each way, as a plain
// one, plus the three thin products of A's and B's gradients, instead of
// two more thin ones ((x Aᵀ) Bᵀ and g A) and two sums of [n, out] and
// [n, in]; the remaining thin products (x Aᵀ and the gradients) run in
// LoRAKernels.swift instead of the core GEMM. W′ is rounded once per element, so y and dx differ
// from the two-path sums by reassociation only (|Δ| ≲ r·ε·|terms|); the
// naive twin keeps the two paths (the twin test in LoRATests bounds the gap).
// With B = 0, W′ = W bit for bit.
//
// `replaceSidePath(with:)` hands an adapter's arithmetic to another layer
// (any `Layer` from [.., in] to [.., out]): the attention then adds that
// layer's output where it added s·B A x, and its backward pass goes through
// that layer. Exercise 8.5 plugs a student's LoRA layer into the Llama
// this way (exercises/08-tokens-and-the-modern-llm/LoRALayer.swift).

import BackpropCore
import Backpropagation

/// The side path Δy = s·B(A x) of one projection.
public final class LoRAAdapter<Scalar: TensorScalar> {
    /// A [r, in] (PEFT's lora_A.weight)
    public let a: Parameter<Scalar>
    /// B [out, r] (PEFT's lora_B.weight)
    public let b: Parameter<Scalar>
    public let alpha: Double
    public var backend: Backend
    public var rank: Int { a.value.shape[0] }
    public var inputs: Int { a.value.shape[1] }
    public var outputs: Int { b.value.shape[0] }
    /// s = α/r
    public var scale: Double { alpha / Double(rank) }
    /// A and B, or the replacing layer's parameters (`replaceSidePath(with:)`).
    public var parameters: [Parameter<Scalar>] { sidePath?.parameters() ?? [a, b] }
    public var namedParameters: [(String, Parameter<Scalar>)] {
        if let sidePath { return sidePath.parameters().enumerated().map { ("side_path.\($0.offset).\($0.element.name)", $0.element) } }
        return [("lora_A.weight", a), ("lora_B.weight", b)]
    }

    public struct Cache {
        /// x [n, in] and x Aᵀ [n, r]
        var x: Tensor<Scalar>, ax: Tensor<Scalar>
        var shape: [Int]
        /// The replacing layer's cache, when there is one.
        var replaced: Any? = nil
        /// W + s·B A when the forward pass took the merged fast path.
        var merged: Tensor<Scalar>? = nil
    }

    /// Whether the attention folds this side path into its projection
    /// (`mergedForward`): the SIMD backend and no replacing layer.
    var mergesIntoBase: Bool { sidePath == nil && backend == .simd }

    /// Another layer doing the side path's work (exercise 8.5).
    struct SidePath {
        let forward: (Tensor<Scalar>) throws -> (Tensor<Scalar>, Any)
        let backward: (Tensor<Scalar>, Any) throws -> Tensor<Scalar>
        let parameters: () -> [Parameter<Scalar>]
        let summary: String
    }
    var sidePath: SidePath?

    /// Hands the side path to `layer`: from now on forward returns
    /// layer(x) (x [.., in] → [.., out]) in place of s·B A x, backward goes
    /// through the layer's backward (which adds its parameters' gradients),
    /// and `parameters` are the layer's. A and B are no longer used;
    /// `update()` (and so `Llama.mergeLoRA()`) throws, since only the layer
    /// knows how to fold itself.
    public func replaceSidePath<L: Layer<Scalar>>(with layer: L) {
        sidePath = SidePath(
            forward: { x in
                let (y, cache) = try layer.forward(x, mode: .training)
                return (y, cache as Any)
            },
            backward: { dy, cache in
                guard let c = cache as? L.Cache else {
                    throw TensorError.invalidValue(operation: "LoRAAdapter.backward", reason: "the cache is not \(layer.summary)'s")
                }
                return try layer.backward(dy, cache: c)
            },
            parameters: { layer.parameters },
            summary: layer.summary)
    }

    /// The replacing layer's forward pass, with its output's shape checked.
    func replacedForward(_ path: SidePath, _ x: Tensor<Scalar>) throws -> (output: Tensor<Scalar>, cache: Cache) {
        let (y, cache) = try path.forward(x)
        let expected = Array(x.shape.dropLast()) + [outputs]
        guard y.shape == expected else {
            throw TensorError.shapeMismatch(operation: path.summary, lhs: y.shape, rhs: expected,
                                            reason: "a side path maps x \(x.shape) to [.., \(outputs)]")
        }
        return (y, Cache(x: x, ax: x, shape: x.shape, replaced: cache))
    }

    /// A ~ U(−1/√in, 1/√in), B = 0.
    /// - Throws: `TrainingError.invalidOption` for a rank outside 1…min(in, out) or α ≤ 0.
    public init(inputs: Int, outputs: Int, rank: Int, alpha: Double, rng: inout SeededRandom, backend: Backend = .simd) throws {
        try Self.validate(inputs: inputs, outputs: outputs, rank: rank, alpha: alpha)
        let bound = 1 / Double(inputs).squareRoot()
        a = Parameter("lora_A.weight", try Tensor(shape: [rank, inputs],
                                                  scalars: (0..<(rank * inputs)).map { _ in Scalar((2 * rng.uniform() - 1) * bound) }))
        b = Parameter("lora_B.weight", try Tensor(shape: [outputs, rank], repeating: 0))
        self.alpha = alpha
        self.backend = backend
    }

    /// From given A [r, in] and B [out, r].
    public init(a: Tensor<Scalar>, b: Tensor<Scalar>, alpha: Double, backend: Backend = .simd) throws {
        guard a.rank == 2, b.rank == 2, b.shape[1] == a.shape[0] else {
            throw TensorError.shapeMismatch(operation: "LoRAAdapter", lhs: a.shape, rhs: b.shape, reason: "A must be [r, in] and B [out, r]")
        }
        try Self.validate(inputs: a.shape[1], outputs: b.shape[0], rank: a.shape[0], alpha: alpha)
        (self.a, self.b) = (Parameter("lora_A.weight", a), Parameter("lora_B.weight", b))
        self.alpha = alpha
        self.backend = backend
    }

    static func validate(inputs: Int, outputs: Int, rank: Int, alpha: Double) throws {
        guard inputs > 0, outputs > 0, rank >= 1, rank <= min(inputs, outputs) else {
            throw TrainingError.invalidOption(name: "rank", value: "\(rank)", reason: "must be in 1…\(min(inputs, outputs)) for a \(outputs) × \(inputs) projection")
        }
        guard alpha.isFinite, alpha > 0 else {
            throw TrainingError.invalidOption(name: "alpha", value: "\(alpha)", reason: "must be positive and finite")
        }
    }

    /// Δy = s·(x Aᵀ) Bᵀ for x [.., in].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>) throws -> (output: Tensor<Scalar>, cache: Cache) {
        if let sidePath { return try replacedForward(sidePath, x) }
        let rows = try x.flattenedRows("LoRA")                                            // [n, in]
        let ax = try Tensor.matmul(rows, a.value, .nt, backend: backend)                  // [n, r]
        let y = try Tensor.matmul(ax, b.value, .nt, backend: backend).scaled(by: Scalar(scale), backend: backend)  // [n, out]
        return (try y.reshaped(Array(x.shape.dropLast()) + [outputs]), Cache(x: rows, ax: ax, shape: x.shape))
    }

    /// The fast path's forward through projection `base` (W [out, in]):
    /// y = x (W + s·B A)ᵀ [.., out], one product for the base and the side
    /// path; the cache keeps x Aᵀ (for B's gradient) and W + s·B A (for dx).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func mergedForward(_ x: Tensor<Scalar>, base: Linear<Scalar>) throws -> (output: Tensor<Scalar>, cache: Cache) {
        let rows = try x.flattenedRows("LoRA")                                            // [n, in]
        let merged = try base.weight.value.adding(try update(), backend: backend)          // W + s·B A [out, in]
        let y = try Tensor.matmul(rows, merged, .nt, backend: backend)                    // [n, out]
        let (n, r) = (rows.shape[0], rank)
        let ax = try Tensor(shape: [n, r], scalars: [Scalar](unsafeUninitializedCapacity: n * r) { out, count in   // x Aᵀ [n, r]
            rows.withUnsafeBufferPointer { px in
                a.value.withUnsafeBufferPointer { pa in
                    LoRAKernels.project(backend, rows: n, inputs: inputs, rank: r, px.baseAddress!, pa.baseAddress!, out.baseAddress!)
                }
            }
            count = n * r
        })
        return (x.rank == 2 ? y : try y.reshaped(Array(x.shape.dropLast()) + [outputs]),
                Cache(x: rows, ax: ax, shape: x.shape, merged: merged))
    }

    /// The fast path's backward without dx (the projection's dy·(W + s·B A)
    /// gives it): A's and B's gradients from dy [.., out], in one pass over
    /// the rows of dy and x (LoRAKernels).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func accumulateMergedGradients(_ dy: Tensor<Scalar>, cache: Cache) throws {
        guard dy.shape == Array(cache.shape.dropLast()) + [outputs] else {
            throw TensorError.shapeMismatch(operation: "LoRA.backward", lhs: dy.shape, rhs: Array(cache.shape.dropLast()) + [outputs],
                                            reason: "dy must have the output's shape")
        }
        let (n, r) = (cache.x.shape[0], rank)
        dy.withUnsafeBufferPointer { pdy in
            cache.x.withUnsafeBufferPointer { px in
                cache.ax.withUnsafeBufferPointer { pax in
                    b.value.withUnsafeBufferPointer { pb in
                        a.grad.withUnsafeMutableBufferPointer { ga in
                            b.grad.withUnsafeMutableBufferPointer { gb in
                                LoRAKernels.gradients(backend, rows: n, inputs: inputs, outputs: outputs, rank: r, scale: Scalar(scale),
                                                      dy: pdy.baseAddress!, x: px.baseAddress!, ax: pax.baseAddress!, b: pb.baseAddress!,
                                                      gradA: ga.baseAddress!, gradB: gb.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
    }

    /// dx of the side path from dΔy [.., out]; adds A's and B's gradients.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: Cache) throws -> Tensor<Scalar> {
        guard dy.shape == Array(cache.shape.dropLast()) + [outputs] else {
            throw TensorError.shapeMismatch(operation: "LoRA.backward", lhs: dy.shape, rhs: Array(cache.shape.dropLast()) + [outputs],
                                            reason: "dy must have the output's shape")
        }
        if let sidePath, let replaced = cache.replaced {
            let dx = try sidePath.backward(dy, replaced)
            guard dx.shape == cache.shape else {
                throw TensorError.shapeMismatch(operation: "\(sidePath.summary).backward", lhs: dx.shape, rhs: cache.shape,
                                                reason: "dx must have the input's shape")
            }
            return dx
        }
        let s = Scalar(scale)
        let g = try dy.flattenedRows("LoRA.backward")                                     // [n, out]
        b.grad = try b.grad.addingScaled(try Tensor.matmul(g, cache.ax, .tn, backend: backend), by: s, backend: backend)   // += s·dyᵀ(xAᵀ)
        let gr = try Tensor.matmul(g, b.value, .nn, backend: backend).scaled(by: s, backend: backend)                      // [n, r]
        a.grad = try a.grad.adding(try Tensor.matmul(gr, cache.x, .tn, backend: backend), backend: backend)                // += gᵀ x
        return try Tensor.matmul(gr, a.value, .nn, backend: backend).reshaped(cache.shape)                                // g A
    }

    /// s·B A [out, in]: the update merging folds into W.
    public func update() throws -> Tensor<Scalar> {
        if let sidePath {
            throw TrainingError.invalidOption(name: "LoRA side path", value: sidePath.summary,
                                              reason: "a replaced side path cannot be merged here: merge the layer that replaced it")
        }
        return try Tensor.matmul(b.value, a.value, .nn, backend: backend).scaled(by: Scalar(scale), backend: backend)
    }

    /// Δy for one row x [in] (the decoder's path): s·B(A x).
    /// A replaced side path that throws here stops the program: decoding has no error path.
    func delta(_ x: [Scalar]) -> [Scalar] {
        if let sidePath {
            do { return try replacedForward(sidePath, try Tensor(shape: [1, x.count], scalars: x)).output.scalars }
            catch { preconditionFailure("LoRA side path \(sidePath.summary) failed while decoding: \(error)") }
        }
        let ax = LlamaDecodeKernels.matvec(a.value.scalars, x, backend: backend)
        return LlamaDecodeKernels.matvec(b.value.scalars, ax, backend: backend).map { $0 * Scalar(scale) }
    }
}

/// A frozen Linear W (no bias) with a LoRA side path: PEFT's `lora.Linear`.
public final class LoRALinear<Scalar: TensorScalar>: Layer {
    /// W [out, in], frozen: not among `parameters`, never given a gradient.
    public let base: Linear<Scalar>
    public let adapter: LoRAAdapter<Scalar>
    public var backend: Backend { didSet { base.backend = backend; adapter.backend = backend } }
    public var parameters: [Parameter<Scalar>] { adapter.parameters }
    public var summary: String { "LoRALinear(\(base.inputs) → \(base.outputs), rank \(adapter.rank), α \(adapter.alpha))" }

    public init(base: Linear<Scalar>, adapter: LoRAAdapter<Scalar>) throws {
        guard !base.hasBias, adapter.inputs == base.inputs, adapter.outputs == base.outputs else {
            throw TensorError.shapeMismatch(operation: "LoRALinear", lhs: [base.outputs, base.inputs], rhs: [adapter.outputs, adapter.inputs],
                                            reason: "the adapter must fit the bias-free projection")
        }
        (self.base, self.adapter, self.backend) = (base, adapter, base.backend)
    }

    /// Wraps W with a fresh adapter (B = 0: the same function as W at first).
    public convenience init(base: Linear<Scalar>, rank: Int, alpha: Double, rng: inout SeededRandom) throws {
        try self.init(base: base, adapter: try LoRAAdapter(inputs: base.inputs, outputs: base.outputs, rank: rank, alpha: alpha, rng: &rng,
                                                            backend: base.backend))
    }

    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: LoRAAdapter<Scalar>.Cache) {
        let (y, _) = try base.forward(x, mode: mode)
        let (delta, cache) = try adapter.forward(x)
        return (try y.adding(delta, backend: backend), cache)
    }

    public func backward(_ dy: Tensor<Scalar>, cache: LoRAAdapter<Scalar>.Cache) throws -> Tensor<Scalar> {
        let rows = try dy.flattenedRows("LoRALinear.backward")
        let dxBase = try Tensor.matmul(rows, base.weight.value, .nn, backend: backend).reshaped(cache.shape)   // dy W, no W.grad
        return try dxBase.adding(try adapter.backward(dy, cache: cache), backend: backend)
    }

    /// W ← W + s·B A, B ← 0: the same function without the side path.
    public func merge() throws {
        base.weight.value = try base.weight.value.adding(try adapter.update(), backend: backend)
        adapter.b.value = try Tensor(shape: adapter.b.value.shape, repeating: 0)
    }
}
