// A small Llama-style language model over token ids (BPE tokens in this
// chapter): chapter 7's GPT with the modern block.
//
//   forward   tokens [B·T] (ids < V), T ≤ context → logits [B·T, V]
//             x₀ = E[tokens]                     token embedding [B, T, C]; no position
//                                                embedding: RoPE inside each block's attention
//             xₗ = LlamaBlockₗ(xₗ₋₁), l = 1…L    (LlamaBlock.swift)
//             h  = RMSNorm_f(x_L)                [B, T, C]
//             logits = h Wᵀ                      W = E (tied head) or a separate W [V, C]
//   backward  dlogits [B·T, V] → parameter gradients
//             dh = dlogits W,  W.grad += dlogitsᵀ h   (into E's gradient when tied)
//             … blocks in reverse …
//             E.grad[tokenᵢ] += dx₀ᵢ                 (the embedding's scatter-add)
//
// Parameters (`LlamaConfig.parameterCount`): V·C (E) + L·(2C + C·H·d·2 +
// 2·C·H_kv·d + 3·C·hidden) + C (final gain), + V·C for an untied head; with
// H·d = C that is L·(2C² + 2C²·H_kv/H + 3C·hidden + 2C) + C + V·C(1 or 2).
// Names are Hugging Face's LlamaForCausalLM's ("model.embed_tokens.weight",
// "model.layers.0.self_attn.q_proj.weight", …, "model.norm.weight",
// "lm_head.weight" when untied).
//
// The ablation (`LlamaConfig.architecture`, LlamaVariants.swift): with
// learned positions, x₀ = E[tokens] + P[0..<T] (P [context, C],
// "model.embed_positions.weight", its gradient Σ_b dx₀[b, t]) and attention
// rotates nothing; LayerNorm adds β to every norm ("….bias"); the GELU MLP
// has two matrices ("mlp.fc_in.weight", "mlp.fc_out.weight") instead of three.
// `freezesBase` (LoRA) leaves out every weight gradient: the head's, the
// projections' and the embedding's scatter-add (FrozenWeights.swift).

import BackpropCore
import Backpropagation
import RecurrentNetworks

/// The sizes of a Llama-style model.
public struct LlamaConfig: Sendable, Equatable {
    /// V, the number of token ids.
    public var vocabularySize: Int
    /// The training context T_ctx (RoPE tables cover it; `Llama.rotaryReserve` extends them).
    public var context: Int
    public var layers: Int
    /// Width C of the residual stream.
    public var width: Int
    /// Query heads H and shared key/value heads H_kv.
    public var heads: Int
    public var kvHeads: Int
    /// The MLP's hidden width (SwiGLU's H, or the GELU MLP's H′).
    public var hidden: Int
    /// Whether the output head is the token embedding (true) or a matrix of its own.
    public var tiedHead: Bool
    public var ropeBase: Double
    public var epsilon: Double
    /// Positions, MLP and norm: Llama's (the default) or GPT-era pieces.
    public var architecture: LlamaArchitecture

    public var headWidth: Int { width / heads }

    /// `hidden` defaults to `SwiGLU.llamaHidden(width:)` (8C/3 rounded up to
    /// a multiple of 8), or 3/2 of that for the GELU MLP (the same weights,
    /// `LlamaMLPKind.defaultHidden`).
    /// - Throws: `TrainingError.invalidOption` for non-positive sizes, heads
    ///   that do not divide the width into even head widths, or kv heads
    ///   that do not divide the heads.
    public init(vocabularySize: Int, context: Int = 64, layers: Int = 4, width: Int = 128, heads: Int = 4, kvHeads: Int = 2,
                hidden: Int? = nil, tiedHead: Bool = true, ropeBase: Double = 10_000, epsilon: Double = 1e-5,
                architecture: LlamaArchitecture = .llama) throws {
        let hiddenWidth = hidden ?? architecture.mlp.defaultHidden(width: width)
        for (name, v) in [("vocabulary size", vocabularySize), ("context", context), ("layers", layers), ("width", width),
                          ("hidden", hiddenWidth)] where v < 1 {
            throw TrainingError.invalidOption(name: name, value: "\(v)", reason: "must be at least 1")
        }
        _ = try GroupedQueryAttention<Float>.headWidth(width: width, heads: heads, kvHeads: kvHeads)
        guard ropeBase > 1, epsilon >= 0 else {
            throw TrainingError.invalidOption(name: "rope base / epsilon", value: "\(ropeBase) / \(epsilon)", reason: "base must be > 1 and ε ≥ 0")
        }
        (self.vocabularySize, self.context, self.layers, self.width) = (vocabularySize, context, layers, width)
        (self.heads, self.kvHeads, self.hidden, self.tiedHead) = (heads, kvHeads, hiddenWidth, tiedHead)
        (self.ropeBase, self.epsilon, self.architecture) = (ropeBase, epsilon, architecture)
    }

