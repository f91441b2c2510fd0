// LoRA on the Llama's attention: adapters on the chosen projections of
// every block (q and v by default, as the LoRA paper's GPT-3 runs; k and o
// on request), the base weights frozen (only the adapters are given to the
// optimizer and clipped, and the backward pass computes no gradient for
// any base weight: `freezesBase`, FrozenWeights.swift), and merging for serving.
//
// Trainable scalars: L · Σ_targets r·(in + out); for q and v of the default
// model (C = 128, H_kv·d = 64, r = 4, L = 4): 4·(4·256 + 4·192) = 7,168 of
// 0.79 M, 0.9%. AdamW keeps two moments per trainable scalar, so its state
// shrinks by the same factor.

import BackpropCore
import Backpropagation

/// The attention projections an adapter can sit on (Hugging Face's names).
public enum LoRATarget: String, CaseIterable, Sendable, Hashable {
    case query = "q_proj", key = "k_proj", value = "v_proj", output = "o_proj"
}

extension Llama {
    /// Adds a fresh adapter (B = 0: the model's function is unchanged) to
    /// each target projection of every block, and freezes the base
    /// (`freezesBase`: backward computes only input gradients below the adapters).
    /// - Throws: `TrainingError.invalidOption` for a bad rank or α, or a block that already has one.
    public func addLoRA(rank: Int, alpha: Double, targets: [LoRATarget] = [.query, .value], seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        for block in blocks {
            let attention = block.attention
            for target in targets {
                guard attention.adapters[target] == nil else {
                    throw TrainingError.invalidOption(name: "LoRA target", value: target.rawValue, reason: "already has an adapter")
                }
                let base = Self.projection(attention, target)
                attention.adapters[target] = try LoRAAdapter(inputs: base.inputs, outputs: base.outputs, rank: rank, alpha: alpha,
                                                             rng: &rng, backend: backend)
            }
        }
        freezesBase = true
    }

    static func projection(_ a: GroupedQueryAttention<Scalar>, _ target: LoRATarget) -> Linear<Scalar> {
        switch target {
        case .query: return a.query
        case .key: return a.key
        case .value: return a.value
        case .output: return a.output
        }
    }

    /// Every adapter parameter, PEFT's names ("model.layers.0.self_attn.q_proj.lora_A.weight").
    public var loraParameters: [(name: String, parameter: Parameter<Scalar>)] {
        var out: [(name: String, parameter: Parameter<Scalar>)] = []
        for (l, block) in blocks.enumerated() {
            for target in LoRATarget.allCases {
                guard let adapter = block.attention.adapters[target] else { continue }
                out += adapter.namedParameters.map { (name: "model.layers.\(l).self_attn.\(target.rawValue).\($0.0)", parameter: $0.1) }
            }
        }
        return out
    }

    /// Folds every adapter into its projection (W ← W + s·B A) and removes
    /// it: the same function, served by the plain model (and saved as one),
    /// whose weights are trainable again.
    public func mergeLoRA() throws {
        for block in blocks {
            let attention = block.attention
            for (target, adapter) in attention.adapters {
                let w = Self.projection(attention, target).weight
                w.value = try w.value.adding(try adapter.update(), backend: backend)
            }
            attention.adapters = [:]
        }
        freezesBase = false
    }
}
