// ModelRegistry: opens any checkpoint and returns the model it holds, typed
// by what it can do: a `Classifier` (served on POST /v1/predict), a
// `TextGenerating` model (POST /v1/generate), a regressor or word vectors
// (offline only). The registry is a list of the book's checkpoint models
// (Storage/CheckpointModel.swift), each with the adapter that serves it;
// adding a kind is one entry in `loaders`:
//
//   entry(CharRNN.self) { .generator(CharRNNGenerator(model: $0, checkpoint: $1)) },
//
// Loading is all or nothing: the checkpoint is validated (CheckpointReader),
// then the model checks its config and every tensor's shape before it is
// built. Errors are `CheckpointError`s naming the file and the problem.

import BackpropCore
import Foundation
import Storage
import LinearModels
import WordEmbeddings
import Backpropagation
import ConvolutionalNetworks
import RecurrentNetworks
import Transformer
import TokensAndTheModernLLM

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
    /// One loader per model kind: the book's checkpoint models, each with the
    /// adapter that serves it.
    public static let loaders: [(kind: String, load: @Sendable (Checkpoint) throws -> LoadedModel)] = [
        entry(LinearClassifier<Perceptron>.self) { .classifier(try LinearModelClassifier($0, checkpoint: $1)) },
        entry(LinearClassifier<LogisticRegression<Float>>.self) { .classifier(try LinearModelClassifier($0, checkpoint: $1)) },
        entry(LinearRegression<Float>.self) { m, _ in .regressor(LinearRegressor(model: m)) },
        entry(MLPClassifier.self) { .classifier(NetworkClassifier($0, checkpoint: $1)) },
        entry(DigitsCNNClassifier.self) { .classifier(NetworkClassifier($0, checkpoint: $1)) },
        entry(LeNet5Classifier.self) { .classifier(NetworkClassifier($0, checkpoint: $1)) },
        entry(Embeddings.self) { m, _ in .embeddings(m) },
        entry(CharRNN.self) { .generator(CharRNNGenerator(model: $0, checkpoint: $1)) },
        entry(GPT<Float>.self) { .generator(GPTGenerator(model: $0, checkpoint: $1)) },
        entry(Llama<Float>.self) { .generator(try LlamaGenerator(model: $0, checkpoint: $1)) },
    ]

    /// A loader for the checkpoint model `M`: rebuild it (the model validates
    /// its own config and tensors), then wrap it for serving.
    static func entry<M: CheckpointModel>(
        _: M.Type, _ wrap: @escaping @Sendable (M, Checkpoint) throws -> LoadedModel
    ) -> (kind: String, load: @Sendable (Checkpoint) throws -> LoadedModel) {
        (M.checkpointKind, { c in try wrap(try M(checkpoint: c), c) })
    }

    /// The kinds this build can load.
    public static var kinds: [String] { loaders.map(\.kind) }

    /// The model a checkpoint holds; `path`, if given, names it in errors
    /// (a checkpoint read from a file already carries its path).
    /// - Throws: `CheckpointError.unknownModelKind`, or the model's own
    ///   `CheckpointError`; any other error of a model's constructor becomes
    ///   `CheckpointError.malformed`, so a bad file never escapes as something else.
    public static func load(_ checkpoint: Checkpoint, path: String? = nil) throws -> LoadedModel {
        var checkpoint = checkpoint
        if let path { checkpoint.path = path }
        guard let loader = loaders.first(where: { $0.kind == checkpoint.kind }) else {
            throw CheckpointError.unknownModelKind(path: checkpoint.path, found: checkpoint.kind, known: kinds)
        }
        do { return try loader.load(checkpoint) } catch let error as CheckpointError { throw error } catch {
            throw CheckpointError.malformed(path: checkpoint.path, reason: "\(error)")
        }
    }

    /// Reads, validates and loads a checkpoint file.
    public static func open(_ url: URL) throws -> LoadedModel {
        try load(try Checkpoint.load(url))
    }

    /// Loads checkpoint bytes (used by the fuzz test and `backprop fuzz-checkpoint`).
    public static func decodeAndLoad(_ data: Data, path: String = "<memory>") throws -> LoadedModel {
        try load(try Checkpoint.decode(data, path: path))
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
