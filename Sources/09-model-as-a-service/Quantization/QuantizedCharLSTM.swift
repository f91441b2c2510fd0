// QuantizedCharLSTM: chapter 6's char-LSTM stepping with int8 weights. Its
// three matrices (input-to-gates W_ih [4H, E], hidden-to-gates W_hh [4H, H],
// head [V, H]) become `QuantizedMatrix`es; the embedding table, the biases
// and the state (h, c) stay float32. One character is the LSTM's equations
// (LSTMCell.swift, gate order i, f, g, o):
//
//   a  = Ŵ_ih e_t + b_ih + Ŵ_hh h + b_hh               [4H]
//   i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o)
//   c′ = f ⊙ c + i ⊙ g;   h′ = o ⊙ tanh c′
//   logits = Ŵ_head h′ + b_head                        [V]
//
// The embedding stays float: reading row e_t is a lookup, not a product, so
// quantizing it would save bytes without saving time (and it is V·E, small).
// Only the LSTM cell is supported (the book's char-rnn default).

import BackpropCore
import Foundation
import RecurrentNetworks

/// A char-LSTM whose products use int8 weights.
public struct QuantizedCharLSTM: Sendable {
    public let model: CharRNN
    public let inputWeights: QuantizedMatrix, recurrentWeights: QuantizedMatrix, head: QuantizedMatrix
    let embedding: [Float], biasIH: [Float], biasHH: [Float], headBias: [Float]

    /// - Throws: `QuantizationError.unsupported` for a cell other than the LSTM.
    public init(_ model: CharRNN) throws {
        guard model.config.cell == .lstm else {
            throw QuantizationError.unsupported("int8 decoding is written for the char-LSTM, not a '\(model.config.cell.rawValue)' cell")
        }
        self.model = model
        let (e, h, v) = (model.config.embeddingSize, model.config.hiddenSize, model.vocabulary.count)
        inputWeights = try QuantizedMatrix(model.rnn.weightIH.value.scalars, rows: 4 * h, columns: e)
        recurrentWeights = try QuantizedMatrix(model.rnn.weightHH.value.scalars, rows: 4 * h, columns: h)
        head = try QuantizedMatrix(model.head.weight.value.scalars, rows: v, columns: h)
        embedding = model.embedding.weight.value.scalars
        (biasIH, biasHH, headBias) = (model.rnn.biasIH.value.scalars, model.rnn.biasHH.value.scalars, model.head.bias.value.scalars)
    }

    /// Bytes of the weights as used here (int8 matrices, the rest float32), and all in float32.
    public var weightBytes: Int {
        let m = [inputWeights, recurrentWeights, head]
        return m.reduce(0) { $0 + $1.byteCount } + 4 * (parameterCount - m.reduce(0) { $0 + $1.values.count })
    }
    public var floatWeightBytes: Int { 4 * parameterCount }
    var parameterCount: Int { model.parameters.reduce(0) { $0 + $1.value.count } }

    /// The recurrent state; zeros at the start of a text.
    public struct State: Sendable {
        public var h: [Float], c: [Float]
        public init(hidden: Int) { h = [Float](repeating: 0, count: hidden); c = h }
    }

    /// Reads one token; returns the logits [V] for the next one.
    public func step(_ token: Int, state: inout State) throws -> [Float] {
        guard token >= 0 && token < model.vocabulary.count else {
            throw TextError.tokenOutOfRange(token, vocabularySize: model.vocabulary.count)
        }
        let (e, h) = (model.config.embeddingSize, model.config.hiddenSize)
        let x = Array(embedding[(token * e)..<((token + 1) * e)])
        let p = inputWeights.multiply(x, bias: biasIH), r = recurrentWeights.multiply(state.h, bias: biasHH)
        func sigmoid(_ z: Float) -> Float { 1 / (1 + Foundation.exp(-z)) }
        for k in 0..<h {
            let i = sigmoid(p[k] + r[k]), f = sigmoid(p[h + k] + r[h + k])
            let g = Foundation.tanh(p[2 * h + k] + r[2 * h + k]), o = sigmoid(p[3 * h + k] + r[3 * h + k])
            state.c[k] = f * state.c[k] + i * g
            state.h[k] = o * Foundation.tanh(state.c[k])
        }
        return head.multiply(state.h, bias: headBias)
    }

    /// Continues `prompt` by `maxTokens` characters (as `CharRNN.generate`).
    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         onToken: (String) throws -> Void = { _ in }) throws -> String {
        let vocabulary = model.vocabulary
        var tokens = try vocabulary.encode(prompt)
        if tokens.isEmpty { tokens = [(try? vocabulary.encode("\n"))?.first ?? 0] }
        var state = State(hidden: model.config.hiddenSize)
        var logits: [Float] = []
        for t in tokens { logits = try step(t, state: &state) }
        var text = ""
        for _ in 0..<max(0, maxTokens) {
            let next = TokenSampler.sample(logits, options: sampling, rng: &rng)
            let piece = try vocabulary.decode([next])
            text += piece
            try onToken(piece)
            logits = try step(next, state: &state)
        }
        return text
    }
}

/// A quantized char-LSTM as a text generator ("char-rnn", quantization "int8").
public struct QuantizedCharLSTMGenerator: TextGenerating {
    public let model: QuantizedCharLSTM
    public let info: ModelInfo

    /// The model quantized; `info` is the float model's (CharRNNGenerator's), with its quantization added.
    public init(model: CharRNN, info: ModelInfo? = nil) throws {
        self.model = try QuantizedCharLSTM(model)
        var info = info ?? CharRNNGenerator(model: model).info
        info.quantization = ModelInfo.Quantization(scheme: "int8", weightBytes: self.model.weightBytes,
                                                   floatWeightBytes: self.model.floatWeightBytes)
        self.info = info
    }

    public func validate(prompt: String) throws {
        try PromptValidation.validate(prompt, vocabulary: model.model.vocabulary)
    }

    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions, rng: inout SeededRandom,
                         onToken: (String) throws -> Void) throws -> String {
        try validate(prompt: prompt)
        return try model.generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling, rng: &rng, onToken: onToken)
    }
}
