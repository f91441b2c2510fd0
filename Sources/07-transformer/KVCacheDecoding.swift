// Generation, with and without a key/value cache.
//
// Without a cache, every new token costs a full forward pass over the whole
// window: O(T) rows through every weight matrix and O(T²) attention scores.
// But the keys and values of earlier positions never change (the mask stops
// them from seeing later tokens), so a decoder can keep them:
//
//   step      token at position t (one row) → logits [V]
//             per block: x [1, C] → LN₁ → qkv [1, 3C]; append kₜ, vₜ to the
//             block's cache K, V [t+1, C]; each head attends qₜ over K[0…t]:
//             aₜ = Σⱼ softmax_j(qₜ·kⱼ/√d) vⱼ; then projection, MLP, residuals.
//
// which is O(1) rows per token (plus O(t) for the one attention row).
//
// Context overflow. Learned positions stop at the context T. When a sequence
// outgrows it we slide the window by half a context at a time: with n tokens
// the model sees tokens[s..<n], s = 0 if n ≤ T, else the smallest multiple of
// ⌊T/2⌋ with n − s ≤ T. Sliding by one token each step would re-number every
// position and force a full recomputation per token; sliding by T/2 costs one
// refill of the cache (T/2 steps) every T/2 tokens, and each prediction still
// sees at least T/2 tokens of context. Both decoders follow the same rule,
// so they produce the same logits (tested).
//
// Thread safety. Decoding only reads the model's parameters; each call owns
// its cache. Several threads may generate from one model at once, as long as
// nobody trains it (changes its parameters) meanwhile.

import BackpropCore
import Backpropagation
import RecurrentNetworks

/// The keys and values of every block for positions 0..<count.
public struct KVCache<Scalar: TensorScalar> {
    /// keys[l], values[l]: [context, C] row-major; rows 0..<count are valid.
    var keys: [[Scalar]]
    var values: [[Scalar]]
    public internal(set) var count = 0
    let width: Int

    init(layers: Int, context: Int, width: Int) {
        keys = Array(repeating: [Scalar](repeating: 0, count: context * width), count: layers)
        values = keys
        self.width = width
    }

    mutating func reset() { count = 0 }
}

/// A model that a `WindowedDecoder` can feed: a KV cache it fills in one
/// batched pass (`prefill`) and extends one token at a time (`decodeStep`),
/// and a full forward pass over a window for decoding without a cache.
/// The GPT (here) and chapter 8's Llama conform.
public protocol WindowedDecoding {
    associatedtype Scalar: TensorScalar
    associatedtype DecodingCache
    /// Positions the model has embeddings (or tables) for.
    var contextLength: Int { get }
    /// Token ids are 0 ..< vocabularySize.
    var vocabularySize: Int { get }
    /// An empty cache (with no storage when `cached` is false).
    func makeDecodingCache(cached: Bool) -> DecodingCache
    /// Positions the cache holds.
    func positions(in cache: DecodingCache) -> Int
    /// Refills the cache with `window` (positions 0 ..< count); the logits [V] after its last token.
    func prefill(_ window: [Int], cache: inout DecodingCache) throws -> [Scalar]
    /// One token at the cache's next position; the logits [V] after it.
    func decodeStep(_ token: Int, cache: inout DecodingCache) throws -> [Scalar]
    /// The logits [V] after the last token of `window`, by a full forward pass.
    func lastLogits(recomputing window: [Int]) throws -> [Scalar]
}

/// Feeds tokens to a model one at a time and returns the next-token logits,
/// with the window rule of the file header (both decoders follow it, so
/// cached and recomputed logits agree).
public struct WindowedDecoder<Model: WindowedDecoding> {
    public let model: Model
    public let usesKVCache: Bool
    public internal(set) var tokens: [Int] = []
    /// The first token of the current window (the cache holds tokens[start...]).
    public internal(set) var start = 0
    public internal(set) var cache: Model.DecodingCache

    public init(model: Model, usesKVCache: Bool = true) {
        self.model = model
        self.usesKVCache = usesKVCache
        cache = model.makeDecodingCache(cached: usesKVCache)
    }

    /// The start of the window the model sees after `n` tokens (see the header).
    public static func windowStart(_ n: Int, context t: Int) -> Int {
        if n <= t { return 0 }
        let half = max(1, t / 2)
        return (n - t + half - 1) / half * half
    }

    func check(_ token: Int) throws {
        guard token >= 0 && token < model.vocabularySize else {
            throw TextError.tokenOutOfRange(token, vocabularySize: model.vocabularySize)
        }
    }

