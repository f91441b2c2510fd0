// The figures of chapter 4, made by the code (`swift run -c release backprop
// figures`). The trained ones train word2vec on tinyshakespeare with one
// thread, so that the same seed gives the same bytes (`backprop figures
// --check`); with two threads Hogwild updates would make each run slightly
// different. The diagrams are in Chapter4Diagrams.swift.

import BackpropCore
import Figures
import Foundation

public enum Chapter4Figures {
    /// The words drawn in 04-pca.svg, by group.
    static let groups: [(name: String, words: [String])] = [
        ("men", ["king", "prince", "duke", "lord", "father", "son", "brother", "husband", "man", "sir"]),
        ("women", ["queen", "princess", "duchess", "lady", "mother", "daughter", "sister", "wife", "woman", "madam"]),
        ("pronouns", ["he", "she", "him", "her", "his", "thou", "thee", "thy", "you", "your"]),
    ]

    /// The diagrams that train nothing: quick enough for a debug-build test.
    public static func untrained(seed: UInt64 = 42) throws -> [(String, any Figure)] {
        let trainer = try Word2VecTrainer(text: try Chapter4.corpus(path: nil).text, options: figureOptions(seed: seed))
        return [("04-skipgram-example.svg", try skipGramExample(trainer)),
                ("04-noise-and-subsampling.svg", try noiseAndSubsampling(trainer))]
    }

    public static func trained(seed: UInt64 = 42) throws -> [(String, any Figure)] {
        let (text, name) = try Chapter4.corpus(path: nil)
        let sgns = try Chapter4.run(figureOptions(seed: seed), text: text, dataset: name)
        var c = Word2VecOptions(model: .cbow, seed: seed)
        c.threads = 1
        let cbow = try Chapter4.run(c, text: text, dataset: name)
        return [("04-sgns-step.svg", try sgnsStep(sgns.trainer, result: sgns.result)),
                ("04-pca.svg", try pca(sgns.result.embeddings)),
                ("04-loss.svg", loss(sgns: sgns.result, cbow: cbow.result))]
    }

    /// The chosen words projected on the first two principal components of
    /// their own vectors, coloured by group and labelled.
    static func pca(_ e: Embeddings) throws -> ScatterPlot {
        var rows: [[Double]] = [], labels: [Int] = [], names: [String] = []
        for (g, group) in groups.enumerated() {
            for w in group.words {
                rows.append(try e.vector(w).map(Double.init))
                labels.append(g)
                names.append(w)
            }
        }
        let p = PCA(rows: rows, components: 2)
        let points = rows.map { p.project($0) }
        return ScatterPlot(
            title: "SGNS embeddings (D = 100) of 30 words, first two principal components",
            xLabel: String(format: "PC1 (variance %.3f)", p.variances[0]),
            yLabel: String(format: "PC2 (variance %.3f)", p.variances[1]),
            points: points, labels: labels, classNames: groups.map(\.name),
            annotations: zip(names, points).map { Annotation($0.0, x: $0.1[0], y: $0.1[1]) },
            width: 720, height: 520)
    }

    /// The training loss (mean L per example, sampled on every 8th centre
    /// word) against epochs. It starts at (1 + K)·log 2 ≈ 4.16 (u = 0); the
    /// wiggles repeat every epoch because the text is read in order and some
    /// plays are harder to predict than others.
    static func loss(sgns: Word2VecResult, cbow: Word2VecResult) -> LinePlot {
        func series(_ n: String, _ r: Word2VecResult) -> LinePlot.Series {
            .init(name: n, x: r.lossHistory.map { $0.progress * 5 }, y: r.lossHistory.map(\.loss))
        }
        return LinePlot(
            title: "Training loss on tinyshakespeare (K = 5 negatives)",
            xLabel: "epoch (each reads the text in the same order)", yLabel: "mean loss per example",
            series: [series("skip-gram (SGNS)", sgns), series("CBOW", cbow)], width: 720)
    }
}
