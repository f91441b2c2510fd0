// RecurrentLayer: one cell (CellKind.swift) unrolled over a sequence, with
// backpropagation through time (BPTT) over the whole window.
//
//   forward   x [B, T, I] (batch-first), h₀ [B, H] (and c₀ for the LSTM)
//             → y [B, T, H] (every h_t), final state h_T (and c_T)
//   backward  dy [B, T, H], d(final state) → dx [B, T, I], d(initial state);
//             adds dW_ih [G·H, I], dW_hh [G·H, H], db_ih, db_hh [G·H]
//
// Internally everything is time-major ([T, B, ·], row t·B + b), so that the
// B rows of one step are contiguous for the per-step products; the
// batch-first wrappers permute on the way in and out, and the language model
// calls the time-major entry points directly.
//
// The two kernel twins (chosen by `kernels`):
//   naive  gate pre-activations gate by gate and row by row, loops that
//          mirror W_ih x + b_ih and W_hh h + b_hh; the weight gradients are
//          accumulated step by step, dW += daᵀ x_t, as the derivation reads;
//          the cell arithmetic one scalar at a time.
//   simd   P = X·W_ihᵀ + b_ih for all T·B rows and all G gates in one GEMM
//          [T·B, I]·[I, G·H]; per step one GEMM h_{t−1}·W_hhᵀ [B, H]·[H, G·H];
//          the cell arithmetic eight Float lanes at a time (SIMD8, `VectorMath`);
//          after the backward sweep dW_ih = Σ_t da_tᵀ x_t and dW_hh = Σ_t da_tᵀ h_{t−1}
//          as one product each over all T·B rows (Da packed in small blocks,
//          BackpropCore/Kernels/PackedWeight+Gradient.swift), dx as one GEMM. Fed by an
//          embedding (the language model), the input projection is folded
//          into the table instead (RecurrentLayer+EmbeddedInput.swift).
// Derivation: chapters/06-recurrent-networks.md, "Backpropagation through time".

import BackpropCore
import Backpropagation

/// The state carried between windows: h [B, H], and c [B, H] for the LSTM.
public struct RecurrentState<Scalar: TensorScalar>: Sendable, Equatable {
    public var h: Tensor<Scalar>
    public var c: Tensor<Scalar>?
    public init(h: Tensor<Scalar>, c: Tensor<Scalar>? = nil) {
        self.h = h
        self.c = c
    }
}

/// What the backward pass needs from a forward pass (time-major arrays).
public final class SequenceCache<Scalar: TensorScalar> {
    public let batch: Int, steps: Int
    /// x [T·B, I]
    let x: [Scalar]
    /// h₀ … h_T: [(T+1)·B, H]
    var hs: [Scalar]
    /// c₀ … c_T (LSTM): [(T+1)·B, H]
    var cs: [Scalar]
    /// The activated gates of every step: [T·B, G·H] (with a custom cell,
    /// the pre-activations z instead: RecurrentLayer+CustomCell.swift)
    var gates: [Scalar]
    /// tanh c_t (LSTM): [T·B, H]
    var tanhC: [Scalar]
    /// W_hn h_{t−1} + b_hn (GRU): [T·B, H]
    var hwn: [Scalar]
    /// The custom cell that made this forward pass (nil: the built-in one);
    /// its backward pass must use the same cell.
    let customCell: (any LSTMCellStep)?
    /// A forward pass from token ids (RecurrentLayer+EmbeddedInput.swift):
    /// the ids [T·B] and the embedding table E [V, I] whose rows were the
    /// inputs (x is then empty); backward adds ∂L/∂E into E's gradient.
    let tokens: [Int]
    let table: Parameter<Scalar>?

    init(batch: Int, steps: Int, x: [Scalar], hs: [Scalar], cs: [Scalar], gates: [Scalar], tanhC: [Scalar], hwn: [Scalar],
         customCell: (any LSTMCellStep)? = nil, tokens: [Int] = [], table: Parameter<Scalar>? = nil) {
        self.batch = batch; self.steps = steps; self.x = x; self.hs = hs; self.cs = cs
        self.gates = gates; self.tanhC = tanhC; self.hwn = hwn; self.customCell = customCell
        self.tokens = tokens; self.table = table
    }

