// `backprop train word2vec`: chapter 4's skip-gram or CBOW on a text corpus
// (tinyshakespeare by default), evaluated on the chapter's analogy set.

import BackpropCore
import Foundation
import WordEmbeddings

enum TrainWord2VecCommand {
    static let flags = [
        Flag(name: "corpus", value: "PATH", help: "UTF-8 text file (default: the bundled tinyshakespeare)"),
        Flag(name: "model", value: "M", help: "sgns (skip-gram) or cbow (default sgns)"),
        Flag(name: "dim", value: "N", help: "embedding dimension (default 100)"),
        Flag(name: "window", value: "N", help: "maximum window W; each centre word draws 1…W (default 5)"),
        Flag(name: "negative", value: "N", help: "negative samples per example (default 5)"),
        Flag(name: "min-count", value: "N", help: "drop words seen fewer times (default 5)"),
        Flag(name: "sample", value: "T", help: "subsampling threshold t, 0 for none (default 1e-3)"),
        Flag(name: "epochs", value: "N", help: "passes over the corpus (default 5)"),
        Flag(name: "lr", value: "X", help: "starting learning rate (default 0.025 sgns, 0.05 cbow)"),
        Flag(name: "threads", value: "N", help: "training threads, Hogwild (default 2; 1 is bit-reproducible)"),
        Flag(name: "backend", value: "K", help: "naive or simd (default simd)"),
        Flag(name: "seed", value: "S", help: "random seed (default 42)"),
        Flag(name: "save", value: "PATH", help: "write the embeddings: word2vec text format if PATH ends in .txt or .vec, else a checkpoint"),
        Flag(name: "json", value: nil, help: "end with one JSON line summarising the run"),
    ]

    static func run(_ words: [String]) throws {
        let args = try Arguments(command: "train word2vec", words: words, flags: flags)
        if args.wantsHelp {
            print(helpText(
                usage: "backprop train word2vec [--corpus PATH] [--model sgns|cbow] [--dim 100] [--window 5] [--negative 5] [--min-count 5] [--sample 1e-3] [--epochs N] [--threads N] [--backend naive|simd] [--seed S] [--save PATH] [--json]",
                summary: "Train word embeddings (chapter 4) and report analogy accuracy, the related-pair margin and words/second.",
                flags: flags))
            return
        }
        guard args.positionals.isEmpty else { throw UsageError("backprop train word2vec: unexpected argument '\(args.positionals[0])'") }
        var o = Word2VecOptions(seed: try args.seed())
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
            guard let v = Double(s), v.isFinite, v >= 0 else {
                throw UsageError("backprop train word2vec: --sample expects a number ≥ 0, got '\(s)'")
            }
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
        print(TourCommand.table([run.summary]))
        if args.has("json") { print(run.summary.json) }
    }
}
