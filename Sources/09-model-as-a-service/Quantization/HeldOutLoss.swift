// HeldOutLoss: how well a text model predicts text it was not trained on,
// in nats per character: the mean of −log p(next | prefix) over the text,
// with each model fed one token at a time exactly as when it generates (the
// GPT through its window rule, the LSTM carrying its state). The same
// measurement for float32 and int8 weights gives the loss that quantization
// costs (the trade-off table of the chapter and of `backprop bench quantize`).

import BackpropCore
import Foundation
import RecurrentNetworks
import Transformer

public enum HeldOutLoss {
    /// Mean nats per token predicting tokens[1...]: `read(t)` consumes token
    /// t and returns the logits for the token after it.
    public static func nats(_ tokens: [Int], read: (Int) throws -> [Float]) throws -> Double {
        guard tokens.count >= 2 else { throw TextError.emptyText("the held-out text (at least two tokens)") }
        var total = 0.0
        for k in 0..<(tokens.count - 1) {
            let logits = try read(tokens[k]).map(Double.init)
            let m = logits.max()!
            let logZ = m + Foundation.log(logits.reduce(0) { $0 + Foundation.exp($1 - m) })
            total += logZ - logits[tokens[k + 1]]
        }
        return total / Double(tokens.count - 1)
    }

    /// A windowed decoder (the float GPT, or the int8 `QuantizedGPT`) on `tokens`.
    public static func nats<M: WindowedDecoding>(_ model: M, _ tokens: [Int]) throws -> Double where M.Scalar == Float {
        var decoder = WindowedDecoder(model: model)
        return try nats(tokens) { try decoder.append($0) }
    }

    /// The float char-RNN on `tokens`, from a zero state.
    public static func nats(_ model: CharRNN, _ tokens: [Int]) throws -> Double {
        var state: CharRNN.CarriedState?
        return try nats(tokens) { try model.lastLogits([$0], state: &state) }
    }

    /// The int8 char-LSTM on `tokens`, from a zero state.
    public static func nats(_ model: QuantizedCharLSTM, _ tokens: [Int]) throws -> Double {
        var state = QuantizedCharLSTM.State(hidden: model.model.config.hiddenSize)
        return try nats(tokens) { try model.step($0, state: &state) }
    }
}
