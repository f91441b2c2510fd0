// `backprop tour`: every chapter that exists, on its shipped data, then one
// results table.

import BackpropCore
import Foundation
import LinearModels
import Backpropagation
import ConvolutionalNetworks
import WordEmbeddings
import RecurrentNetworks
import Transformer

enum TourCommand {
    static let flags = [
        Flag(name: "seed", value: "S", help: "random seed (default 42)"),
        Flag(name: "json", value: nil, help: "also print one JSON line per run"),
    ]

    static func run(_ words: [String]) throws {
        let args = try Arguments(command: "tour", words: words, flags: flags)
        if args.wantsHelp {
            print(helpText(usage: "backprop tour [--seed S] [--json]",
                           summary: "Train every chapter's models on shipped data and print a results table.",
                           flags: flags))
            return
        }
        guard args.positionals.isEmpty else { throw UsageError("backprop tour: unexpected argument '\(args.positionals[0])'") }
        let seed = try args.seed()
        let start = Date()
        let chapters: [(title: String, runs: [(name: String, run: () throws -> RunSummary)])] = [
            ("Chapter 1: linear models and the perceptron", Chapter1.tour(seed: seed)),
            ("Chapter 2: the multilayer perceptron and backpropagation", Chapter2.tour(seed: seed)),
            ("Chapter 4: word embeddings", Chapter4.tour(seed: seed)),
            ("Chapter 5: convolutional networks", Chapter5.tour(seed: seed)),
            ("Chapter 6: recurrent networks", Chapter6.tour(seed: seed)),
            ("Chapter 7: attention and the Transformer", Chapter7.tour(seed: seed)),
        ]
        var results: [RunSummary] = []
        for chapter in chapters {
            print(chapter.title)
            let progress = ProgressLine("  ", total: chapter.runs.count, unit: "runs")
            for (i, item) in chapter.runs.enumerated() {
                progress.update(i, note: item.name)
                results.append(try item.run())
            }
            progress.finish()
        }
        print("")
        print(table(results))
        for r in results {
            if case .string(let sample)? = r.details.first(where: { $0.0 == "sample" })?.1 {
                print("\nSample from \(r.model):\n\(sample)")
            }
        }
        print(String(format: "\n%d runs in %.1f s (seed %llu)", results.count, Date().timeIntervalSince(start), seed))
        if args.has("json") { results.forEach { print($0.json) } }
    }

    /// The results table: one row per run, the headline metrics as columns.
    static func table(_ runs: [RunSummary]) -> String {
        func pct(_ x: Double?) -> String { x.map { String(format: "%.1f%%", $0 * 100) } ?? "" }
        func num(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "" }
        let rows = runs.map { r -> [String] in
            var note = ""
            if case .bool(let c)? = r.details.first(where: { $0.0 == "converged" })?.1 { note = c ? "converged" : "did not converge" }
            if case .number(let g)? = r.details.first(where: { $0.0 == "gap_to_normal_equations" })?.1 {
                note = String(format: "GD within %.1e of normal equations", g)
            }
            if let a = r.metric("analogy_accuracy"), let m = r.metric("related_margin") {
                note = String(format: "analogies %.0f%%, related-pair margin %.2f", a * 100, m)
            }
            if let v = r.metric("val_loss") { note = String(format: "validation loss %.3f nats/char", v) }
            return ["\(r.chapter)", r.model, r.dataset, pct(r.metric("train_accuracy")), pct(r.metric("test_accuracy")),
                    num(r.metric("test_loss") ?? r.metric("val_loss")), String(format: "%.2f", r.seconds), note]
        }
        return TextTable.render(
            header: ["ch", "model", "dataset", "train acc", "test acc", "test loss", "seconds", "note"], rows: rows)
    }
}
