// Fine-tuning a trained Llama on one speaker's lines, with LoRA (the base
// frozen) or in full, and what each costs and buys.
//
// The slice (`SpeakerSlice`): tinyshakespeare is a sequence of speeches
// separated by blank lines, each starting with its speaker's name and a
// colon on a line of its own ("PETRUCHIO:"). A speaker's slice is every
// speech whose first line is exactly "NAME:", name line included, in the
// text's order, joined by blank lines. Its first 80% of speeches (by count)
// are fine-tuned on, the last 20% held out. The general held-out text is
// chapter 7's validation and test parts (the last 10% of the characters)
// with that speaker's speeches removed, so neither evaluation sees a line
// that was fine-tuned on. PETRUCHIO (The Taming of the Shrew, at 89–97% of
// the text) speaks almost entirely after the base model's training cut.
//
// Compared, from the same checkpoint, at the same steps and schedule
// (chapter 7's warm-up and cosine, clipping at 1): trainable scalars, AdamW's
// state (two moments per trainable scalar), and bits per character on the
// slice's held-out speeches and on the general held-out text, before and after.

import BackpropCore
import Backpropagation
import Datasets
import Foundation
import RecurrentNetworks
import Transformer

/// One speaker's speeches, cut into fine-tuning and held-out parts.
public struct SpeakerSlice: Sendable {
    public let speaker: String
    public let train: String, heldOut: String
    /// The last 10% of the text without the speaker's speeches.
    public let general: String
    public let speeches: Int

    /// The speaker's slice of the bundled tinyshakespeare.
    public static func shakespeare(speaker: String) throws -> SpeakerSlice {
        try SpeakerSlice(text: try BundledData.shakespeare(), speaker: speaker)
    }

    /// - Throws: `TrainingError.unsuitableData` if the speaker has fewer than 10 speeches.
    public init(text: String, speaker: String, trainFraction: Double = 0.8) throws {
        let name = speaker.uppercased() + ":"
        let blocks = text.components(separatedBy: "\n\n")
        let isTheirs: (String) -> Bool = { $0.split(separator: "\n", maxSplits: 1).first.map(String.init) == name }
        let mine = blocks.filter(isTheirs)
        guard mine.count >= 10 else {
            throw TrainingError.unsuitableData("\(speaker) has \(mine.count) speeches (lines \"\(name)\"); at least 10 are needed")
        }
        let cut = Int(Double(mine.count) * trainFraction)
        self.speaker = name
        speeches = mine.count
        train = mine[..<cut].joined(separator: "\n\n") + "\n\n"
        heldOut = mine[cut...].joined(separator: "\n\n") + "\n\n"
        let parts = TokenCorpus.split(text)
        general = (parts.validation + parts.test).components(separatedBy: "\n\n").filter { !isTheirs($0) }.joined(separator: "\n\n")
    }
}

public struct FineTuneOptions: Sendable {
    public var lora = true
    public var rank = 4
    public var alpha = 8.0
    public var targets: [LoRATarget] = [.query, .value]
    public var training = GPTTrainingOptions()

    /// 100 steps of 12 windows (about 5 passes over PETRUCHIO's 10,000
    /// fine-tuning tokens); the peak rate 2·10⁻³ for LoRA, 10⁻⁴ for full
    /// fine-tuning (the best of 10⁻⁴ and 3·10⁻⁴ at 100 and 300 steps; with
    /// 3·10⁻⁴ the full model overfits the slice and forgets the general text).
    public init(lora: Bool = true, steps: Int = 100, learningRate: Double? = nil, seed: UInt64 = 1) {
        self.lora = lora
        training.seed = seed
        training.warmup = 10
        training.fitSchedule(steps: steps, learningRate: learningRate ?? (lora ? 2e-3 : 1e-4))
    }
}

/// Bits per character on the slice's held-out speeches and on the general text.
public struct FineTuneEvaluation: Sendable {
    public var sliceBitsPerCharacter: Double
    public var generalBitsPerCharacter: Double
}

public struct FineTuneResult: Sendable {
    public var mode: String
    public var trainableParameters: Int
    public var totalParameters: Int
    /// AdamW's first and second moments, in bytes.
    public var optimizerStateBytes: Int
    public var before: FineTuneEvaluation
    public var after: FineTuneEvaluation
    public var millisecondsPerStep: Double
    public var seconds: Double
}

public enum LlamaFineTuner {
    /// Bits per character of `model` on the slice's held-out part and the general text.
    public static func evaluate(_ model: Llama<Float>, slice: SpeakerSlice, tokenizer: LlamaTokenizer) throws -> FineTuneEvaluation {
        let corpus = try TokenCorpus(tokenizer: tokenizer, train: "", validation: slice.heldOut, test: slice.general)
        return FineTuneEvaluation(sliceBitsPerCharacter: try LlamaTrainer.bitsPerCharacter(model, tokens: corpus.validation, corpus: corpus).bits,
                                  generalBitsPerCharacter: try LlamaTrainer.bitsPerCharacter(model, tokens: corpus.test, corpus: corpus).bits)
    }

    /// Fine-tunes `model` (in place) on the slice; with LoRA, the adapters are merged at the end.
    public static func run(_ model: Llama<Float>, slice: SpeakerSlice, options o: FineTuneOptions,
                           progress: (_ iteration: Int, _ loss: Double) -> Void = { _, _ in }) throws -> FineTuneResult {
        guard let tokenizer = model.tokenizer else { throw TextError.emptyText("the model's tokenizer (none recorded)") }
        let start = Date()
        let before = try evaluate(model, slice: slice, tokenizer: tokenizer)
        let total = model.parameterCount
        if o.lora { try model.addLoRA(rank: o.rank, alpha: o.alpha, targets: o.targets, seed: o.training.seed) }
        let trainable = o.lora ? model.loraParameters.map(\.parameter) : model.parameters
        let optimizers = try LlamaTrainer.optimizers(for: model, options: o.training, parameters: trainable)
        let stateBytes = optimizers.reduce(0) { $0 + ($1.m + $1.v).reduce(0) { $0 + $1.count } } * MemoryLayout<Float>.stride
        let tokens = try tokenizer.make().encode(slice.train)
        let schedule = GPTTrainer.schedule(o.training)
        var rng = SeededRandom(seed: o.training.seed)
        let length = min(model.config.context, tokens.count - 1)
        var trainingSeconds = 0.0
        for t in 0..<o.training.steps {
            let stepStart = Date()
            let (x, y) = try CharacterCorpus.randomWindows(tokens, batch: o.training.batch, length: length, rng: &rng)
            let loss = try LlamaTrainer.step(model, optimizers: optimizers, inputs: x, targets: y, batch: o.training.batch,
                                             learningRate: schedule.rate(at: t, base: o.training.learningRate), clip: o.training.clip,
                                             iteration: t, parameters: trainable)
            trainingSeconds += Date().timeIntervalSince(stepStart)
            progress(t + 1, loss)
        }
        let trainableCount = trainable.reduce(0) { $0 + $1.value.count }
        if o.lora { try model.mergeLoRA() }
        let after = try evaluate(model, slice: slice, tokenizer: tokenizer)
        return FineTuneResult(mode: o.lora ? "lora r\(o.rank) " + o.targets.map(\.rawValue).joined(separator: ",") : "full",
                              trainableParameters: trainableCount, totalParameters: total, optimizerStateBytes: stateBytes,
                              before: before, after: after, millisecondsPerStep: trainingSeconds * 1000 / Double(max(o.training.steps, 1)),
                              seconds: Date().timeIntervalSince(start))
    }
}
