// A character-level language model: Embedding → recurrent layer → Linear head.
//
//   forward   tokens [B, T] → e [T·B, E] → h [T·B, H] → logits [T·B, V]
//   loss      mean cross-entropy of the next character, in nats per character
//   backward  dlogits → head → dh [T·B, H] → BPTT → de [T·B, E] → scatter-add into E
//
// Rows are time-major inside (row t·B + b): the recurrent layer wants each
// step's B rows together, and the head and the loss do not care about order,
// so they run over all T·B rows at once (one GEMM each way).
//
// The model carries no mutable state besides its parameters: a training
// step's recurrent state is passed in and out, and `generate` keeps its own
// per call, so several threads may generate from one model at once (while
// nobody trains it). Saved with `Checkpoint` as model "char-rnn".

import BackpropCore
import Dispatch
import Foundation
import Backpropagation
import Storage

/// Sizes of a character model.
public struct CharRNNConfig: Sendable, Equatable {
    public var cell: CellKind
    public var embeddingSize: Int
    public var hiddenSize: Int
    public init(cell: CellKind = .lstm, embeddingSize: Int = 64, hiddenSize: Int = 256) {
        self.cell = cell
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
    }
}

public final class CharRNN: CheckpointModel, @unchecked Sendable {
    public let config: CharRNNConfig
    public let vocabulary: CharacterVocabulary
    public let embedding: Embedding<Float>
    public let rnn: RecurrentLayer<Float>
    public let head: Linear<Float>

    /// Embedding N(0, 1), recurrent layer and head U(±1/√fan-in): PyTorch's defaults.
    public init(_ config: CharRNNConfig, vocabulary: CharacterVocabulary, rng: inout SeededRandom,
                backend: Backend = .simd) throws {
        self.config = config
        self.vocabulary = vocabulary
        embedding = try Embedding(count: vocabulary.count, dimension: config.embeddingSize, rng: &rng)
        rnn = try RecurrentLayer(config.cell, inputSize: config.embeddingSize, hiddenSize: config.hiddenSize, rng: &rng, backend: backend)
        let k = 1 / Double(config.hiddenSize).squareRoot(), v = vocabulary.count
        let w = try Tensor<Float>(shape: [v, config.hiddenSize], scalars: (0..<(v * config.hiddenSize)).map { _ in Float(rng.uniform(-k, k)) })
        let b = try Tensor<Float>(shape: [v], scalars: (0..<v).map { _ in Float(rng.uniform(-k, k)) })
        head = try Linear(weight: w, bias: b, backend: backend)
    }

    public var parameters: [Parameter<Float>] { embedding.parameters + rnn.parameters + head.parameters }

    /// The kernel twin every layer computes with.
    public var backend: Backend {
        get { rnn.backend }
        set { rnn.backend = newValue; head.backend = newValue }
    }

    public var summary: String {
        "Embedding(\(vocabulary.count) × \(config.embeddingSize)) → \(rnn.summary) → Linear(\(config.hiddenSize) → \(vocabulary.count))"
    }

    /// Batch-first [B·T] → time-major [T·B].
    static func timeMajor(_ tokens: [Int], batch: Int, length: Int) -> [Int] {
        var out = [Int](repeating: 0, count: tokens.count)
        for b in 0..<batch { for t in 0..<length { out[t * batch + b] = tokens[b * length + t] } }
        return out
    }

    /// The recurrent state carried between windows (nil: zeros).
    public struct CarriedState: Sendable {
        public var h: [Float]
        public var c: [Float]?
    }

