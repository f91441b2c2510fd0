// Nucleus (top-p) sampling for the served text models: chapter 8's
// `NucleusSampler` (temperature and top-k as chapter 6's sampler, then the
// smallest most-probable set whose mass reaches top_p, renormalised; Holtzman
// et al. 2020), applied through `LogitStepping`, a loop over each model's
// next-token logits. With top_p = 1 the service calls the model's own
// `generate`, so an answer is still exactly what the model gives for the seed.

import BackpropCore
import RecurrentNetworks
import Transformer
import TokensAndTheModernLLM

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
        return try decoder.text(after: start, count: maxTokens, choose: choose, decode: vocabulary.decode, onToken: onToken)
    }
}

extension LlamaGenerator: LogitStepping {
    /// As `Llama.generateTokens` (with its cache), the choice of token left to `choose`.
    public func generate(prompt: String, maxTokens: Int, choose: ([Float]) -> Int, onToken: (String) throws -> Void) throws -> String {
        var ids = tokenizer.encode(prompt)
        if ids.isEmpty { ids = tokenizer.encode("\n") }
        var decoder = LlamaDecoder(model: model, usesKVCache: usesKVCache)
        return try decoder.text(after: ids, count: maxTokens, choose: choose, decode: tokenizer.decode, onToken: onToken)
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

extension WindowedDecoder {
    /// The `LogitStepping` loop: `count` tokens after `ids`, each picked from
    /// the logits by `choose`, decoded to text piece by piece and handed to
    /// `onToken`; the whole text.
    mutating func text(after ids: [Int], count: Int, choose: ([Model.Scalar]) -> Int, decode: ([Int]) throws -> String,
                       onToken: (String) throws -> Void) throws -> String {
        var text = ""
        _ = try generate(prompt: ids, count: count, sample: choose) { next in
            let piece = try decode([next])
            text += piece
            try onToken(piece)
        }
        return text
    }
}
