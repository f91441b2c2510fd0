// Training the Llama-style model on BPE tokens with chapter 7's recipe:
// random windows, AdamW (decay on matrices only), linear warm-up then cosine
// decay (`GPTTrainer.schedule`), global-norm clipping, periodic validation.
// The options are chapter 7's `GPTTrainingOptions`, so both models train on
// the same schedule from the same flags.
//
// Bits per character. A model over BPE tokens and one over characters
// cannot be compared by their loss per token: a token here covers about
// three characters. Both are compared on the same held-out text by the
// information they need per character:
//
//   bits/char = (Σ over the predicted tokens of −ln p(token | context)) / (characters they spell) / ln 2
//
// The held-out split is cut into consecutive windows of the context (as
// `GPTTrainer.evaluateAll`): every token after the first is predicted
// exactly once, and the characters counted are those of tokens[1...]. For a
// character model this is its mean loss per character / ln 2.

import BackpropCore
import Backpropagation
import Datasets
import Foundation
import RecurrentNetworks
import Transformer

/// A text cut as chapter 7's corpus (by characters, in order: 90% training,
/// 5% validation, 5% test) and encoded by a tokenizer, each part on its own.
public struct TokenCorpus: Sendable {
    public let tokenizer: LlamaTokenizer
    public let train: [Int], validation: [Int], test: [Int]

    /// Cuts `text` at the same characters as `CharacterCorpus(text:trainFraction:testFraction:)`.
    public static func split(_ text: String, trainFraction: Double = 0.9, testFraction: Double = 0.05) -> (train: String, validation: String, test: String) {
        let characters = Array(text), n = characters.count
        let cut = Int((Double(n) * trainFraction).rounded(.down))
        let testCut = testFraction > 0 ? Int((Double(n) * (1 - testFraction)).rounded(.down)) : n
        return (String(characters[..<cut]), String(characters[cut..<testCut]), String(characters[testCut...]))
    }

    public init(tokenizer: LlamaTokenizer, train: String, validation: String, test: String) throws {
        self.tokenizer = tokenizer
        let t = try tokenizer.make()
        (self.train, self.validation, self.test) = (t.encode(train), t.encode(validation), t.encode(test))
    }

    /// Trains a byte-level BPE of `vocabularySize` on the training part of
    /// `text` (or takes GPT-2's, for nil) and encodes the three parts.
    public static func make(_ text: String, vocabularySize: Int?, trainFraction: Double = 0.9, testFraction: Double = 0.05) throws -> TokenCorpus {
        let parts = split(text, trainFraction: trainFraction, testFraction: testFraction)
        let tokenizer: LlamaTokenizer
        if let size = vocabularySize {
            tokenizer = .bpe(try BPETrainer.train(parts.train, options: BPETrainingOptions(vocabularySize: size)).0)
        } else {
            tokenizer = .gpt2
        }
        return try TokenCorpus(tokenizer: tokenizer, train: parts.train, validation: parts.validation, test: parts.test)
    }

    /// Characters as tokens (the ablation's `--tokens chars`): chapter 7's
    /// vocabulary of every distinct character of `text`, the same cut.
    public static func characters(_ text: String, trainFraction: Double = 0.9, testFraction: Double = 0.05) throws -> TokenCorpus {
        let parts = split(text, trainFraction: trainFraction, testFraction: testFraction)
        let tokenizer = LlamaTokenizer.characters(CharacterTokenizer(vocabulary: try CharacterVocabulary(text: text)))
        return try TokenCorpus(tokenizer: tokenizer, train: parts.train, validation: parts.validation, test: parts.test)
    }

    /// The characters tokens[1...] spell (those an evaluation predicts).
    public func predictedCharacters(_ tokens: [Int]) throws -> Int {
        String(decoding: try tokenizer.make().decodeBytes(Array(tokens.dropFirst())), as: UTF8.self).count
    }
}

/// One point of the loss curve (nats per token).
public struct LlamaLossPoint: Sendable {
    public var iteration: Int
    public var trainLoss: Double
    public var validationLoss: Double?
}

/// What a Llama training run produced.
public struct LlamaTrainingResult: Sendable {
    public var history: [LlamaLossPoint]
    /// Mean loss per token over the whole validation split.
    public var validationLoss: Double
    public var validationBitsPerCharacter: Double
    /// Over the whole test split, once after training; nil without one.
    public var testBitsPerCharacter: Double?
    public var seconds: Double
    public var tokensPerSecond: Double
    public var millisecondsPerStep: Double
}

public enum LlamaTrainer {
    /// AdamW with decay on rank-2 parameters (embedding, projections) and none on the RMSNorm gains.
    public static func optimizers<S: TensorScalar>(for model: Llama<S>, options: GPTTrainingOptions, parameters: [Parameter<S>]? = nil) throws -> [Adam<S>] {
        let all = parameters ?? model.parameters
        let matrices = all.filter { $0.value.rank == 2 }, vectors = all.filter { $0.value.rank != 2 }
        return try [(matrices, options.weightDecay), (vectors, 0)].filter { !$0.0.isEmpty }.map {
            try Adam($0.0, learningRate: options.learningRate, beta1: 0.9, beta2: options.beta2, weightDecay: $0.1, decoupled: true,
                     backend: model.backend)
        }
    }

