// The GPT: a decoder-only Transformer language model over characters.
//
//   forward   tokens [B·T] (ids < V), T ≤ context → logits [B·T, V]
//             x₀ = E[tokens] + P[0..<T]              token + learned position embeddings [B·T, C]
//             x₀ = Dropout(x₀)
//             xₗ = Blockₗ(xₗ₋₁),  l = 1…L             pre-norm blocks (TransformerBlock.swift)
//             h  = LN_f(x_L)                         [B·T, C]
//             logits = h Eᵀ                          head tied to the token embedding E [V, C]
//   backward  dlogits [B·T, V] → parameter gradients
//             dh = dlogits E,  E.grad += dlogitsᵀ h  (the tied head's share of E's gradient)
//             … blocks in reverse …
//             E.grad[tokenᵢ] += dx₀ᵢ,  P.grad[tᵢ] += dx₀ᵢ   (the embedding's scatter-add)
//
// Parameters: V·C + T_ctx·C + L·(12C² + 13C) + 2C with biases (the
// default), V·C + T_ctx·C + L·(12C² + 2C) + C without (`bias: false`, the
// reference baby GPT's layers; no separate head: `GPTConfig.parameterCount`, derived in
// chapters/07-transformer.md).

import BackpropCore
import Backpropagation
import RecurrentNetworks

/// The sizes of a GPT.
public struct GPTConfig: Sendable, Equatable {
    public var vocabulary: CharacterVocabulary
    /// Maximum sequence length T_ctx (positions 0..<context).
    public var context: Int
    public var layers: Int
    public var heads: Int
    /// Width C of the residual stream.
    public var width: Int
    public var dropout: Double
    /// Whether the Linears and LayerNorms have biases (b, β). The reference
    /// baby GPT has none; here they are on by default (see the chapter's
    /// results for the comparison).
    public var bias: Bool

    /// - Throws: `TrainingError.invalidOption` for non-positive sizes, a
    ///   width the heads do not divide, or dropout outside [0, 1).
    public init(vocabulary: CharacterVocabulary, context: Int = 64, layers: Int = 4, heads: Int = 4, width: Int = 128, dropout: Double = 0, bias: Bool = true) throws {
        for (name, v) in [("context", context), ("layers", layers), ("heads", heads), ("width", width)] where v < 1 {
            throw TrainingError.invalidOption(name: name, value: "\(v)", reason: "must be at least 1")
        }
        guard width % heads == 0 else {
            throw TrainingError.invalidOption(name: "heads", value: "\(heads)", reason: "must divide the width \(width)")
        }
        guard dropout >= 0 && dropout < 1 else {
            throw TrainingError.invalidOption(name: "dropout", value: "\(dropout)", reason: "must be in [0, 1)")
        }
        self.vocabulary = vocabulary
        self.context = context
        self.layers = layers
        self.heads = heads
        self.width = width
        self.dropout = dropout
        self.bias = bias
    }

    /// V·C (tied token embedding and head) + T·C (positions)
    /// + L·(12C² + 2C) (per block: LN γ C, QKV 3C², projection C², LN γ C,
    ///   MLP 4C² and 4C²) + C (final LayerNorm's γ);
    /// with biases + L·11C (β 2C, b 3C + C + 4C + C) + C (final β),
    /// i.e. L·(12C² + 13C) + 2C.
    public var parameterCount: Int {
        let (v, t, c, l) = (vocabulary.count, context, width, layers)
        let weights = v * c + t * c + l * (12 * c * c + 2 * c) + c
        return bias ? weights + l * 11 * c + c : weights
    }

    /// Multiply-adds of one forward pass over one sequence of length T:
    /// the weight matrices (12C² per token per block, plus V·C for the head)
    /// and attention (QKᵀ and PV: 2·T·T·C per block, counting the masked half).
    public func forwardMultiplyAdds(length t: Int) -> Int {
        let c = width
        return t * (layers * 12 * c * c + vocabulary.count * c) + layers * 2 * t * t * c
    }
}