    /// The number of trainable scalars (see the file header).
    public var parameterCount: Int {
        let (c, d, a) = (width, headWidth, architecture)
        let norm = a.norm.parameters(width: c)
        let block = 2 * norm + 2 * c * heads * d + 2 * c * kvHeads * d + a.mlp.weights(width: c, hidden: hidden)
        let positions = a.positions == .learned ? context * c : 0
        return vocabularySize * c * (tiedHead ? 1 : 2) + positions + layers * block + norm
    }

    /// Scalars a KV cache holds for `length` positions of one sequence:
    /// keys and values of the H_kv shared heads in every layer, 2·L·H_kv·d
    /// per position (H_kv/H of multi-head attention's).
    public func kvCacheScalars(length: Int) -> Int { 2 * layers * kvHeads * headWidth * length }
}

/// A Llama-style language model, generic over its scalar (Float to train,
/// Double to gradient-check).
public final class Llama<Scalar: TensorScalar>: @unchecked Sendable {
    public let config: LlamaConfig
    /// E [V, C]
    public let tokenEmbedding: Embedding<Scalar>
    /// P [context, C] with learned positions; nil with RoPE.
    public let positionEmbedding: Parameter<Scalar>?
    public let blocks: [LlamaBlock<Scalar>]
    public let finalNorm: LlamaNormLayer<Scalar>
    /// W [V, C] when the head is untied; nil when it is E.
    public let head: Parameter<Scalar>?
    /// The tokenizer the model was trained with (saved in its checkpoint), if known.
    public var tokenizer: LlamaTokenizer?
    public var backend: Backend {
        didSet {
            tokenEmbedding.backend = backend
            for b in blocks { b.backend = backend }
            finalNorm.setBackend(backend)
        }
    }
    /// Whether backward skips the weight gradients (every parameter of
    /// `parameters` is frozen; LoRA's adapters still get theirs).
    public var freezesBase = false {
        didSet { for b in blocks { b.frozen = freezesBase } }
    }

    public struct Cache {
        var tokens: Embedding<Scalar>.Cache
        var batch: Int, length: Int
        var blocks: [LlamaBlock<Scalar>.Cache]
        var finalNorm: LlamaNormLayer<Scalar>.Cache
        /// h [B·T, C]
        var normalized: Tensor<Scalar>
        /// The attention probabilities of every block, [B, H, T, T] each.
        public var attentionProbabilities: [[Scalar]] { blocks.map(\.attentionProbabilities) }
    }

    /// A fresh model: E, every projection and an untied head N(0, std²)
    /// (the two projections into the residual stream std/√(2L)); std
    /// defaults to 1/√C as chapter 7's GPT (`GPTInitialization.widthScaled`).
    public init(config: LlamaConfig, seed: UInt64, std: Double? = nil, backend: Backend = .simd) throws {
        self.config = config
        self.backend = backend
        var rng = SeededRandom(seed: seed)
        let c = config.width
        let std = std ?? 1 / Double(c).squareRoot()
        tokenEmbedding = try Embedding(count: config.vocabularySize, dimension: c, std: std, rng: &rng, backend: backend)
        positionEmbedding = config.architecture.positions == .learned  // N(0, std²), as chapter 7's P
            ? Parameter("weight", try LlamaInitialization.normal([config.context, c], std: std, rng: &rng)) : nil
        blocks = try (0..<config.layers).map { _ in
            try LlamaBlock(width: c, heads: config.heads, kvHeads: config.kvHeads, hidden: config.hidden, positions: config.context,
                           layers: config.layers, std: std, ropeBase: config.ropeBase, epsilon: config.epsilon,
                           architecture: config.architecture, rng: &rng, backend: backend)
        }
        finalNorm = try LlamaNormLayer(config.architecture.norm, width: c, epsilon: config.epsilon, backend: backend)
        head = config.tiedHead ? nil : Parameter("weight", try LlamaInitialization.linear(inputs: c, outputs: config.vocabularySize, std: std,
                                                                                          rng: &rng, backend: backend).weight.value)
    }

