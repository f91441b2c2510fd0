// Word2VecTrainer: skip-gram and CBOW with negative sampling, trained by SGD
// on both cores with lock-free ("Hogwild") updates.
//
// Contract
// - Input vectors start uniform in [−0.5/D, 0.5/D), output vectors at zero
//   (as in word2vec), from the seeded generator: one seed fixes a run.
// - The corpus (ids after the min-count filter) is cut into `threads`
//   contiguous chunks. Each thread makes `epochs` passes over its chunk with
//   its own seeded generator; in each pass it subsamples its chunk
//   (Subsampling.swift), then for each kept centre word draws a window size
//   b uniformly in 1…W and trains on the words within b positions.
// - Learning rate: α = α₀·max(10⁻⁴, 1 − p), with p the fraction of this
//   thread's tokens already processed (all threads advance at the same rate,
//   so this is the global schedule without a shared counter). α₀ = 0.025 for
//   SGNS, 0.05 for CBOW.
// - Negatives: K draws from the unigram^¾ alias table; a draw equal to the
//   positive word is skipped (as in word2vec). Rows are touched only where
//   an example uses them: updates are sparse.
// - Hogwild (Recht et al. 2011): threads read and write the two shared tables
//   without locks. Each example touches 1 + (K+1) rows out of V; two threads
//   rarely touch the same row at the same moment, and when they do, one
//   update of a few is partly lost or mixed, which SGD tolerates as noise.
//   (Frequent words collide most; subsampling thins them out.) The price:
//   runs with 2+ threads are not bit-reproducible. With threads = 1 and a
//   fixed seed, a run is bit-for-bit reproducible (tested).
// - The training loss reported is the mean of L (NegativeSampling.swift) per
//   example, estimated on every 8th centre word to keep the loop cheap.
// - words per second = (tokens in the vocabulary × epochs) / training wall
//   time, counting subsampled-away tokens, the same definition as the C tool.

import BackpropCore
import Dispatch
import Foundation

/// Skip-gram or CBOW.
public enum Word2VecArchitecture: String, Sendable, CaseIterable {
    case sgns, cbow
    /// The starting learning rate word2vec uses for each.
    public var defaultLearningRate: Double { self == .sgns ? 0.025 : 0.05 }
}

/// Everything a word2vec run can set.
public struct Word2VecOptions: Sendable {
    public var model: Word2VecArchitecture = .sgns
    public var dimension = 100
    public var window = 5
    public var negative = 5
    public var minCount = 5
    public var sample = 1e-3
    public var epochs = 5
    public var threads = 2
    public var backend: Backend = .simd
    public var seed: UInt64 = 42
    /// nil: the architecture's default (0.025 SGNS, 0.05 CBOW).
    public var learningRate: Double?
    /// Points in the loss history.
    public var historyPoints = 50

    public init(model: Word2VecArchitecture = .sgns, seed: UInt64 = 42) { self.model = model; self.seed = seed }

    public var startingLearningRate: Double { learningRate ?? model.defaultLearningRate }

    /// - Throws: `TrainingError.invalidOption` naming the bad value.
    public func validate() throws {
        func bad(_ name: String, _ v: Any, _ why: String) -> TrainingError { .invalidOption(name: name, value: "\(v)", reason: why) }
        guard dimension >= 1 else { throw bad("dimension", dimension, "must be at least 1") }
        guard window >= 1 else { throw bad("window", window, "must be at least 1") }
        guard negative >= 1 else { throw bad("negative", negative, "must be at least 1") }
        guard minCount >= 1 else { throw bad("min-count", minCount, "must be at least 1") }
        guard sample >= 0, sample.isFinite else { throw bad("sample", sample, "must be ≥ 0 (0 switches subsampling off)") }
        guard epochs >= 1 else { throw bad("epochs", epochs, "must be at least 1") }
        guard threads >= 1 else { throw bad("threads", threads, "must be at least 1") }
        guard startingLearningRate > 0, startingLearningRate.isFinite else { throw bad("lr", startingLearningRate, "must be positive") }
        guard historyPoints >= 1 else { throw bad("historyPoints", historyPoints, "must be at least 1") }
    }
}

/// The outcome of a run.
public struct Word2VecResult: Sendable {
    /// The input vectors: the embeddings.
    public let embeddings: Embeddings
    /// The output vectors, row-major [V, D].
    public let outputVectors: [Float]
    /// (fraction of training done, mean loss per example over that stretch).
    public let lossHistory: [(progress: Double, loss: Double)]
    /// Tokens processed, counting subsampled ones (tokens × epochs).
    public let wordsProcessed: Int
    /// (centre, context) examples trained.
    public let examples: Int
    public let seconds: Double
    /// Process CPU time during training (all threads).
    public let cpuSeconds: Double

    public var wordsPerSecond: Double { Double(wordsProcessed) / max(seconds, 1e-9) }
    /// The mean loss over the last tenth of training (NaN if none sampled).
    public var finalLoss: Double {
        let tail = lossHistory.suffix(max(1, lossHistory.count / 10)).filter { $0.loss.isFinite }
        return tail.isEmpty ? .nan : tail.map(\.loss).reduce(0, +) / Double(tail.count)
    }
}

/// A corpus prepared for training, and the training itself.
public struct Word2VecTrainer: Sendable {
    public let vocabulary: Vocabulary
    /// The corpus as ids (words below min-count removed).
    public let corpus: [Int32]
    public let options: Word2VecOptions