    /// h₁ … h_T time-major: [T·B, H].
    public var outputs: ArraySlice<Scalar> { hs[(hs.count / (steps + 1))...] }

    /// h_T (and c_T) as [B, H] arrays.
    public var finalH: [Scalar] { Array(hs[(hs.count / (steps + 1) * steps)...]) }
    public var finalC: [Scalar]? { cs.isEmpty ? nil : Array(cs[(cs.count / (steps + 1) * steps)...]) }
}

/// A recurrent layer in PyTorch's parameterisation (one layer, batch-first).
public final class RecurrentLayer<Scalar: TensorScalar>: Layer {
    public let kind: CellKind
    public let inputSize: Int, hiddenSize: Int
    /// W_ih [G·H, I], W_hh [G·H, H], b_ih, b_hh [G·H], gate blocks in PyTorch's order.
    public let weightIH: Parameter<Scalar>, weightHH: Parameter<Scalar>
    public let biasIH: Parameter<Scalar>, biasHH: Parameter<Scalar>
    public var backend: Backend
    /// An LSTM cell's elementwise step written outside the library, unrolled
    /// in place of the built-in one (`useCell`; exercise 6.7). nil: built in.
    public internal(set) var customCell: (any LSTMCellStep)?

    public var parameters: [Parameter<Scalar>] { [weightIH, weightHH, biasIH, biasHH] }
    public var summary: String {
        "\(kind.displayName)(\(inputSize) → \(hiddenSize))" + (customCell.map { " with \(type(of: $0))" } ?? "")
    }
    var gateWidth: Int { kind.gateCount * hiddenSize }

