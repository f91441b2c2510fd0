// ModelRegistry: opens any checkpoint and returns the model it holds, typed
// by what it can do: a `Classifier` (served on POST /v1/predict), a
// `TextGenerating` model (POST /v1/generate), a regressor or word vectors
// (offline only). The registry maps a checkpoint's model kind to a loader;
// adding a kind is one entry in `loaders`. Chapters 6 and 7's language models
// come in through small adapters (LanguageModels.swift) holding the model and
// forwarding `generate`:
//
//   ("char-rnn", { .generator(try CharRNNGenerator(checkpoint: $0, path: $1)) }),
//
// Loading is all or nothing: the checkpoint is validated (CheckpointReader),
// then the loader checks the config and every tensor's shape before the model
// is returned. Errors are `CheckpointError`s naming the file and the problem.

import BackpropCore
import Foundation
import Storage
import LinearModels
import WordEmbeddings

/// A model loaded from a checkpoint, by what it offers.
public enum LoadedModel: Sendable {
    /// Chapters 1, 2 and 5: inputs → class and probabilities.
    case classifier(any Classifier)
    /// Chapter 1's linear regression: inputs → a number.
    case regressor(LinearRegressor)
    /// Chapter 4's word vectors: words → nearest neighbours.
    case embeddings(Embeddings)
    /// Chapters 6 and 7: prompt → text.
    case generator(any TextGenerating)

    /// The checkpoint's model kind.
    public var kind: String {
        switch self {
        case .classifier(let c): return c.info.kind
        case .regressor: return "linear"
        case .embeddings: return "word2vec"
        case .generator(let g): return g.info.kind
        }
    }

    /// Trainable scalars (for embeddings: the vectors).
    public var parameterCount: Int {
        switch self {
        case .classifier(let c): return c.info.parameterCount
        case .regressor(let r): return r.parameterCount
        case .embeddings(let e): return e.vectors.count
        case .generator(let g): return g.info.parameterCount
        }
    }
}

public enum ModelRegistry {
    /// One loader per model kind.
    public static let loaders: [(kind: String, load: @Sendable (Checkpoint, String) throws -> LoadedModel)] = [
        ("perceptron", { .classifier(try LinearModelClassifier<Perceptron>(checkpoint: $0, path: $1)) }),
        ("logistic", { .classifier(try LinearModelClassifier<LogisticRegression<Float>>(checkpoint: $0, path: $1)) }),
        ("linear", { .regressor(try LinearRegressor(checkpoint: $0, path: $1)) }),
        ("mlp", { .classifier(try NetworkClassifier.mlp($0, path: $1)) }),
        ("cnn", { .classifier(try NetworkClassifier.cnn($0, path: $1)) }),
        ("word2vec", { .embeddings(try Embeddings(checkpoint: $0, path: $1)) }),
        ("char-rnn", { .generator(try CharRNNGenerator(checkpoint: $0, path: $1)) }),
        ("gpt", { .generator(try GPTGenerator(checkpoint: $0, path: $1)) }),
    ]

    /// The kinds this build can load.
    public static var kinds: [String] { loaders.map(\.kind) }

    /// The model a checkpoint holds.
    /// - Throws: `CheckpointError.unknownModelKind`, or the loader's `CheckpointError`.
    public static func load(_ checkpoint: Checkpoint, path: String = "") throws -> LoadedModel {
        guard let loader = loaders.first(where: { $0.kind == checkpoint.model }) else {
            throw CheckpointError.unknownModelKind(path: path, found: checkpoint.model, known: kinds)
        }
        return try loader.load(checkpoint, path)
    }

    /// Reads, validates and loads a checkpoint file.
    public static func open(_ url: URL) throws -> LoadedModel {
        try load(try Checkpoint.load(url), path: url.path)
    }

    /// Loads checkpoint bytes (used by the fuzz test and `backprop fuzz-checkpoint`).
    public static func decodeAndLoad(_ data: Data, path: String = "<memory>") throws -> LoadedModel {
        try load(try Checkpoint.decode(data, path: path), path: path)
    }
}

extension ModelRegistry {
    /// What a fuzz case does with a corrupted file: decode it (and require a
    /// loaded checkpoint to survive a save), load the model, and run it once.
    /// Any error must be a `CheckpointError`.
    public static func fuzzLoad(_ data: Data) throws {
        try CheckpointFuzz.decodeAndRoundTrip(data)
        switch try decodeAndLoad(data) {
        case .classifier(let c): _ = try c.predict([Array(repeating: 0.5, count: c.inputWidth)])
        case .regressor(let r): _ = try r.predict([Array(repeating: 0.5, count: r.inputWidth)])
        case .embeddings(let e): if let w = e.words.first { _ = try e.neighbors(of: w, count: 3) }
        case .generator(let g):
            var rng = SeededRandom(seed: 1)
            _ = try g.generate(prompt: "", maxTokens: 2, sampling: .greedy, rng: &rng) { _ in }
        }
    }
}
