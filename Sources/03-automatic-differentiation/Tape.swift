// Tape: the record of a computation on tensors, read backwards to get every
// gradient — the tensor engine of reverse-mode automatic differentiation.
//
// A *Wengert list*: each operation on `Variable`s that needs a gradient
// appends one record — the operation's name, its output's shape, the nodes
// (record indices) of its inputs, the tensors it saved for later, and its
// backward closure. Records are appended in the order they are computed, and
// an operation can only read values computed before it, so the tape is
// already in topological order: backward walks it from the end, no sort
// needed (the scalar engine, Value+Backward.swift, had to sort its graph).
//
// backward(root, seed):
//   grad[root] ← seed (1 for a scalar loss)
//   for record i from root down to 0, if grad[i] exists:
//       leaf:   add grad[i] into the leaf's gradient
//       op:     its closure adds ∂L/∂input into grad[input] for each input
//               that requires a gradient, from grad[i] and its saved tensors
//       grad[i] is released at once (no later record reads it)
// Each closure receives the tape and its output's gradient and calls
// `accumulate`, so closures capture node numbers and tensors but never a
// Variable or the tape: no reference cycles, and freeing the records frees
// every saved tensor.
//
// Who owns gradients
// - A leaf made from a chapter-2 `Parameter` (`tape.parameter(p)`) adds into
//   `p.grad`, which is never reset by the engine: the optimizer's `zeroGrad`
//   (or `Parameter.zeroGrad`) zeroes it before each step, as in PyTorch.
// - Any other leaf (`tape.variable(t)`) keeps its gradient on the tape
//   (`v.grad`); it accumulates over backward calls on the same tape.
// - Intermediate gradients live only during backward.
//
// Freeing: after backward the records (closures and saved tensors) are
// dropped unless `retainGraph: true`; a second backward then throws
// `AutodiffError.graphFreed`. `noGrad { }` runs a block in which operations
// record nothing (inference), so no tensor is saved at all.

import Backpropagation
import BackpropCore

/// A recording of tensor operations, and their reverse sweep.
public final class Tape<Scalar: TensorScalar> {
    /// The kernels (naive or SIMD twins) every operation on this tape uses.
    public let backend: Backend
    /// False inside `noGrad`: operations then record nothing.
    public private(set) var isRecording = true
    /// True once a backward without `retainGraph` has released the records.
    public private(set) var isFreed = false

    /// What backward does at a record: add into a leaf, or run a closure.
    enum Kind {
        case leaf(Parameter<Scalar>?)
        case operation((Tape<Scalar>, Tensor<Scalar>) throws -> Void)
    }

    struct Record {
        let operation: String
        let shape: [Int]
        let kind: Kind
        /// The records of the operation's inputs (nil: a constant input).
        var inputs: [Int?] = []
        /// Bytes of the tensors the backward closure keeps alive.
        let savedBytes: Int
    }

    private(set) var records: [Record] = []
    /// Gradients of the records during backward (nil: none arrived yet).
    private var gradients: [Tensor<Scalar>?] = []
    /// The gradients of leaves that are not parameters, by node.
    private var leafGradients: [Int: Tensor<Scalar>] = [:]
    /// Weights used by several products: uses, packed copies, and the
    /// (X, Y) pairs of their batched gradient (Tape+SharedWeights.swift).
    var weightUses: [Int: Int] = [:]
    var packedWeights: [PackKey: PackedWeight] = [:]
    var deferredWeightGradients: [Int: [(x: Tensor<Scalar>, y: Tensor<Scalar>)]] = [:]

    public init(backend: Backend = .simd) { self.backend = backend }

    // MARK: Leaves

    /// A leaf: a tensor the computation starts from. With `requiresGrad`
    /// its gradient is kept (`grad`); without, it is a constant and nothing
    /// upstream of it is recorded.
    public func variable(_ value: Tensor<Scalar>, requiresGrad: Bool = true) -> Variable<Scalar> {
        guard requiresGrad, isRecording else { return Variable(value, tape: self, node: nil) }
        return Variable(value, tape: self, node: append(Record(operation: "leaf", shape: value.shape, kind: .leaf(nil), savedBytes: 0)))
    }

    /// A constant (the data, targets): no gradient.
    public func constant(_ value: Tensor<Scalar>) -> Variable<Scalar> { Variable(value, tape: self, node: nil) }

    /// A leaf reading a chapter-2 parameter's value and adding its gradient
    /// into `parameter.grad` (so chapter 2's optimizers train it).
    public func parameter(_ parameter: Parameter<Scalar>) -> Variable<Scalar> {
        guard isRecording else { return Variable(parameter.value, tape: self, node: nil) }
        let node = append(Record(operation: "parameter \(parameter.name)", shape: parameter.value.shape,
                                 kind: .leaf(parameter), savedBytes: 0))
        return Variable(parameter.value, tape: self, node: node)
    }

    // MARK: Recording

    private func append(_ record: Record) -> Int {
        records.append(record)
        return records.count - 1
    }