    /// One optimisation step; returns the loss before the update. Only
    /// `parameters` (default: all) are clipped and updated.
    @discardableResult
    public static func step<S: TensorScalar>(_ model: Llama<S>, optimizers: [Adam<S>], inputs: [Int], targets: [Int], batch: Int,
                                             learningRate: Double, clip: Double, iteration: Int, parameters: [Parameter<S>]? = nil) throws -> Double {
        // A frozen base (LoRA) receives no weight gradient (only the norms'
        // gains accumulate theirs, unread: FrozenWeights.swift), so zeroing
        // its 0.8 M gradients every step would only rewrite zeros; the
        // adapters (`parameters`) are zeroed below. A full step zeroes all.
        if parameters == nil || !model.freezesBase { model.zeroGrad() }
        parameters?.forEach { $0.zeroGrad() }
        let loss = try model.loss(inputs: inputs, targets: targets, batch: batch, length: inputs.count / batch)
        try TrainingError.requireFinite(loss, "the loss", step: iteration)
        let norm = GradientClipping.clipGlobalNorm(parameters ?? model.parameters, maxNorm: clip, backend: model.backend)
        try TrainingError.requireFinite(norm, "the gradient norm", step: iteration)
        for o in optimizers { o.learningRate = learningRate; o.step() }
        return loss
    }

    /// Mean loss over `batches` random windows drawn with `seed`.
    public static func evaluate<S: TensorScalar>(_ model: Llama<S>, tokens: [Int], batches: Int, batch: Int, seed: UInt64) throws -> Double {
        var rng = SeededRandom(seed: seed)
        var total = 0.0
        for _ in 0..<batches {
            let (x, y) = try CharacterCorpus.randomWindows(tokens, batch: batch, length: model.config.context, rng: &rng)
            total += try model.loss(inputs: x, targets: y, batch: batch, length: model.config.context, mode: .inference, backward: false)
        }
        return total / Double(max(batches, 1))
    }

    /// Total loss (nats) and the number of predictions over the whole of
    /// `tokens`, in consecutive windows of the context (every token after
    /// the first predicted once), `batch` windows per forward pass.
    public static func totalLoss<S: TensorScalar>(_ model: Llama<S>, tokens: [Int], batch: Int = 32) throws -> (nats: Double, count: Int) {
        try GPTTrainer.totalLossOverWindows(tokens, context: model.config.context, batch: batch, name: "held-out text") {
            try model.loss(inputs: $0, targets: $1, batch: $2, length: $3, mode: .inference, backward: false)
        }
    }

    /// Bits per character of `tokens` (see the header) and the mean loss per token.
    public static func bitsPerCharacter<S: TensorScalar>(_ model: Llama<S>, tokens: [Int], corpus: TokenCorpus) throws -> (bits: Double, lossPerToken: Double) {
        let (nats, count) = try totalLoss(model, tokens: tokens)
        return (nats / Double(try corpus.predictedCharacters(tokens)) / log(2), nats / Double(count))
    }

    /// Trains `model` on the corpus's training tokens; `progress` after every step.
    public static func train(
        _ model: Llama<Float>, corpus: TokenCorpus, options: GPTTrainingOptions,
        progress: (_ iteration: Int, _ loss: Double, _ tokensPerSecond: Double) -> Void = { _, _, _ in },
        evaluated: (LlamaLossPoint) -> Void = { _ in }
    ) throws -> LlamaTrainingResult {
        for (name, v) in [("steps", options.steps), ("batch", options.batch)] where v < 1 {
            throw TrainingError.invalidOption(name: name, value: "\(v)", reason: "must be at least 1")
        }
        let optimizers = try optimizers(for: model, options: options)
        let schedule = GPTTrainer.schedule(options)
        var rng = SeededRandom(seed: options.seed)
        let length = model.config.context
        var history: [LlamaLossPoint] = []
        let start = Date()
        var trainingSeconds = 0.0
        for t in 0..<options.steps {
            let stepStart = Date()
            let (x, y) = try CharacterCorpus.randomWindows(corpus.train, batch: options.batch, length: length, rng: &rng)
            let loss = try step(model, optimizers: optimizers, inputs: x, targets: y, batch: options.batch,
                                learningRate: schedule.rate(at: t, base: options.learningRate), clip: options.clip, iteration: t)
            trainingSeconds += Date().timeIntervalSince(stepStart)
            var point = LlamaLossPoint(iteration: t + 1, trainLoss: loss, validationLoss: nil)
            if (t + 1) % max(options.evaluationInterval, 1) == 0 || t == 0 {
                point.validationLoss = try evaluate(model, tokens: corpus.validation, batches: options.evaluationBatches, batch: options.batch,
                                                    seed: options.seed &+ 1)
                evaluated(point)
            }
            history.append(point)
            progress(t + 1, loss, Double((t + 1) * options.batch * length) / trainingSeconds)
        }
        let validation = try bitsPerCharacter(model, tokens: corpus.validation, corpus: corpus)
        let test = corpus.test.count >= 2 ? try bitsPerCharacter(model, tokens: corpus.test, corpus: corpus).bits : nil
        return LlamaTrainingResult(history: history, validationLoss: validation.lossPerToken, validationBitsPerCharacter: validation.bits,
                                   testBitsPerCharacter: test, seconds: Date().timeIntervalSince(start),
                                   tokensPerSecond: Double(options.steps * options.batch * length) / trainingSeconds,
                                   millisecondsPerStep: trainingSeconds * 1000 / Double(options.steps))
    }
}
