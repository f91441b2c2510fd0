// `backprop tour`: every chapter's tour runs on its shipped data, then one
// results table.

import BackpropCore
import Foundation

enum TourCommand {
    static let command = Command(
        "tour", summary: "train every chapter on its shipped data and print a results table",
        flags: [.seed(), Flag(name: "json", value: nil, help: "also print one JSON line per run")],
        details: "Chapters: " + Book.chapters.filter { !$0.tour(0).isEmpty }.map { String($0.number) }.joined(separator: ", ")
            + ". Build with -c release: the runs train real models (about 15 seconds in all)."
    ) { args in
        let seed = try args.seed()
        let start = Date()
        var results: [RunSummary] = []
        for chapter in Book.chapters {
            let runs = chapter.tour(seed)
            guard !runs.isEmpty else { continue }
            print(chapter.heading)
            let progress = ProgressLine("  ", total: runs.count, unit: "runs")
            for (i, item) in runs.enumerated() {
                progress.update(i, note: item.name)
                results.append(try item.run())
            }
            progress.finish()
        }
        print("")
        print(ResultsTable.render(results))
        for r in results {
            if case .string(let sample)? = r.details.first(where: { $0.0 == "sample" })?.1 {
                print("\nSample from \(r.model):\n\(sample)")
            }
        }
        print(String(format: "\n%d runs in %.1f s (seed %llu)", results.count, Date().timeIntervalSince(start), seed))
        if args.has("json") { results.forEach { print($0.json) } }
    }
}