    /// PyTorch's initialisation: every parameter U(−1/√H, 1/√H).
    public init(_ kind: CellKind, inputSize: Int, hiddenSize: Int, rng: inout SeededRandom,
                backend: Backend = .simd) throws {
        guard inputSize > 0 && hiddenSize > 0 else {
            throw TensorError.invalidShape(operation: "RecurrentLayer", shape: [inputSize, hiddenSize], reason: "input and hidden sizes must be positive")
        }
        let k = 1 / Double(hiddenSize).squareRoot(), g = kind.gateCount * hiddenSize
        func uniform(_ shape: [Int]) throws -> Tensor<Scalar> {
            try Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Scalar(rng.uniform(-k, k)) })
        }
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        weightIH = Parameter("weight_ih", try uniform([g, inputSize]))
        weightHH = Parameter("weight_hh", try uniform([g, hiddenSize]))
        biasIH = Parameter("bias_ih", try uniform([g]))
        biasHH = Parameter("bias_hh", try uniform([g]))
        self.backend = backend
    }

    /// A layer with given parameters (e.g. from PyTorch or a checkpoint).
    public init(_ kind: CellKind, weightIH wih: Tensor<Scalar>, weightHH whh: Tensor<Scalar>,
                biasIH bih: Tensor<Scalar>, biasHH bhh: Tensor<Scalar>, backend: Backend = .simd) throws {
        let (g, i) = try wih.matrixShape("RecurrentLayer weight_ih")
        let h = g / kind.gateCount
        guard g % kind.gateCount == 0, h > 0, whh.shape == [g, h], bih.shape == [g], bhh.shape == [g] else {
            throw TensorError.shapeMismatch(operation: "RecurrentLayer", lhs: wih.shape, rhs: whh.shape,
                                            reason: "\(kind.displayName) needs weight_ih [\(kind.gateCount)·H, I], weight_hh [\(kind.gateCount)·H, H], biases [\(kind.gateCount)·H]")
        }
        self.kind = kind
        inputSize = i
        hiddenSize = h
        weightIH = Parameter("weight_ih", wih)
        weightHH = Parameter("weight_hh", whh)
        biasIH = Parameter("bias_ih", bih)
        biasHH = Parameter("bias_hh", bhh)
        self.backend = backend
    }


    // MARK: The layer contract

    /// y [B, T, H] from x [B, T, I], starting from the zero state; the final
    /// state is in the cache (`finalState`). To carry a state from one window
    /// to the next, use `forward(_:initial:)` and `backward(_:dFinal:cache:)`.
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: SequenceCache<Scalar>) {
        let (y, _, cache) = try forward(x, initial: nil)
        return (y, cache)
    }

    /// dx [B, T, I] from dy [B, T, H], with no gradient arriving at the final state.
    public func backward(_ dy: Tensor<Scalar>, cache: SequenceCache<Scalar>) throws -> Tensor<Scalar> {
        try backward(dy, dFinal: nil, cache: cache).dx
    }

    // MARK: Batch-first API with state

    /// y [B, T, H] and the final state from x [B, T, I] and an optional
    /// initial state (zeros if nil).
    /// - Throws: `TensorError.shapeMismatch` for a wrong input or state shape.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, initial: RecurrentState<Scalar>? = nil) throws
        -> (output: Tensor<Scalar>, final: RecurrentState<Scalar>, cache: SequenceCache<Scalar>) {
        guard x.rank == 3, x.shape[2] == inputSize, x.shape[0] > 0, x.shape[1] > 0 else {
            throw TensorError.shapeMismatch(operation: "\(summary).forward", lhs: x.shape, rhs: [-1, -1, inputSize], reason: "x must be [batch, steps, \(inputSize)]")
        }
        let (b, t) = (x.shape[0], x.shape[1])
        let cache = try forwardTimeMajor(Self.permute(x.scalars, b, t, inputSize), batch: b,
                                         h0: initial?.h.scalars, c0: initial?.c?.scalars)
        let y = try Tensor(shape: [b, t, hiddenSize], scalars: Self.permute(Array(cache.outputs), t, b, hiddenSize))
        return (y, try finalState(cache), cache)
    }

    /// dx [B, T, I] and the gradient of the initial state, from dy [B, T, H]
    /// and the gradient of the final state (nil: zero); adds parameter gradients.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, dFinal: RecurrentState<Scalar>? = nil, cache: SequenceCache<Scalar>) throws
        -> (dx: Tensor<Scalar>, dInitial: RecurrentState<Scalar>) {
        let (b, t, h) = (cache.batch, cache.steps, hiddenSize)
        guard dy.shape == [b, t, h] else {
            throw TensorError.shapeMismatch(operation: "\(summary).backward", lhs: dy.shape, rhs: [b, t, h], reason: "dy must have the output's shape")
        }
        let g = try backwardTimeMajor(Self.permute(dy.scalars, b, t, h), dFinalH: dFinal?.h.scalars, dFinalC: dFinal?.c?.scalars, cache: cache)
        let dx = try Tensor(shape: [b, t, inputSize], scalars: Self.permute(g.dx, t, b, inputSize))
        return (dx, RecurrentState(h: try Tensor(shape: [b, h], scalars: g.dh0),
                                   c: try g.dc0.map { try Tensor(shape: [b, h], scalars: $0) }))
    }

    /// The final state of a forward pass as tensors [B, H].
    public func finalState(_ cache: SequenceCache<Scalar>) throws -> RecurrentState<Scalar> {
        RecurrentState(h: try Tensor(shape: [cache.batch, hiddenSize], scalars: cache.finalH),
                       c: try cache.finalC.map { try Tensor(shape: [cache.batch, hiddenSize], scalars: $0) })
    }

    /// [A, C, D] → [C, A, D] (batch-first ↔ time-major).
    static func permute(_ v: [Scalar], _ a: Int, _ c: Int, _ d: Int) -> [Scalar] {
        var out = [Scalar](repeating: 0, count: v.count)
        v.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<a {
                    for j in 0..<c {
                        (dst.baseAddress! + (j * a + i) * d).update(from: src.baseAddress! + (i * c + j) * d, count: d)
                    }
                }
            }
        }
        return out
    }

    func checkState(_ s: [Scalar]?, batch: Int, _ name: String) throws {
        if let s, s.count != batch * hiddenSize {
            throw TensorError.shapeMismatch(operation: "\(summary)", lhs: [s.count], rhs: [batch, hiddenSize], reason: "\(name) must be [batch, hidden]")
        }
    }
}