    /// Appends one token; returns the logits [V] for the token after it.
    public mutating func append(_ token: Int) throws -> [Model.Scalar] {
        try check(token)
        tokens.append(token)
        let n = tokens.count
        let s = Self.windowStart(n, context: model.contextLength)
        if !usesKVCache { return try model.lastLogits(recomputing: Array(tokens[s..<n])) }
        if s != start {       // the window slid: refill the cache from its new start
            start = s
            return try model.prefill(Array(tokens[s..<n]), cache: &cache)
        }
        return try model.decodeStep(token, cache: &cache)
    }

    /// Appends several tokens; returns the logits after the last one. With
    /// the cache, an empty cache or a slid window is filled by one batched
    /// pass over the window (`prefill`), not token by token.
    public mutating func append(contentsOf newTokens: [Int]) throws -> [Model.Scalar] {
        guard usesKVCache, !newTokens.isEmpty else {
            var logits: [Model.Scalar] = []
            for t in newTokens { logits = try append(t) }
            return logits
        }
        for t in newTokens { try check(t) }
        let n = tokens.count + newTokens.count, s = Self.windowStart(n, context: model.contextLength)
        if s != start || model.positions(in: cache) == 0 {
            tokens.append(contentsOf: newTokens)
            start = s
            return try model.prefill(Array(tokens[s..<n]), cache: &cache)
        }
        var logits: [Model.Scalar] = []
        for t in newTokens { logits = try append(t) }
        return logits
    }

    /// The generation loop every decoding model shares: read `prompt`, then
    /// `count` times pick a token from the logits with `sample`, hand it to
    /// `onToken` and append it (not after the last one, whose logits nobody
    /// reads). The tokens, in order.
    public mutating func generate(prompt: [Int], count: Int, sample: ([Model.Scalar]) -> Int,
                                  onToken: (Int) throws -> Void = { _ in }) throws -> [Int] {
        var logits = try append(contentsOf: prompt)
        var out: [Int] = []
        out.reserveCapacity(max(0, count))
        for i in 0..<max(0, count) {
            let next = sample(logits)
            out.append(next)
            try onToken(next)
            if i + 1 < count { logits = try append(next) }
        }
        return out
    }
}

/// The GPT's decoder.
public typealias GPTDecoder<Scalar: TensorScalar> = WindowedDecoder<GPT<Scalar>>

extension GPT: WindowedDecoding {
    public var contextLength: Int { config.context }
    public var vocabularySize: Int { config.vocabulary.count }
    public func makeDecodingCache(cached: Bool) -> KVCache<Scalar> {
        KVCache(layers: cached ? config.layers : 0, context: config.context, width: config.width)
    }
    public func positions(in cache: KVCache<Scalar>) -> Int { cache.count }
    public func lastLogits(recomputing window: [Int]) throws -> [Scalar] {
        let logits = try forward(window, batch: 1, length: window.count).logits    // [len, V]
        return Array(logits.scalars[((window.count - 1) * config.vocabulary.count)...])
    }
}