    /// Tokenizes `text`, builds the vocabulary and encodes the corpus.
    public init(text: String, options: Word2VecOptions) throws {
        try self.init(tokens: Tokenizer.words(in: text), options: options)
    }

    public init(tokens: [String], options: Word2VecOptions) throws {
        try options.validate()
        let vocabulary = try Vocabulary(tokens: tokens, minCount: options.minCount)
        self.vocabulary = vocabulary
        self.corpus = vocabulary.encode(tokens)
        self.options = options
    }

    /// Trains and returns the embeddings.
    /// - Throws: `TrainingError.nonFinite` if the vectors blow up.
    public func train() throws -> Word2VecResult { try train(externalStep: nil) }

    /// The run itself; with `externalStep`, skip-gram on one thread with that
    /// step for every pair (Word2VecTrainer+Step.swift).
    func train(externalStep: SkipGramStep?) throws -> Word2VecResult {
        let o = options
        let (v, d) = (vocabulary.count, o.dimension)
        let tables = EmbeddingTables(rows: v, dimension: d, seed: o.seed)
        let alias = AliasTable.unigram(counts: vocabulary.counts)
        let keep = Subsampler(counts: vocabulary.counts, threshold: o.sample).keepProbability
        let threads = externalStep == nil ? max(1, min(o.threads, corpus.count)) : 1
        var stepError: (any Error)?
        let history = LossHistory(threads: threads, points: o.historyPoints)
        var examples = [Int](repeating: 0, count: threads)
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = clock()
        corpus.withUnsafeBufferPointer { corpusPointer in
        alias.thresholds.withUnsafeBufferPointer { thresholds in
        alias.aliases.withUnsafeBufferPointer { aliases in
        keep.withUnsafeBufferPointer { keep in
        examples.withUnsafeMutableBufferPointer { examples in
            nonisolated(unsafe) let shared = LoopContext(
                corpus: corpusPointer, input: tables.input, output: tables.output, dimension: d,
                thresholds: thresholds.baseAddress!, aliases: aliases.baseAddress!, aliasCount: alias.count,
                keep: keep.baseAddress!, options: o, threads: threads, history: history)
            nonisolated(unsafe) let counts = examples
            if let externalStep {
                var step = ExternalPairStep(loop: shared, step: externalStep)
                counts[0] = shared.skipGram(&step, thread: 0)
                stepError = step.error
                return
            }
            let work: @Sendable (Int) -> Void = { t in
                // The one place the twin and model are chosen: each call below
                // is a separate specialisation of the generic loop.
                switch (o.backend, o.model) {
                case (.naive, .sgns): counts[t] = shared.skipGram(NaiveWord2VecKernels.self, thread: t)
                case (.simd, .sgns): counts[t] = shared.skipGram(SIMDWord2VecKernels.self, thread: t)
                case (.naive, .cbow): counts[t] = shared.cbow(NaiveWord2VecKernels.self, thread: t)
                case (.simd, .cbow): counts[t] = shared.cbow(SIMDWord2VecKernels.self, thread: t)
                }
            }
            if threads == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: work) }
        }}}}}
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpuSeconds = Double(clock() - cpuStart) / Double(CLOCKS_PER_SEC)
        if let stepError { throw stepError }
        let input = Array(UnsafeBufferPointer(start: tables.input, count: v * d))
        let output = Array(UnsafeBufferPointer(start: tables.output, count: v * d))
        guard input.allSatisfy(\.isFinite), output.allSatisfy(\.isFinite) else {
            throw TrainingError.nonFinite(step: examples.reduce(0, +), tensor: "word vectors")
        }
        return Word2VecResult(
            embeddings: Embeddings(words: vocabulary.words, dimension: d, vectors: input), outputVectors: output,
            lossHistory: history.merged(), wordsProcessed: corpus.count * o.epochs, examples: examples.reduce(0, +),
            seconds: seconds, cpuSeconds: cpuSeconds)
    }
}

/// The two [V, D] tables in flat, manually managed buffers, so the training
/// threads can share raw pointers into them.
final class EmbeddingTables: @unchecked Sendable {
    let input: UnsafeMutablePointer<Float>
    let output: UnsafeMutablePointer<Float>
    let count: Int

    init(rows: Int, dimension d: Int, seed: UInt64) {
        count = rows * d
        input = .allocate(capacity: count)
        output = .allocate(capacity: count)
        var rng = SeededRandom(seed: seed)
        for i in 0..<count { input[i] = Float((rng.uniform() - 0.5) / Double(d)) }
        output.initialize(repeating: 0, count: count)
    }

    deinit {
        input.deallocate()
        output.deallocate()
    }
}

/// Loss sums per thread and history segment; each thread writes only its own row.
final class LossHistory: @unchecked Sendable {
    let threads: Int, points: Int
    let sums: UnsafeMutablePointer<Double>
    let counts: UnsafeMutablePointer<Int>

    init(threads: Int, points: Int) {
        self.threads = threads; self.points = points
        sums = .allocate(capacity: threads * points); sums.initialize(repeating: 0, count: threads * points)
        counts = .allocate(capacity: threads * points); counts.initialize(repeating: 0, count: threads * points)
    }

    deinit { sums.deallocate(); counts.deallocate() }

    /// Segment means over all threads, at the segment's end as progress.
    func merged() -> [(progress: Double, loss: Double)] {
        (0..<points).compactMap { s in
            var total = 0.0, n = 0
            for t in 0..<threads { total += sums[t * points + s]; n += counts[t * points + s] }
            return n == 0 ? nil : (Double(s + 1) / Double(points), total / Double(n))
        }
    }
}