/// A GPT language model, generic over its scalar (Float to train, Double to
/// gradient-check). `@unchecked Sendable`: inference (`forward` in inference
/// mode, `generate`) only reads the parameters and keeps no scratch state, so
/// threads may share a model as long as nobody trains it at the same time.
public final class GPT<Scalar: TensorScalar>: @unchecked Sendable {
    public let config: GPTConfig
    /// E [V, C], shared with the output head.
    public let tokenEmbedding: Embedding<Scalar>
    /// P [context, C]
    public let positionEmbedding: Parameter<Scalar>
    public let blocks: [TransformerBlock<Scalar>]
    public let finalNorm: LayerNorm<Scalar>
    public let embeddingDropout: Dropout<Scalar>
    public var backend: Backend {
        didSet {
            for b in blocks { b.backend = backend }
            finalNorm.backend = backend
            embeddingDropout.backend = backend
        }
    }

    public struct Cache {
        var tokens: Embedding<Scalar>.Cache
        var batch: Int, length: Int
        var dropout: Tensor<Scalar>?
        var blocks: [TransformerBlock<Scalar>.Cache]
        var finalNorm: LayerNormCache<Scalar>
        var normalized: Tensor<Scalar>
        /// The attention probabilities of every block, [B, H, T, T] each.
        public var attentionProbabilities: [[Scalar]] { blocks.map { MultiHeadAttention.probabilities($0.attention) } }
    }

    /// A freshly initialised model; `initialization` defaults to
    /// `.widthScaled(config.width)` (std 1/√C).
    public init(config: GPTConfig, seed: UInt64, initialization: GPTInitialization? = nil, backend: Backend = .simd) throws {
        self.config = config
        self.backend = backend
        var rng = SeededRandom(seed: seed)
        let c = config.width
        let std = (initialization ?? .widthScaled(c)).std
        tokenEmbedding = try Embedding(count: config.vocabulary.count, dimension: c, std: std, rng: &rng)
        positionEmbedding = Parameter("weight", try GPTInitialization.normal([config.context, c], std: std, rng: &rng))
        blocks = try (0..<config.layers).map { l in
            try TransformerBlock(width: c, heads: config.heads, layers: config.layers, bias: config.bias, dropout: config.dropout,
                                 seed: seed &+ UInt64(10 * (l + 1)), std: std, rng: &rng, backend: backend)
        }
        finalNorm = try LayerNorm(width: c, bias: config.bias, backend: backend)
        embeddingDropout = try Dropout(config.dropout, seed: seed &+ 7, backend: backend)
    }