    /// Every parameter with Hugging Face's name, in a fixed order.
    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        var out: [(name: String, parameter: Parameter<Scalar>)] = [("model.embed_tokens.weight", tokenEmbedding.weight)]
        if let positionEmbedding { out.append(("model.embed_positions.weight", positionEmbedding)) }
        for (l, b) in blocks.enumerated() { out += b.namedParameters.map { (name: "model.layers.\(l).\($0.0)", parameter: $0.1) } }
        out += finalNorm.namedParameters.map { (name: "model.norm." + $0.0, parameter: $0.1) }
        if let head { out.append(("lm_head.weight", head)) }
        return out
    }
    public var parameters: [Parameter<Scalar>] { namedParameters.map(\.parameter) }
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
    public func zeroGrad() { parameters.forEach { $0.zeroGrad() } }

    /// The output head's weight [V, C]: E when tied.
    var headWeight: Parameter<Scalar> { head ?? tokenEmbedding.weight }

    /// logits [batch·length, V] for `tokens` [batch·length] (row b is sequence b).
    /// - Throws: `TrainingError.invalidOption` if length is outside 1…context
    ///   or the token count is not batch·length; a token out of range is the
    ///   embedding's error.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ tokens: [Int], batch: Int, length: Int, mode: Mode = .inference) throws -> (logits: Tensor<Scalar>, cache: Cache) {
        guard length >= 1, length <= config.context else {
            throw TrainingError.invalidOption(name: "sequence length", value: "\(length)", reason: "must be in 1…\(config.context) (the model's context)")
        }
        guard batch >= 1, tokens.count == batch * length else {
            throw TrainingError.invalidOption(name: "tokens", value: "\(tokens.count)", reason: "expected batch × length = \(batch) × \(length) = \(batch * length)")
        }
        var (x, te) = try tokenEmbedding.forward(try Embedding.ids(tokens, shape: [batch, length]), mode: mode)   // [B, T, C]
        if let p = positionEmbedding {                                                          // x += P[t]
            let c = config.width
            p.value.scalars.withUnsafeBufferPointer { pp in
                x.scalars.withUnsafeMutableBufferPointer { px in
                    for b in 0..<batch {
                        backend.kernels.add(count: length * c, px.baseAddress! + b * length * c, pp.baseAddress!, px.baseAddress! + b * length * c)
                    }
                }
            }
        }
        var caches: [LlamaBlock<Scalar>.Cache] = []
        caches.reserveCapacity(blocks.count)
        for block in blocks {
            let (y, cache) = try block.forward(x, mode: mode)                                   // [B, T, C]
            x = y
            caches.append(cache)
        }
        let (normalized, cf) = try finalNorm.forward(x, mode: mode)                              // [B, T, C]
        let h = try normalized.flattenedRows("Llama")                                            // [B·T, C]
        let logits = try Tensor.matmul(h, headWeight.value, .nt, backend: backend)               // [B·T, V] = h Wᵀ
        return (logits, Cache(tokens: te, batch: batch, length: length, blocks: caches, finalNorm: cf, normalized: h))
    }

    /// Accumulates every parameter's gradient from dlogits [B·T, V].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dlogits: Tensor<Scalar>, cache: Cache) throws {
        let (c, v, n) = (config.width, config.vocabularySize, cache.batch * cache.length)
        guard dlogits.shape == [n, v] else {
            throw TensorError.shapeMismatch(operation: "Llama.backward", lhs: dlogits.shape, rhs: [n, v],
                                            reason: "dlogits \(dlogits.shape) must be [B·T, V] = [\(n), \(v)]")
        }
        let w = headWeight
        var dx = try Tensor.matmul(dlogits, w.value, .nn, backend: backend)                      // dh = dlogits W [B·T, C]
        if !freezesBase {
            dlogits.scalars.withUnsafeBufferPointer { g in                                       // W.grad += dlogitsᵀ h
                cache.normalized.scalars.withUnsafeBufferPointer { h in
                    w.grad.scalars.withUnsafeMutableBufferPointer { wg in
                        backend.kernels.matmul(.tn, m: v, n: c, k: n, g.baseAddress!, h.baseAddress!, wg.baseAddress!, accumulate: true)
                    }
                }
            }
        }
        dx = try finalNorm.backward(try dx.reshaped([cache.batch, cache.length, c]), cache: cache.finalNorm)
        for (block, bc) in zip(blocks, cache.blocks).reversed() {
            dx = try block.backward(dx, cache: bc)
        }
        guard !freezesBase else { return }                                                     // E and P frozen: nothing below
        _ = try tokenEmbedding.backward(dx, cache: cache.tokens)                                  // scatter-add into E
        if let p = positionEmbedding {                                                          // P.grad[t] += Σ_b dx[b, t]
            let t = cache.length
            dx.scalars.withUnsafeBufferPointer { g in
                p.grad.scalars.withUnsafeMutableBufferPointer { pg in
                    for b in 0..<cache.batch {
                        backend.kernels.add(count: t * c, pg.baseAddress!, g.baseAddress! + b * t * c, pg.baseAddress!)
                    }
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
