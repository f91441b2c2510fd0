// Sampling the next token: temperature and top-k (chapter 6's sampler), and
// top-p, "nucleus" sampling (Holtzman et al., 2020, "The Curious Case of
// Neural Text Degeneration").
//
//   p = softmax(z/T), restricted to the k largest logits and renormalised (chapter 6)
//   nucleus: sort p descending; keep the smallest prefix S whose total
//            reaches the threshold, Σ_{i∈S} pᵢ ≥ top-p; zero the rest and
//            renormalise: p′ᵢ = pᵢ / Σ_{j∈S} pⱼ for i ∈ S, else 0
//
// The order is Hugging Face's (temperature, then top-k, then top-p). Top-k
// keeps a fixed number of candidates however flat or peaked the
// distribution; top-p keeps few when the model is sure and many when it is
// not. Ties in p are broken by the smaller id (deterministic); T = 0 is
// greedy whatever the other settings; top-p = 1 keeps everything.

import BackpropCore
import Backpropagation
import RecurrentNetworks

/// Temperature, top-k and top-p.
public struct LlamaSampling: Sendable, Equatable {
    public let temperature: Double
    public let topK: Int?
    /// The nucleus' mass, in (0, 1]; nil keeps every candidate.
    public let topP: Double?

    /// - Throws: `TrainingError.invalidOption` for a negative or infinite
    ///   temperature, top-k below 1, or top-p outside (0, 1].
    public init(temperature: Double = 1, topK: Int? = nil, topP: Double? = nil) throws {
        _ = try SamplingOptions(temperature: temperature, topK: topK)
        if let p = topP, !(p > 0 && p <= 1) {
            throw TrainingError.invalidOption(name: "top-p", value: "\(p)", reason: "must be in (0, 1]")
        }
        (self.temperature, self.topK, self.topP) = (temperature, topK, topP)
    }

    /// Chapter 6's options with a nucleus.
    public init(_ options: SamplingOptions, topP: Double? = nil) throws {
        try self.init(temperature: options.temperature, topK: options.topK, topP: topP)
    }

    public static let greedy = try! LlamaSampling(temperature: 0)

    /// Temperature and top-k, as chapter 6's sampler takes them.
    var base: SamplingOptions { try! SamplingOptions(temperature: temperature, topK: topK) }
}

public enum NucleusSampler {
    /// The smallest set of ids, most probable first (ties: smaller id first),
    /// whose probabilities sum to at least `threshold`.
    public static func nucleus(_ p: [Double], threshold: Double) -> [Int] {
        let order = p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }
        var kept: [Int] = [], total = 0.0
        for i in order where p[i] > 0 {
            kept.append(i)
            total += p[i]
            if total >= threshold { break }
        }
        return kept
    }

    /// The probabilities sampling uses: chapter 6's (temperature, top-k), then the nucleus, renormalised.
    public static func probabilities<S: BinaryFloatingPoint>(_ logits: [S], options: LlamaSampling) -> [Double] {
        var p = TokenSampler.probabilities(logits, options: options.base)
        guard options.temperature > 0, let top = options.topP, top < 1 else { return p }
        let kept = nucleus(p, threshold: top)
        let total = kept.reduce(0.0) { $0 + p[$1] }
        var q = [Double](repeating: 0, count: p.count)
        for i in kept { q[i] = p[i] / total }
        p = q
        return p
    }

    /// One token drawn from `logits` with `rng` (inverse CDF over the ids in order, as chapter 6).
    public static func sample<S: BinaryFloatingPoint>(_ logits: [S], options: LlamaSampling, rng: inout SeededRandom) -> Int {
        let p = probabilities(logits, options: options)
        var u = rng.uniform()
        for (i, pi) in p.enumerated() where pi > 0 {
            if u < pi { return i }
            u -= pi
        }
        return p.lastIndex { $0 > 0 }!
    }
}

extension Llama {
    /// `count` tokens sampled after `prompt` (prefilled in one pass), calling
    /// `onToken` with each. Safe from several threads at once while nobody
    /// trains the model (each call owns its decoder and cache).
    public func generateTokens(prompt: [Int], count: Int, sampling: LlamaSampling, rng: inout SeededRandom, useKVCache: Bool = true,
                               onToken: (Int) throws -> Void = { _ in }) throws -> [Int] {
        guard !prompt.isEmpty else { throw TextError.emptyText("the prompt (as tokens)") }
        guard count >= 0 else { throw TrainingError.invalidOption(name: "length", value: "\(count)", reason: "must be ≥ 0") }
        var decoder = LlamaDecoder(model: self, usesKVCache: useKVCache)
        return try decoder.generate(prompt: prompt, count: count,
                                    sample: { NucleusSampler.sample($0, options: sampling, rng: &rng) }, onToken: onToken)
    }
}