    /// Every parameter with its name, in a fixed order (checkpoints, fixtures).
    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        var out: [(name: String, parameter: Parameter<Scalar>)] = [("token_embedding.weight", tokenEmbedding.weight), ("position_embedding.weight", positionEmbedding)]
        for (l, b) in blocks.enumerated() { out += b.namedParameters.map { (name: "blocks.\(l).\($0.0)", parameter: $0.1) } }
        out.append(("ln_f.weight", finalNorm.gamma))
        if config.bias { out.append(("ln_f.bias", finalNorm.beta)) }
        return out
    }
    public var parameters: [Parameter<Scalar>] { namedParameters.map(\.parameter) }
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    public func zeroGrad() { parameters.forEach { $0.zeroGrad() } }

    /// logits [batch·length, V] for `tokens` [batch·length] (row b is sequence b).
    /// - Throws: `TrainingError.invalidOption` if length exceeds the context or
    ///   the token count is not batch·length; `TextError.tokenOutOfRange`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ tokens: [Int], batch: Int, length: Int, mode: Mode = .inference) throws -> (logits: Tensor<Scalar>, cache: Cache) {
        guard length >= 1, length <= config.context else {
            throw TrainingError.invalidOption(name: "sequence length", value: "\(length)", reason: "must be in 1…\(config.context) (the model's context)")
        }
        guard batch >= 1, tokens.count == batch * length else {
            throw TrainingError.invalidOption(name: "tokens", value: "\(tokens.count)", reason: "expected batch × length = \(batch * length)")
        }
        let c = config.width
        let (embedded, te) = try tokenEmbedding.forward(try Embedding.ids(tokens, shape: [batch, length]), mode: mode)
        var x = embedded                                                                  // [B, T, C]
        positionEmbedding.value.scalars.withUnsafeBufferPointer { p in
            x.scalars.withUnsafeMutableBufferPointer { px in
                for b in 0..<batch {                                                      // x += P[t]
                    backend.kernels.add(count: length * c, px.baseAddress! + b * length * c, p.baseAddress!, px.baseAddress! + b * length * c)
                }
            }
        }
        let (xd, dropMask) = try embeddingDropout.forward(x, mode: mode)
        x = xd
        var caches: [TransformerBlock<Scalar>.Cache] = []
        caches.reserveCapacity(blocks.count)
        for block in blocks {
            let (y, cache) = try block.forward(x, mode: mode)                            // [B, T, C]
            x = y
            caches.append(cache)
        }
        let (normalized, cf) = try finalNorm.forward(x, mode: mode)                       // [B, T, C]
        let h = try normalized.flattenedRows("GPT")                                       // [B·T, C]
        let logits = try Tensor.matmul(h, tokenEmbedding.weight.value, .nt, backend: backend)  // [B·T, V] = h Eᵀ
        return (logits, Cache(tokens: te, batch: batch, length: length, dropout: dropMask, blocks: caches, finalNorm: cf, normalized: h))
    }

    /// Accumulates every parameter's gradient from dlogits [B·T, V].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dlogits: Tensor<Scalar>, cache: Cache) throws {
        let c = config.width, v = config.vocabulary.count
        let n = cache.batch * cache.length
        guard dlogits.shape == [n, v] else {
            throw TensorError.shapeMismatch(operation: "GPT.backward", lhs: dlogits.shape, rhs: [n, v], reason: "dlogits must be [B·T, V]")
        }
        var dx = try Tensor.matmul(dlogits, tokenEmbedding.weight.value, .nn, backend: backend)   // dh = dlogits E [B·T, C]
        dlogits.scalars.withUnsafeBufferPointer { g in                                      // E.grad += dlogitsᵀ h
            cache.normalized.scalars.withUnsafeBufferPointer { h in
                tokenEmbedding.weight.grad.scalars.withUnsafeMutableBufferPointer { eg in
                    backend.kernels.matmul(.tn, m: v, n: c, k: n, g.baseAddress!, h.baseAddress!, eg.baseAddress!, accumulate: true)
                }
            }
        }
        dx = try finalNorm.backward(try dx.reshaped([cache.batch, cache.length, c]), cache: cache.finalNorm)
        for (block, bc) in zip(blocks, cache.blocks).reversed() {
            dx = try block.backward(dx, cache: bc)
        }
        dx = try embeddingDropout.backward(dx, cache: cache.dropout)
        _ = try tokenEmbedding.backward(dx, cache: cache.tokens)                              // scatter-add into E
        dx.scalars.withUnsafeBufferPointer { g in                                           // P.grad[t] += Σ_b dx[b, t]
            positionEmbedding.grad.scalars.withUnsafeMutableBufferPointer { pg in
                for b in 0..<cache.batch {
                    backend.kernels.add(count: cache.length * c, pg.baseAddress!, g.baseAddress! + b * cache.length * c, pg.baseAddress!)
                }
            }
        }
    }

    /// Mean next-token cross-entropy of `inputs` against `targets` (both
    /// [batch·length]), and, when `backward` is true, the gradients
    /// accumulated into every parameter.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @discardableResult
    public func loss(inputs: [Int], targets: [Int], batch: Int, length: Int, mode: Mode = .training, backward: Bool = true) throws -> Double {
        let (logits, cache) = try forward(inputs, batch: batch, length: length, mode: mode)
        let (loss, dlogits) = try SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: targets, backend: backend)
        if backward { try self.backward(dlogits, cache: cache) }
        return Double(loss)
    }
}
