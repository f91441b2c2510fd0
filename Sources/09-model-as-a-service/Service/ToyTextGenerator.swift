// ToyTextGenerator: a deterministic stand-in for the chapter 6–7 language
// models, so the generate route, streaming and the benchmark can be tested
// without training one. It is a character bigram model with fixed logits:
//
//   z_j(prev) = 3 · cos(1.7 · j + 2.3 · prev)       over the alphabet "abcdefgh ."
//
// and samples each next character with the shared TokenSampler (so
// temperature, top-k and the seed act exactly as for the real models). Its
// state is the previous character, a local of each call: concurrent
// requests do not share state. `tokenDelay` makes each token take time (for
// tests of streaming and graceful shutdown, and to mimic a larger model).

import BackpropCore
import Foundation
import RecurrentNetworks

public struct ToyTextGenerator: TextGenerating {
    public static let alphabet = Array("abcdefgh .")
    public var tokenDelay: Double

    public init(tokenDelay: Double = 0) { self.tokenDelay = tokenDelay }

    public var info: ModelInfo {
        ModelInfo(kind: "toy-bigram", parameterCount: Self.alphabet.count * Self.alphabet.count,
                  config: [("alphabet", .string(String(Self.alphabet)))])
    }

    public func validate(prompt: String) throws {
        guard !prompt.isEmpty else { throw InferenceError.invalidPrompt("'prompt' is empty; send at least one character") }
        if let bad = prompt.first(where: { !Self.alphabet.contains($0) }) {
            throw InferenceError.invalidPrompt("prompt character '\(bad)' is not in the vocabulary \"\(String(Self.alphabet))\"")
        }
    }

    /// The logits of the next character after character index `previous`.
    public static func logits(after previous: Int) -> [Double] {
        (0..<alphabet.count).map { j in 3 * cos(1.7 * Double(j) + 2.3 * Double(previous)) }
    }

    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         onToken: (String) throws -> Void) throws -> String {
        try validate(prompt: prompt)
        var previous = Self.alphabet.firstIndex(of: prompt.last!)!
        var text = ""
        for _ in 0..<maxTokens {
            if tokenDelay > 0 { Thread.sleep(forTimeInterval: tokenDelay) }
            previous = TokenSampler.sample(Self.logits(after: previous), options: sampling, rng: &rng)
            let token = String(Self.alphabet[previous])
            text += token
            try onToken(token)
        }
        return text
    }
}
