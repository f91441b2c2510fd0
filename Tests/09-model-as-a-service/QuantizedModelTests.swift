// The int8 decoders of the GPT and the char-LSTM against their reference:
// the float model whose matrices are replaced by the dequantized ones
// (s_j q_ji), which computes the same function up to float rounding. The
// GPT's sequence outgrows its context, so the window refills (token by
// token through the hook) are compared too. Also: the bytes the weights
// take, `--quantize` on models without an int8 decoder, and /v1/model.

import BackpropCore
import Foundation
import LinearModels
import Storage
import RecurrentNetworks
import Testing
import Transformer
@testable import ModelAsAService

@Suite struct QuantizedModelTests {
    static let vocabulary = try! CharacterVocabulary(text: "\nabcdefgh .,!")
    static let config = try! GPTConfig(vocabulary: vocabulary, context: 8, layers: 2, heads: 2, width: 16)

    static func close(_ a: [Float], _ b: [Float], _ tolerance: Float = 2e-5) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * (1 + abs($1)) }
    }

    @Test("int8 GPT logits = the float GPT with dequantized weights (through two window refills); naive twin too")
    func gptMatchesDequantizedReference() throws {
        let model = try GPT<Float>(config: Self.config, seed: 921)
        let reference = try GPT<Float>(config: Self.config, seed: 921)
        let quantized = try QuantizedGPT(model)
        for l in 0..<Self.config.layers {
            for (p, m) in zip(GPTProjection.allCases, quantized.projections.matrices[l]) {
                let layer = reference.layer(p, block: l)
                #expect(m.rows == layer.outputs && m.columns == layer.inputs)
                layer.weight.value = try Tensor(shape: [m.rows, m.columns], scalars: m.dequantized())
            }
        }
        var rng = SeededRandom(seed: 922)
        let tokens = (0..<21).map { _ in Int(rng.uniform(0, Double(Self.vocabulary.count))) % Self.vocabulary.count }
        var naive = quantized.projections
        naive.naive = true
        var (a, b) = (WindowedDecoder(model: quantized), GPTDecoder(model: reference))
        var cache = model.makeDecodingCache(cached: true), n = 0
        for t in tokens {
            let (got, want) = (try a.append(t), try b.append(t))
            #expect(Self.close(got, want), "after \(n + 1) tokens")
            if n < Self.config.context {     // the naive twin over the first window
                #expect(Self.close(try model.decodeStep(t, cache: &cache, projections: naive), got))
            }
            n += 1
        }
        // a one-token window (a one-character prompt) goes through the batched prefill too, in the hook's float and int8 versions
        var (one, oneReference) = (WindowedDecoder(model: quantized), GPTDecoder(model: reference))
        #expect(Self.close(try one.append(contentsOf: [tokens[0]]), try oneReference.append(contentsOf: [tokens[0]])))
        var floatCache = reference.makeDecodingCache(cached: true)
        #expect(Self.close(try reference.prefill([tokens[0]], cache: &floatCache, projections: GPT<Float>.LayerProjections(model: reference)),
                           try reference.logitsAfterEachToken([tokens[0]], useKVCache: true)[0]))
        // and the int8 weights do change the logits (the reference is not the float model)
        var f = GPTDecoder(model: model), q = WindowedDecoder(model: quantized)
        #expect(try f.append(contentsOf: tokens) != (try q.append(contentsOf: tokens)))
    }

    @Test("releasing the float matrices after quantizing leaves the same int8 logits and no float weights in the blocks")
    func releasedFloatWeights() throws {
        let kept = try QuantizedGPT(try GPT<Float>(config: Self.config, seed: 926))
        let released = try QuantizedGPT(try GPT<Float>(config: Self.config, seed: 926), releasingFloatWeights: true)
        #expect(released.weightBytes == kept.weightBytes && released.floatWeightBytes == kept.floatWeightBytes)
        for l in 0..<Self.config.layers {
            for p in GPTProjection.allCases {
                #expect(released.model.layer(p, block: l).weight.value.count == 0 && released.model.layer(p, block: l).weight.grad.count == 0)
            }
        }
        let tokens = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3]
        var (a, b) = (WindowedDecoder(model: kept), WindowedDecoder(model: released))
        #expect(try a.append(contentsOf: tokens) == (try b.append(contentsOf: tokens)))
        for t in tokens { #expect(try a.append(t) == (try b.append(t))) }
    }

    @Test("the bytes of an int8 GPT: 12·C²·L int8 weights, 9·C·L float scales, the rest float32")
    func gptBytes() throws {
        let model = try GPT<Float>(config: Self.config, seed: 923)
        let (c, l) = (Self.config.width, Self.config.layers)
        let q = 12 * c * c * l, scales = (3 * c + c + 4 * c + c) * l
        let g = try QuantizedGPTGenerator(model: model)
        #expect(g.model.weightBytes == q + 4 * scales + 4 * (model.parameterCount - q))
        #expect(g.info.quantization?.floatWeightBytes == 4 * model.parameterCount)
    }

    @Test("int8 char-LSTM logits = the float LSTM with dequantized weights, step by step; only the LSTM cell")
    func lstmMatchesDequantizedReference() throws {
        var rng = SeededRandom(seed: 924)
        let model = try CharRNN(CharRNNConfig(cell: .lstm, embeddingSize: 6, hiddenSize: 24), vocabulary: Self.vocabulary, rng: &rng)
        rng = SeededRandom(seed: 924)
        let reference = try CharRNN(CharRNNConfig(cell: .lstm, embeddingSize: 6, hiddenSize: 24), vocabulary: Self.vocabulary, rng: &rng)
        let quantized = try QuantizedCharLSTM(model)
        for (p, m) in [(reference.rnn.weightIH, quantized.inputWeights), (reference.rnn.weightHH, quantized.recurrentWeights),
                       (reference.head.weight, quantized.head)] {
            p.value = try Tensor(shape: [m.rows, m.columns], scalars: m.dequantized())
        }
        var floatState: CharRNN.CarriedState?
        var state = QuantizedCharLSTM.State(hidden: 24)
        for t in try Self.vocabulary.encode("abc, def! gh\nha") {
            #expect(Self.close(try quantized.step(t, state: &state), try reference.lastLogits([t], state: &floatState)))
        }
        let gru = try CharRNN(CharRNNConfig(cell: .gru, embeddingSize: 4, hiddenSize: 8), vocabulary: Self.vocabulary, rng: &rng)
        #expect(throws: QuantizationError.self) { try QuantizedCharLSTM(gru) }
    }

    @Test("held-out nats: the definition on a hand-made model of two logits")
    func heldOutNats() throws {
        // logits always [0, log 3]: p(1) = 3/4, p(0) = 1/4; text 0 1 1 0 predicts 1, 1, 0.
        let nats = try HeldOutLoss.nats([0, 1, 1, 0]) { _ in [0, Float(Foundation.log(3.0))] }
        #expect(abs(nats - (2 * Foundation.log(4.0 / 3) + Foundation.log(4.0)) / 3) < 1e-6)
    }

    @Test("--quantize int8: text models gain a quantization entry in /v1/model; other models are refused")
    func weightFormat() throws {
        let gpt = try GPT<Float>(config: Self.config, seed: 925)
        let loaded = try WeightFormat.int8.apply(to: .generator(GPTGenerator(model: gpt)))
        guard case .generator(let g) = loaded else { Issue.record("not a generator"); return }
        #expect(g is QuantizedGPTGenerator && g.info.kind == "gpt")
        let server = try ModelServer(model: loaded)
        guard case .object(let fields) = server.modelDescription(),
              case .object(let q)? = fields.first(where: { $0.0 == "quantization" })?.1 else {
            Issue.record("no quantization in /v1/model"); return
        }
        #expect(q.first?.1 == .string("int8"))
        #expect(try WeightFormat.float32.apply(to: .generator(GPTGenerator(model: gpt))).kind == "gpt")
        let regressor = LoadedModel.regressor(LinearRegressor(model: try LinearRegression<Float>(features: 1)))
        #expect(throws: QuantizationError.self) { try WeightFormat.int8.apply(to: regressor) }
    }
}