    /// The output of an operation: recorded with its backward closure if the
    /// tape is recording and some input requires a gradient, else a constant.
    /// `saved` lists the tensors the closure keeps (for `bytesHeld`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func record(
        _ operation: String, _ value: Tensor<Scalar>, inputs: [Variable<Scalar>], saved: [Tensor<Scalar>] = [],
        backward: @escaping (Tape<Scalar>, Tensor<Scalar>) throws -> Void
    ) -> Variable<Scalar> {
        Variable(value, tape: self, node: recordNode(operation, shape: value.shape, inputs: inputs.map(\.node),
                                                     saved: saved, backward: backward))
    }

    /// The record of an operation of `shape` whose inputs are the records
    /// `inputs` (nil: constant), or nil if nothing is recorded (not
    /// recording, or no input requires a gradient).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func recordNode(
        _ operation: String, shape: [Int], inputs: [Int?], saved: [Tensor<Scalar>] = [],
        backward: @escaping (Tape<Scalar>, Tensor<Scalar>) throws -> Void
    ) -> Int? {
        guard isRecording, inputs.contains(where: { $0 != nil }) else { return nil }
        let bytes = saved.reduce(0) { $0 + $1.count } * MemoryLayout<Scalar>.stride
        for t in saved {
            // a buffer saved by several records (a weight used at every step) counted once here
            if let base = t.withUnsafeBufferPointer({ $0.baseAddress }), savedBuffers.insert(UnsafeRawPointer(base)).inserted {
                distinctBytesHeld += t.count * MemoryLayout<Scalar>.stride
            }
        }
        return append(Record(operation: operation, shape: shape, kind: .operation(backward), inputs: inputs, savedBytes: bytes))
    }

    /// An operation with several outputs (the LSTM cell's h and c): one
    /// record for the operation, whose gradient is the outputs' gradients
    /// stacked (flattened, in order; zeros for an output none reached), and
    /// one light record per output that routes its gradient into its part
    /// of the stack. `backward` receives the stack.
    func record(
        _ operation: String, outputs values: [Tensor<Scalar>], inputs: [Variable<Scalar>], saved: [Tensor<Scalar>] = [],
        backward: @escaping (Tape<Scalar>, Tensor<Scalar>) throws -> Void
    ) -> [Variable<Scalar>] {
        let counts = values.map(\.count), total = counts.reduce(0, +)
        guard let joint = recordNode(operation, shape: [total], inputs: inputs.map(\.node), saved: saved, backward: backward) else {
            return values.map { Variable($0, tape: self, node: nil) }
        }
        var offset = 0
        return zip(values, counts).enumerated().map { k, pair in
            let (value, count) = pair, lo = offset
            offset += count
            return record("\(operation) output \(k)", value, inputs: [Variable(value, tape: self, node: joint)]) { tape, g in
                tape.accumulate(joint) { stack, add in
                    if !add { Scalar.fill(stack, count: total, with: 0) }
                    g.withUnsafeBufferPointer { pg in
                        tape.backend.kernels.add(count: count, UnsafePointer(stack + lo), pg.baseAddress!, stack + lo)
                    }
                }
            }
        }
    }

    /// Runs `body` without recording: inference mode (PyTorch's `no_grad`).
    public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
        let was = isRecording
        isRecording = false
        defer { isRecording = was }
        return try body()
    }

    /// The number of records (leaves and operations) on the tape.
    public var count: Int { records.count }

    /// The operations recorded, in order ("leaf", "matmul(nt)", …).
    public var operations: [String] { records.map(\.operation) }

    /// The bytes the tape keeps alive for backward: every saved tensor
    /// (tensors shared by several records, or with the forward's outputs,
    /// are counted each time, so this is an upper bound).
    public var bytesHeld: Int { records.reduce(0) { $0 + $1.savedBytes } }

    /// The bytes of the distinct buffers the records keep alive: each saved
    /// storage once, however many records saved it (the memory actually
    /// held, where `bytesHeld` counts the char-LSTM's W_hh once per step).
    public private(set) var distinctBytesHeld = 0
    /// The buffers counted in `distinctBytesHeld` (alive while saved, so an
    /// address cannot be reused for another buffer in the meantime).
    private var savedBuffers: Set<UnsafeRawPointer> = []

    // MARK: Backward

    /// Adds ∂L/∂root into every leaf that requires a gradient.
    /// - Parameters:
    ///   - seed: ∂L/∂root; nil means 1 and requires a single-element root.
    ///   - retainGraph: keep the records for another backward.
    /// - Throws: `AutodiffError` for a freed tape, a non-scalar root without
    ///   seed, a seed of the wrong shape, or a root that needs no gradient.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ root: Variable<Scalar>, seed: Tensor<Scalar>? = nil, retainGraph: Bool = false) throws {
        guard root.tape === self else { throw AutodiffError.differentTapes(operation: "backward") }
        guard !isFreed else { throw AutodiffError.graphFreed(operation: "backward") }
        let start: Tensor<Scalar>
        if let seed {
            guard seed.shape == root.shape else { throw AutodiffError.seedShapeMismatch(output: root.shape, seed: seed.shape) }
            start = seed
        } else {
            guard root.value.count == 1 else { throw AutodiffError.nonScalarWithoutSeed(shape: root.shape) }
            start = try Tensor(shape: root.shape, repeating: 1)
        }
        guard let rootNode = root.node else { throw AutodiffError.noGradient(operation: "backward") }
        gradients = [Tensor<Scalar>?](repeating: nil, count: rootNode + 1)
        gradients[rootNode] = start
        defer { gradients = []; deferredWeightGradients = [:] }
        for i in stride(from: rootNode, through: 0, by: -1) {
            flushWeightGradient(i)  // a shared weight's batched gradient, once all its uses are done
            guard let g = gradients[i] else { continue }
            gradients[i] = nil
            switch records[i].kind {
            case .leaf(let parameter?):
                try addInto(parameter, g)
            case .leaf(nil):
                if var old = leafGradients[i] {
                    leafGradients[i] = nil  // so `old` is the only reference: added in place
                    Self.add(g, into: &old, backend: backend)
                    leafGradients[i] = old
                } else {
                    leafGradients[i] = g
                }
            case .operation(let backward):
                try backward(self, g)
            }
        }
        if !retainGraph {
            // Keep the leaves (their gradients stay readable); drop every closure.
            records = records.map { r in
                if case .leaf = r.kind { return r }
                return Record(operation: r.operation, shape: r.shape, kind: .leaf(nil), inputs: r.inputs, savedBytes: 0)
            }
            packedWeights = [:]
            (savedBuffers, distinctBytesHeld) = ([], 0)
            isFreed = true
        }
    }

    /// The gradient accumulated for a leaf (nil before any backward reached it).
    public func gradient(of v: Variable<Scalar>) -> Tensor<Scalar>? {
        guard let node = v.node else { return nil }
        if case .leaf(let p?) = records[node].kind { return p.grad }
        return leafGradients[node]
    }

    /// Adds `g` into the gradient of `node` (nil: the input needs none).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func accumulate(_ node: Int?, _ g: Tensor<Scalar>) throws {
        guard let node else { return }
        guard g.shape == records[node].shape else {
            throw AutodiffError.shapeMismatch(operation: "backward of \(records[node].operation)", lhs: g.shape,
                                              rhs: records[node].shape, reason: "a gradient must have its value's shape")
        }
        if case .leaf(let p?) = records[node].kind { return try addInto(p, g) }
        if var old = gradients[node] {
            gradients[node] = nil
            Self.add(g, into: &old, backend: backend)
            gradients[node] = old
        } else {
            gradients[node] = g
        }
    }

    /// Adds into the gradient of `node` by a kernel that can write or
    /// accumulate (matmul, column sums): `write(pointer, accumulate)` writes
    /// the contribution, or adds it when a gradient is already there — so
    /// a parameter's gradient is updated in place with no temporary.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func accumulate(_ node: Int?, write: (UnsafeMutablePointer<Scalar>, Bool) -> Void) {
        guard let node else { return }
        let shape = records[node].shape
        if case .leaf(let p?) = records[node].kind {
            p.grad.withUnsafeMutableBufferPointer { if let b = $0.baseAddress { write(b, true) } }
            return
        }
        if var old = gradients[node] {
            gradients[node] = nil
            old.withUnsafeMutableBufferPointer { if let b = $0.baseAddress { write(b, true) } }
            gradients[node] = old
        } else {
            gradients[node] = Tensor<Scalar>.filled(shape) { write($0, false) }
        }
    }

    private func addInto(_ p: Parameter<Scalar>, _ g: Tensor<Scalar>) throws {
        guard p.grad.shape == g.shape else {
            throw AutodiffError.shapeMismatch(operation: "gradient of \(p.name)", lhs: g.shape, rhs: p.grad.shape,
                                              reason: "the parameter's gradient has another shape")
        }
        Self.add(g, into: &p.grad, backend: backend)
    }

    static func add(_ g: Tensor<Scalar>, into total: inout Tensor<Scalar>, backend: Backend) {
        g.withUnsafeBufferPointer { pg in
            total.withUnsafeMutableBufferPointer { pt in
                guard let t = pt.baseAddress else { return }
                backend.kernels.add(count: pt.count, UnsafePointer(t), pg.baseAddress!, t)
            }
        }
    }
}

extension Tensor {
    /// A tensor of `shape` whose every element `write` sets (no zero fill first).
    @inlinable
    static func filled(_ shape: [Int], _ write: (UnsafeMutablePointer<Scalar>) -> Void) -> Tensor {
        let n = shape.reduce(1, *)
        let scalars = [Scalar](unsafeUninitializedCapacity: n) { p, initialized in
            if n > 0 { write(p.baseAddress!) }
            initialized = n
        }
        return try! Tensor(shape: shape, scalars: scalars)  // n matches the shape by construction
    }
}
