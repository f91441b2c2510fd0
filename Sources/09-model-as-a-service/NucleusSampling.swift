// Nucleus (top-p) sampling for the served text models, which chapter 6's
// sampler (temperature, top-k) does not do, and the per-token access to a
// model's logits it needs.
//
//   p = softmax(z / T)  (top-k applied, as TokenSampler.probabilities)
//   sort p descending; keep the smallest prefix whose mass reaches top_p
//   (at least the most likely token); renormalise; draw with one uniform.
//
// Holtzman et al. (2020), "The Curious Case of Neural Text Degeneration".
// With top_p = 1 the service calls the model's own `generate`, so an answer
// is still exactly what the model gives for the same seed; only top_p < 1
// goes through `LogitStepping`, a loop over the model's next-token logits.

import BackpropCore
import RecurrentNetworks
import Transformer

public enum NucleusSampler {
    /// The probabilities of temperature and top-k sampling, cut to the nucleus of mass `topP` and renormalised.
    public static func probabilities(_ logits: [Float], options: SamplingOptions, topP: Double) -> [Double] {
        var p = TokenSampler.probabilities(logits, options: options)
        guard topP < 1 else { return p }
        let order = p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }
        var mass = 0.0
        var kept = 0
        for i in order {
            mass += p[i]
            kept += 1
            if mass >= topP { break }
        }
        for i in order[kept...] { p[i] = 0 }
        for i in p.indices { p[i] /= mass }
        return p
    }

    /// One token drawn from the nucleus with one uniform of `rng`.
    public static func sample(_ logits: [Float], options: SamplingOptions, topP: Double, rng: inout SeededRandom) -> Int {
        let p = probabilities(logits, options: options, topP: topP)
        var u = rng.uniform()
        for (i, pi) in p.enumerated() where pi > 0 {
            if u < pi { return i }
            u -= pi
        }
        return p.lastIndex { $0 > 0 }!
    }
}

/// A text model that lets the caller choose each next token from its logits.
public protocol LogitStepping {
    /// Continues `prompt` by up to `maxTokens` tokens, each chosen by
    /// `choose(logits)`; `onToken` receives each token's text.
    func generate(prompt: String, maxTokens: Int, choose: ([Float]) -> Int, onToken: (String) throws -> Void) throws -> String
}

extension CharRNNGenerator: LogitStepping {
    /// As `CharRNN.generate`, the choice of token left to `choose`.
    public func generate(prompt: String, maxTokens: Int, choose: ([Float]) -> Int, onToken: (String) throws -> Void) throws -> String {
        try validate(prompt: prompt)
        let m = model
        var tokens = try m.vocabulary.encode(prompt)
        if tokens.isEmpty { tokens = [(try? m.vocabulary.encode("\n"))?.first ?? 0] }
        var h: [Float]? = nil, c: [Float]? = nil
        func logits(_ tokens: [Int]) throws -> [Float] {
            let e = try m.embedding.forward(try Embedding.ids(tokens), mode: .inference).output
            let cache = try m.rnn.forwardTimeMajor(e.scalars, batch: 1, h0: h, c0: c)
            (h, c) = (cache.finalH, cache.finalC)
            return try m.head(Tensor(shape: [1, m.config.hiddenSize], scalars: cache.finalH)).scalars
        }
        var z = try logits(tokens)
        var text = ""
        for _ in 0..<max(0, maxTokens) {
            let next = choose(z)
            let piece = try m.vocabulary.decode([next])
            text += piece
            try onToken(piece)
            z = try logits([next])
        }
        return text
    }
}

extension GPTGenerator: LogitStepping {
    /// As `GPT.generate` (with the KV cache), the choice of token left to `choose`.
    public func generate(prompt: String, maxTokens: Int, choose: ([Float]) -> Int, onToken: (String) throws -> Void) throws -> String {
        try validate(prompt: prompt)
        let vocabulary = model.config.vocabulary
        var start = try vocabulary.encode(prompt)
        if start.isEmpty { start = [(try? vocabulary.encode("\n"))?.first ?? 0] }
        var decoder = GPTDecoder(model: model, usesKVCache: usesKVCache)
        var z = try decoder.append(contentsOf: start)
        var text = ""
        for i in 0..<max(0, maxTokens) {
            let next = choose(z)
            let piece = try vocabulary.decode([next])
            text += piece
            try onToken(piece)
            if i + 1 < maxTokens { z = try decoder.append(next) }
        }
        return text
    }
}

extension ToyTextGenerator: LogitStepping {
    public func generate(prompt: String, maxTokens: Int, choose: ([Float]) -> Int, onToken: (String) throws -> Void) throws -> String {
        try validate(prompt: prompt)
        var previous = Self.alphabet.firstIndex(of: prompt.last!)!
        var text = ""
        for _ in 0..<maxTokens {
            previous = choose(Self.logits(after: previous).map { Float($0) })
            let token = String(Self.alphabet[previous])
            text += token
            try onToken(token)
        }
        return text
    }
}

/// Stop sequences over a stream of tokens: the text given out never contains
/// a stop sequence or anything after it. Text that could be the start of a
/// stop sequence is held back until the next tokens decide (so a client
/// never receives a piece it would have to take back).
public struct StopSequenceFilter {
    public let stops: [String]
    private var pending = ""
    /// True once a stop sequence was seen: generation should end.
    public private(set) var stopped = false

    public init(_ stops: [String]) { self.stops = stops.filter { !$0.isEmpty } }

    /// Takes one token; returns the text that can be given out now.
    public mutating func feed(_ token: String) -> String {
        guard !stopped else { return "" }
        pending += token
        if let cut = stops.compactMap({ pending.range(of: $0)?.lowerBound }).min() {
            stopped = true
            defer { pending = "" }
            return String(pending[..<cut])
        }
        // Hold back the longest suffix of `pending` that is a proper prefix of some stop.
        var hold = 0
        for stop in stops {
            for n in stride(from: min(stop.count - 1, pending.count), to: 0, by: -1) where n > hold {
                if pending.hasSuffix(stop.prefix(n)) { hold = n; break }
            }
        }
        let out = String(pending.dropLast(hold))
        pending = String(pending.suffix(hold))
        return out
    }

    /// What is still held back when generation ends without a stop.
    public mutating func flush() -> String {
        defer { pending = "" }
        return stopped ? "" : pending
    }
}
