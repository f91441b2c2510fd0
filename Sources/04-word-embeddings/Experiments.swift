// Chapter 4's experiments: word2vec on tinyshakespeare, evaluated on the
// chapter's analogy and similarity set, for `backprop train word2vec`, the
// tour and the figures.

import BackpropCore
import Datasets
import Foundation

public enum Chapter4 {
    /// The training text: a file, or the bundled tinyshakespeare.
    /// - Returns: the text and a dataset name for summaries.
    public static func corpus(path: String?) throws -> (text: String, name: String) {
        guard let path else { return (try BundledData.shakespeare(), "tinyshakespeare") }
        guard FileManager.default.fileExists(atPath: path) else {
            throw CorpusError.unreadable(path: path, reason: "no such file")
        }
        do {
            return (try String(contentsOfFile: path, encoding: .utf8), URL(fileURLWithPath: path).lastPathComponent)
        } catch {
            throw CorpusError.unreadable(path: path, reason: "not UTF-8 text (\(error.localizedDescription))")
        }
    }

    /// One run: prepare, train, evaluate, summarise.
    public static func run(
        _ o: Word2VecOptions, text: String, dataset: String
    ) throws -> (summary: RunSummary, result: Word2VecResult, evaluation: EvaluationReport, trainer: Word2VecTrainer) {
        let start = Date()
        let trainer = try Word2VecTrainer(text: text, options: o)
        let result = try trainer.train()
        let evaluation = EvaluationSet.evaluate(result.embeddings)
        let summary = RunSummary(
            chapter: 4, model: o.model.rawValue, dataset: dataset,
            metrics: [("analogy_accuracy", evaluation.accuracy), ("related_margin", evaluation.margin),
                      ("final_loss", result.finalLoss)],
            seconds: Date().timeIntervalSince(start),
            details: [("words_per_second", .number(result.wordsPerSecond.rounded())),
                      ("analogies_answerable", .integer(evaluation.answerable)),
                      ("vocabulary", .integer(trainer.vocabulary.count)), ("tokens", .integer(trainer.corpus.count)),
                      ("dimension", .integer(o.dimension)), ("window", .integer(o.window)),
                      ("negative", .integer(o.negative)), ("sample", .number(o.sample)),
                      ("epochs", .integer(o.epochs)), ("threads", .integer(o.threads)),
                      ("backend", .string(o.backend.rawValue)), ("seed", .integer(Int(truncatingIfNeeded: o.seed)))])
        return (summary, result, evaluation, trainer)
    }

    /// Lines "word: n₁ 0.71, n₂ 0.65, …" for a few words present in `e`.
    public static func neighborLines(_ e: Embeddings, words: [String] = ["king", "love", "thou"], count: Int = 5) -> [String] {
        words.compactMap { w in
            guard let n = try? e.neighbors(of: w, count: count) else { return nil }
            return "\(w): " + n.map { "\($0.word) " + String(format: "%.2f", $0.cosine) }.joined(separator: ", ")
        }
    }

    /// The tour's chapter-4 run: SGNS, dimension 50, 5 epochs, 2 threads
    /// (2–3 s in release; a single epoch is too short for the vectors to
    /// separate: margin ≈ 0); `log` receives a few nearest neighbours.
    public static func tour(seed: UInt64, log: @escaping @Sendable (String) -> Void = { print($0) })
        -> [(name: String, run: () throws -> RunSummary)]
    {
        [("word2vec SGNS on tinyshakespeare", {
            var o = Word2VecOptions(model: .sgns, seed: seed)
            o.dimension = 50
            o.epochs = 5
            o.threads = 2
            let (text, name) = try corpus(path: nil)
            let run = try run(o, text: text, dataset: name)
            for line in neighborLines(run.result.embeddings) { log("  " + line) }
            return run.summary
        })]
    }
}