extension GPT {
    /// Fills the cache with `window` (positions 0..<window.count, at most the
    /// context) by one batched pass, and returns the logits [V] after its
    /// last token. The keys and values are each block's qkv product
    /// (columns C..<3C), so they are the numbers `decodeStep` would have
    /// stored up to rounding, computed by matrix products over all rows at
    /// once instead of one matrix-vector product per token: a refill after
    /// the window slides costs about as much as a few decoding steps, not
    /// T/2 of them. The pass is the forward pass without what only the
    /// other positions' logits need (`refill`, BatchedDecoding+Refill.swift),
    /// with the forward pass's numbers. A block whose attention was replaced (exercise 7.5)
    /// keeps no qkv of the library's kind; the window is then fed step by step.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func prefill(_ window: [Int], cache: inout KVCache<Scalar>) throws -> [Scalar] {
        precondition(!window.isEmpty && window.count <= config.context, "prefill: the window must fit the context")
        cache.reset()
        if blocks.contains(where: { $0.attention.replacement != nil }) {
            var logits: [Scalar] = []
            for t in window { logits = try decodeStep(t, cache: &cache) }
            return logits
        }
        var caches = [cache]
        cache = placeholderCache()                     // the array is the only owner while it is filled
        defer { cache = caches[0] }
        return try refill([window], caches: &caches)[0]
    }

    /// One token at position `cache.count` through the model, reading and
    /// extending the cache; returns logits [V].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func decodeStep(_ token: Int, cache: inout KVCache<Scalar>) throws -> [Scalar] {
        try decodeStep(token, cache: &cache, projections: LayerProjections(model: self))
    }

    /// `decodeStep` with the blocks' four products delegated to
    /// `projections` (DecodeProjections.swift), e.g. chapter 9's int8 weights.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func decodeStep(_ token: Int, cache: inout KVCache<Scalar>, projections: any DecodeProjections<Scalar>) throws -> [Scalar] {
        let c = config.width, position = cache.count, heads = config.heads, d = c / heads
        precondition(position < config.context, "decodeStep: the cache is full")
        // The library's own projections are called directly, specialised, not through the
        // existential (which cost 7% of a token: unspecialised generic code per product).
        let ownLayers = (projections as? LayerProjections).map { $0.model === self } ?? false
        func project(_ x: Tensor<Scalar>, _ l: Int, _ p: GPTProjection) throws -> Tensor<Scalar> {
            if ownLayers { return try RowProjection.apply(x, layer(p, block: l), backend: backend) }
            return try projections.project(x, block: l, p)
        }

        var x = try tokenEmbedding.forward(try Embedding.ids([token]), mode: .inference).output  // [1, C]
        for j in 0..<c { x.scalars[j] += positionEmbedding.value.scalars[position * c + j] }
        let scale = 1 / Scalar(d).squareRoot()
        var scores = [Scalar](repeating: 0, count: heads * (position + 1))  // one row per head
        for (l, block) in blocks.enumerated() {
            let n1 = try block.norm1.forward(x, mode: .inference).output                                   // [1, C]
            let qkv = try project(n1, l, .qkv).scalars  // [3C]
            for j in 0..<c {
                cache.keys[l][position * c + j] = qkv[c + j]
                cache.values[l][position * c + j] = qkv[2 * c + j]
            }
            var attended = [Scalar](repeating: 0, count: c)                               // [C]
            cache.keys[l].withUnsafeBufferPointer { kp in
                cache.values[l].withUnsafeBufferPointer { vp in
                    qkv.withUnsafeBufferPointer { q in
                        scores.withUnsafeMutableBufferPointer { sp in
                            attended.withUnsafeMutableBufferPointer { ap in
                                let rows = (q: q.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!)
                                if backend == .simd && d % Scalar.Vector.scalarCount == 0 {
                                    DecodeAttention.simd(rows, count: position + 1, width: c, heads: 0..<heads, headCount: heads,
                                                         scale: scale, scores: sp.baseAddress!, out: ap.baseAddress!)
                                } else {
                                    DecodeAttention.naive(rows, count: position + 1, width: c, heads: heads, scale: scale,
                                                          scores: sp.baseAddress!, out: ap.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
            let a = try project(try Tensor(shape: [1, c], scalars: attended), l, .attentionOutput)
            let u = try x.adding(a, backend: backend)
            let n2 = try block.norm2.forward(u, mode: .inference).output
            let g = try block.gelu.forward(try project(n2, l, .expand), mode: .inference).output
            x = try u.adding(try project(g, l, .contract), backend: backend)
        }
        cache.count += 1
        let h = try finalNorm.forward(x, mode: .inference).output
        if backend == .simd { return RowProjection.matvec(h.scalars, tokenEmbedding.weight.value.scalars, bias: nil) }  // [V] = E h
        return try Tensor.matmul(h, tokenEmbedding.weight.value, .nt, backend: backend).scalars  // [V]
    }

    /// The next-token logits after each prefix tokens[0…i] (for tests and figures).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func logitsAfterEachToken(_ tokens: [Int], useKVCache: Bool) throws -> [[Scalar]] {
        var decoder = GPTDecoder(model: self, usesKVCache: useKVCache)
        return try tokens.map { try decoder.append($0) }
    }

    /// `count` tokens sampled after `prompt`, calling `onToken` with each.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func generateTokens(
        prompt: [Int], count: Int, sampling: SamplingOptions, rng: inout SeededRandom, useKVCache: Bool = true,
        onToken: (Int) throws -> Void = { _ in }
    ) throws -> [Int] {
        guard !prompt.isEmpty else { throw TextError.emptyText("the prompt (as tokens)") }
        guard count >= 0 else { throw TrainingError.invalidOption(name: "length", value: "\(count)", reason: "must be ≥ 0") }
        var decoder = GPTDecoder(model: self, usesKVCache: useKVCache)
        return try decoder.generate(prompt: prompt, count: count,
                                    sample: { TokenSampler.sample($0, options: sampling, rng: &rng) }, onToken: onToken)
    }

    /// Text generated after `prompt` (an empty prompt starts from a newline,
    /// or token 0 if the vocabulary has none), with a per-call KV cache.
    /// Returns the continuation only; `onToken` receives each character.
    /// Safe to call from several threads at once (see the file header).
    /// - Throws: `TextError.unknownCharacter` for a prompt character outside
    ///   the vocabulary; whatever `onToken` throws.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func generate(
        prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
        onToken: (String) throws -> Void
    ) throws -> String {
        let vocabulary = config.vocabulary
        var start = try vocabulary.encode(prompt)
        if start.isEmpty { start = [(try? vocabulary.encode("\n"))?.first ?? 0] }
        let tokens = try generateTokens(prompt: start, count: maxTokens, sampling: sampling, rng: &rng) { t in
            try onToken(try vocabulary.decode([t]))
        }
        return try vocabulary.decode(tokens)
    }
}
