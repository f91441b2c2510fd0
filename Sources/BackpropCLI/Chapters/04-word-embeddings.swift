// Chapter 4, word embeddings: `train word2vec` (skip-gram or CBOW on a text
// corpus, tinyshakespeare by default, evaluated on the chapter's analogy
// set), `neighbors` and `analogy` (EmbeddingQueries.swift), its tour run,
// figures and the `word2vec` benchmark.

import BackpropCore
import Foundation
import WordEmbeddings

extension BookChapter {
    static let wordEmbeddings = BookChapter(
        number: 4, title: "word embeddings",
        tour: { Chapter4.tour(seed: $0) },
        untrainedFigures: { try Chapter4Figures.untrained() },
        trainedFigures: { try Chapter4Figures.trained() },
        benchmarks: [Benchmark("word2vec") { try Word2VecBenchmark.run(peakGflops: $0.peakGflops, quick: $0.quick) }],
        models: [TrainWord2VecCommand.command],
        commands: [EmbeddingQueries.neighbors, EmbeddingQueries.analogy])
}

/// `backprop train word2vec`: the defaults come from `Word2VecOptions`.
enum TrainWord2VecCommand {
    static let command: Command = {
        let d = Word2VecOptions()
        return Command(
            "train word2vec",
            summary: "word2vec embeddings; reports analogy accuracy, the related-pair margin and words/second",
            flags: [
                Flag(name: "corpus", value: "PATH", help: "UTF-8 text file (default: the bundled tinyshakespeare)"),
                Flag(name: "model", choices: Word2VecArchitecture.allCases.map(\.rawValue),
                     help: "skip-gram with negative sampling, or CBOW (default \(d.model.rawValue))"),
                Flag(name: "dim", value: "N", help: "embedding dimension (default \(d.dimension))"),
                Flag(name: "window", value: "N", help: "maximum window W; each centre word draws 1…W (default \(d.window))"),
                Flag(name: "negative", value: "N", help: "negative samples per example (default \(d.negative))"),
                Flag(name: "min-count", value: "N", help: "drop words seen fewer times (default \(d.minCount))"),
                Flag(name: "sample", value: "T", help: "subsampling threshold t, 0 for none (default \(d.sample))"),
                .epochs(default: d.epochs, of: "the corpus"),
                Flag(name: "lr", value: "X", help: "starting learning rate (default "
                     + Word2VecArchitecture.allCases.map { "\($0.defaultLearningRate) \($0.rawValue)" }.joined(separator: ", ") + ")"),
                Flag(name: "threads", value: "N", help: "training threads, Hogwild (default \(d.threads); 1 is bit-reproducible)"),
                .backend, .seed(default: d.seed),
                Flag(name: "save", value: "PATH", help: "write the embeddings: word2vec text format if PATH ends in .txt or .vec, else a checkpoint"),
                .json,
            ]
        ) { args in
            var o = Word2VecOptions(seed: try args.seed(default: d.seed))
            if let m = try args.choice("model", from: Word2VecArchitecture.allCases.map(\.rawValue), default: nil) {
                o.model = Word2VecArchitecture(rawValue: m)!
            }
            o.dimension = try args.int("dim", default: o.dimension, range: 1...4096)
            o.window = try args.int("window", default: o.window, range: 1...100)
            o.negative = try args.int("negative", default: o.negative, range: 1...100)
            o.minCount = try args.int("min-count", default: o.minCount)
            o.epochs = try args.int("epochs", default: o.epochs, range: 1...1000)
            o.threads = try args.int("threads", default: o.threads, range: 1...256)
            if let s = args.string("sample") {
                guard let v = Double(s), v.isFinite, v >= 0 else { throw args.error("--sample expects a number ≥ 0, got '\(s)'") }
                o.sample = v
            }
            if args.string("lr") != nil { o.learningRate = try args.double("lr", default: 0) }
            o.backend = try args.backend()
            let (text, name) = try Chapter4.corpus(path: args.string("corpus"))
            let run = try Chapter4.run(o, text: text, dataset: name)
            if let path = args.string("save") {
                let url = URL(fileURLWithPath: path)
                if ["txt", "vec"].contains(url.pathExtension.lowercased()) {
                    try run.result.embeddings.saveText(to: url)
                } else {
                    try run.result.embeddings.save(to: url, metadata: run.summary.checkpointMetadata(seed: o.seed))
                }
                print("saved \(run.result.embeddings.count) vectors of dimension \(o.dimension) to \(path)")
            }
            let e = run.evaluation
            print(String(format: "vocabulary %d words, %d tokens; %.0f words/s; final loss %.4f",
                         run.trainer.vocabulary.count, run.trainer.corpus.count, run.result.wordsPerSecond, run.result.finalLoss))
            print(String(format: "analogies: %d/%d correct (%.1f%%); related-pair cosine %.3f vs mismatched %.3f (margin %.3f)",
                         e.correct, e.answerable, e.accuracy * 100, e.relatedMean, e.mismatchedMean, e.margin))
            for line in Chapter4.neighborLines(run.result.embeddings) { print("  " + line) }
            print(ResultsTable.render([run.summary]))
            if args.has("json") { print(run.summary.json) }
        }
    }()
}
