// WeightFormat: `--quantize int8` for `backprop serve` and `backprop
// generate`: the text models the registry loaded, switched to their int8
// decoders (QuantizedGPT, QuantizedCharLSTM, QuantizedLlama). Other models
// keep float32.

import BackpropCore
import Transformer
import TokensAndTheModernLLM

/// How a served model stores its weights.
public enum WeightFormat: String, Sendable, CaseIterable {
    case float32, int8

    /// - Throws: `QuantizationError.unknownFormat` naming the known ones.
    public init(parsing text: String) throws {
        guard let format = WeightFormat(rawValue: text) else {
            throw QuantizationError.unknownFormat(text, known: WeightFormat.allCases.map(\.rawValue))
        }
        self = format
    }

    /// `model` with its weights in this format. With `releasingFloatWeights`
    /// (a model loaded only to be served) the GPT's and Llama's float matrices are dropped
    /// once quantized (the Llama's and its embedding too), so the process holds the
    /// int8 copy alone.
    /// - Throws: `QuantizationError.unsupported` for a model without an int8 decoder.
    public func apply(to model: LoadedModel, releasingFloatWeights: Bool = false) throws -> LoadedModel {
        guard self == .int8 else { return model }
        switch model {
        case .generator(let g as GPTGenerator):
            return .generator(try QuantizedGPTGenerator(model: g.model, info: g.info, releasingFloatWeights: releasingFloatWeights))
        case .generator(let g as CharRNNGenerator):
            return .generator(try QuantizedCharLSTMGenerator(model: g.model, info: g.info))
        case .generator(let g as LlamaGenerator):
            guard g.usesKVCache else { throw QuantizationError.unsupported("the int8 llama decodes with the KV cache; drop --no-cache") }
            return .generator(try QuantizedLlamaGenerator(g, releasingFloatWeights: releasingFloatWeights))
        default:
            throw QuantizationError.unsupported("--quantize int8 applies to the GPT, the char-LSTM and the llama; "
                                                + "this checkpoint holds a '\(model.kind)' model")
        }
    }
}
