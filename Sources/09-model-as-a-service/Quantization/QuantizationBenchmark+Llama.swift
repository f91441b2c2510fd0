// The Llama's rows of the int8 trade-off: `backprop bench quantize` (an
// untrained Llama of chapter 8's default sizes, V = 513 with a BPE of 512
// trained on tinyshakespeare's training part) and `backprop quantize --model
// llama.ckpt` (a trained one). Weight bytes, greedy generation speed with
// float32 and int8 runs alternating, and the loss on held-out text: the
// start of tinyshakespeare's test part, encoded by the model's tokenizer and
// scored one token at a time as when it generates, in nats per token and in
// bits per character (the nats of all predicted tokens over the characters
// they spell, as chapter 8 reports its models).

import BackpropCore
import Datasets
import Foundation
import Storage
import TokensAndTheModernLLM

extension QuantizationBenchmark {
    /// float32 and int8 for `model`: bytes, tokens/s of `count` greedy tokens after a newline, held-out loss on `text`.
    public static func tradeOff(llama model: Llama<Float>, tokenizer: any TextTokenizer, heldOutText text: String,
                                count: Int = 512, runs: Int = 5) throws -> [TradeOff] {
        let tokens = tokenizer.encode(text)
        guard tokens.count >= 2 else { throw QuantizationError.unsupported("the held-out text is under two tokens of the llama's tokenizer") }
        let characters = String(decoding: try tokenizer.decodeBytes(Array(tokens.dropFirst())), as: UTF8.self).count
        let perToken = Double(characters) / Double(tokens.count - 1)
        let q = try QuantizedLlama(model)
        var prompt = tokenizer.encode("\n")
        if prompt.isEmpty { prompt = [0] }
        let greedy = try LlamaSampling(.greedy)
        let t = try interleaved(runs: runs, [
            { var r = SeededRandom(seed: 3); _ = try model.generateTokens(prompt: prompt, count: count, sampling: greedy, rng: &r) },
            { var r = SeededRandom(seed: 3); _ = try q.generateTokens(prompt: prompt, count: count, sampling: greedy, rng: &r) }])
        return [TradeOff(kind: "llama", format: "float32", weightBytes: q.floatWeightBytes, tokensPerSecond: Double(count) / t[0].min()!,
                         spread: spread(t[0]), heldOutNats: try HeldOutLoss.nats(model, tokens), unit: "token", charactersPerToken: perToken),
                TradeOff(kind: "llama", format: "int8", weightBytes: q.weightBytes, tokensPerSecond: Double(count) / t[1].min()!,
                         spread: spread(t[1]), heldOutNats: try HeldOutLoss.nats(q, tokens), unit: "token", charactersPerToken: perToken)]
    }

    /// A llama checkpoint's trade-off on the first `characters` of tinyshakespeare's test part.
    /// - Throws: `QuantizationError.unsupported` for a model that records no tokenizer.
    public static func tradeOff(llama checkpoint: Checkpoint, heldOutCharacters characters: Int, count: Int = 512, runs: Int = 5) throws -> [TradeOff] {
        let model = try Llama<Float>(checkpoint: checkpoint)
        guard let recorded = model.tokenizer else {
            throw QuantizationError.unsupported("the llama in \(checkpoint.path) records no tokenizer, so it cannot read the held-out text")
        }
        let test = TokenCorpus.split(try BundledData.shakespeare()).test
        return try tradeOff(llama: model, tokenizer: try recorded.make(), heldOutText: String(test.prefix(characters)), count: count, runs: runs)
    }

    /// `bench quantize`'s Llama rows: weight bytes, generation tokens/s and held-out loss, float32 and int8, of an
    /// untrained Llama of chapter 8's sizes (seed 1) with a BPE of 512 trained on the training part.
    static func llamaRows(quick: Bool, count: Int, runs: Int) throws -> [BenchRow] {
        let parts = TokenCorpus.split(try BundledData.shakespeare())
        let bpe = try BPETrainer.train(parts.train, options: BPETrainingOptions(vocabularySize: 512)).0
        let tokenizer = try LlamaTokenizer.bpe(bpe).make()
        let model = try Llama<Float>(config: try LlamaConfig(vocabularySize: tokenizer.vocabularySize), seed: 1)
        let text = String(parts.test.prefix(quick ? 300 : 3000))
        let rows = try tradeOff(llama: model, tokenizer: tokenizer, heldOutText: text, count: count, runs: runs)
        let shape = "L4 H4/2 C128 T64 V\(tokenizer.vocabularySize), \(count) tokens greedy"
        // A window refill (64 tokens in one pass): the float forward pass against the int8 hook's.
        let q = try QuantizedLlama(model), window = (0..<64).map { ($0 * 37) % tokenizer.vocabularySize }
        var (fc, qc) = (model.makeDecodingCache(cached: true), q.makeDecodingCache(cached: true))
        let refills = quick ? 2 : 20
        let pt = try interleaved(runs: runs, [{ for _ in 0..<refills { _ = try model.prefill(window, cache: &fc) } },
                                              { for _ in 0..<refills { _ = try q.prefill(window, cache: &qc) } }])
        let prefill = ["float32", "int8"].enumerated().map { k, variant in
            BenchRow(kernel: "llama prefill", shape: "L4 H4/2 C128, 64-token window, spread \(Int((spread(pt[k]) * 100).rounded()))%",
                     variant: variant, msPerStep: pt[k].min()! / Double(refills) * 1000, vsNaive: pt[0].min()! / pt[k].min()!)
        }
        return prefill + rows.map { r in
            BenchRow(kernel: "llama generate", shape: shape + String(format: ", %d weight bytes, held-out %.4f nats/token %.4f bits/char, spread %.0f%%",
                                                                   r.weightBytes, r.heldOutNats, r.bitsPerCharacter, r.spread * 100),
                     variant: r.format, msPerStep: 1000 / r.tokensPerSecond, vsNaive: r.tokensPerSecond / rows[0].tokensPerSecond,
                     tokensPerSecond: r.tokensPerSecond)
        }
    }
}