    /// Forward, loss and (if `train`) backward over one batch of B windows of
    /// T tokens (batch-first, as StreamBatches gives them), starting from
    /// `state` and replacing it with the final state (detached: no gradient
    /// flows into earlier windows). Gradients are added to the parameters'.
    /// - Returns: the mean cross-entropy in nats per character.
    @discardableResult
    public func step(inputs: [Int], targets: [Int], batch: Int, state: inout CarriedState?, train: Bool) throws -> Double {
        guard batch > 0, inputs.count == targets.count, inputs.count % batch == 0, !inputs.isEmpty else {
            throw TensorError.shapeMismatch(operation: "CharRNN.step", lhs: [inputs.count], rhs: [targets.count],
                                            reason: "inputs and targets must both be [batch·length]")
        }
        let length = inputs.count / batch
        let tokens = Self.timeMajor(inputs, batch: batch, length: length)
        let labels = Self.timeMajor(targets, batch: batch, length: length)
        // The SIMD twin folds the embedding into the input projection
        // (RecurrentLayer+EmbeddedInput.swift): no [T·B, E] rows are formed and
        // the recurrent backward pass adds ∂L/∂E itself. The naive twin (and a
        // custom cell) runs the layers one after the other, as drawn above.
        let folded = rnn.backend == .simd && rnn.customCell == nil
        var embeddingCache: Embedding<Float>.Cache? = nil
        let cache: SequenceCache<Float>
        if folded {
            cache = try rnn.forwardTimeMajor(tokens: tokens, embedding: embedding, batch: batch, h0: state?.h, c0: state?.c)
        } else {
            let (e, c) = try embedding.forward(try Embedding.ids(tokens), mode: train ? .training : .inference)  // [T·B, E]
            embeddingCache = c
            cache = try rnn.forwardTimeMajor(e.scalars, batch: batch, h0: state?.h, c0: state?.c)
        }
        // h [T·B, H] → logits [T·B, V]: the SIMD twin reads h in place (CharRNN+Head.swift)
        let rows = tokens.count, outputsStart = cache.batch * config.hiddenSize
        var headCache: Linear<Float>.Cache? = nil
        let logits: Tensor<Float>
        if folded {
            logits = try cache.hs.withUnsafeBufferPointer { try Self.packedHeadForward($0.baseAddress! + outputsStart, rows: rows, head: head) }
        } else {
            let h = try Tensor(shape: [rows, config.hiddenSize], scalars: Array(cache.outputs))
            let (y, c) = try head.forward(h, mode: train ? .training : .inference)
            (logits, headCache) = (y, c)
        }
        let (loss, dLogits) = try Self.lossAndGradient(logits: logits, labels: labels, backend: backend)
        state = CarriedState(h: cache.finalH, c: cache.finalC)
        if train {
            let dh = try headCache.map { try head.backward(dLogits, cache: $0).scalars }
                ?? cache.hs.withUnsafeBufferPointer {
                    Self.packedHeadBackward(dLogits, h: $0.baseAddress! + outputsStart, rows: rows, head: head, backend: backend)
                }
            let g = try rnn.backwardTimeMajor(dh, cache: cache)
            if let embeddingCache {
                _ = try embedding.backward(Tensor(shape: [tokens.count, config.embeddingSize], scalars: g.dx), cache: embeddingCache)
            }
        }
        return Double(loss)
    }

    /// The mean cross-entropy and its gradient, in two halves of the rows
    /// at once (SIMD twin, an even number of rows ≥ 512): the loss is scalar
    /// code with a Double exp per logit, ~1.5 ms per LSTM step that otherwise
    /// ran on one core. Each half's gradient (p − q)/(n/2) is halved
    /// afterwards: in binary floating point that is exactly (p − q)/n, so the
    /// gradient is bit-identical to one call over all rows; the loss is the
    /// mean of the two halves' means.
    static func lossAndGradient(logits: Tensor<Float>, labels: [Int], backend: Backend) throws -> (loss: Float, gradient: Tensor<Float>) {
        let (n, c) = try logits.matrixShape("CharRNN loss")
        guard backend == .simd, n % 2 == 0, n >= 512, labels.count == n else {
            return try SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, backend: backend)
        }
        typealias Half = Result<(loss: Float, gradient: Tensor<Float>), Error>
        final class Halves: @unchecked Sendable {  // two properties, each written by one thread
            var first: Half?, second: Half?
        }
        let halves = Halves(), half = n / 2
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let result = Half {
                let rows = try Tensor(shape: [half, c], scalars: Array(logits.scalars[(i * half * c)..<((i + 1) * half * c)]))
                return try SoftmaxCrossEntropy.lossAndGradient(logits: rows, labels: Array(labels[(i * half)..<((i + 1) * half)]),
                                                               backend: backend)
            }
            if i == 0 { halves.first = result } else { halves.second = result }
        }
        let (a, b) = (try halves.first!.get(), try halves.second!.get())
        var gradient = try Tensor(shape: [n, c], scalars: a.gradient.scalars + b.gradient.scalars)
        gradient.withUnsafeMutableBufferPointer { backend.kernels.scale(count: n * c, alpha: 0.5, $0.baseAddress!) }
        return (Float((Double(a.loss) + Double(b.loss)) / 2), gradient)
    }

    /// Mean cross-entropy (nats per character) over `tokens`, read as
    /// `batch` streams in windows of `length` with the state carried, as in
    /// training. Every full window of every stream counts once.
    public func evaluate(_ tokens: [Int], batch: Int = 32, length: Int = 64) throws -> Double {
        let batch = max(1, min(batch, (tokens.count - 1) / (length + 1)))
        var batches = try StreamBatches(tokens, batch: batch, length: length)
        var state: CarriedState? = nil
        var total = 0.0
        for _ in 0..<batches.windowsPerEpoch {
            let (x, y, _) = batches.next()
            total += try step(inputs: x, targets: y, batch: batch, state: &state, train: false)
        }
        return total / Double(batches.windowsPerEpoch)
    }
}
