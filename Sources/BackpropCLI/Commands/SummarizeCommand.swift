// `backprop summarize`: the mean and standard deviation, over several runs,
// of what `backprop train … --json` reports. A comparison between two models
// rests on more than one seed when each is run a few times:
//
//   for s in 1 2 3; do backprop train cnn --seed $s --json; done | backprop summarize
//
// It reads the JSON lines of `train --json` from files or standard input
// (other lines, such as the results table, are skipped), groups the runs by
// their text and yes/no fields (model, dataset and settings such as
// "batch_norm": true or "cell": "lstm"), and for every number reported by all
// runs of a group
// prints the mean, the sample standard deviation (n − 1 in the denominator:
// the runs are a sample of the seeds one could have chosen), the minimum and
// the maximum. Numbers equal in every run (settings, parameter counts) are
// listed once instead.

import BackpropCore
import Foundation
import Storage

enum SummarizeCommand {
    static let command = Command(
        "summarize", summary: "mean ± standard deviation over runs of the JSON lines that `train --json` prints",
        positionals: "[FILE…]",
        flags: [Flag(name: "json", value: nil, help: "one JSON object per model and dataset instead of a table")],
        details: """
            Reads the files named (or standard input) and uses every line that is a JSON object with a "model" \
            field; other lines are skipped. Example:

              for s in 1 2 3; do backprop train cnn --seed $s --json; done | backprop summarize
            """
    ) { args in
        var sources: [(name: String, text: String)] = []
        if args.positionals.isEmpty {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            sources.append(("standard input", String(decoding: data, as: UTF8.self)))
        } else {
            for path in args.positionals {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw args.error("cannot read \(path)")
                }
                sources.append((path, String(decoding: data, as: UTF8.self)))
            }
        }
        let groups = try RunGroups(sources)
        guard !groups.groups.isEmpty else {
            throw args.error("no `train --json` lines (JSON objects with a \"model\" field) in "
                             + sources.map(\.name).joined(separator: ", "))
        }
        print(args.has("json") ? groups.json : groups.table)
    }
}

/// Runs grouped by model and dataset, with the statistics of each number.
struct RunGroups {
    struct Statistic: Equatable {
        var name: String
        var mean: Double, standardDeviation: Double, minimum: Double, maximum: Double
    }

    struct Group {
        var model: String
        var dataset: String
        /// Every text and yes/no field of the runs, "model" and "dataset" first: what makes them one group.
        var settings: [(String, JSONValue)]
        var runs: [[(String, JSONValue)]] = []

        /// "cnn on digits (batch_norm true, backend simd)".
        var title: String {
            let others = settings.filter { $0.0 != "model" && $0.0 != "dataset" }
                .map { "\($0.0) \($0.1.stringValue ?? $0.1.rendered)" }
            return model + (dataset.isEmpty ? "" : " on \(dataset)") + (others.isEmpty ? "" : " (\(others.joined(separator: ", ")))")
        }

        /// The numeric fields every run reports, in the order the first run lists them.
        var numericFields: [String] {
            guard let first = runs.first else { return [] }
            return first.compactMap { field in
                runs.allSatisfy({ run in run.first { $0.0 == field.0 }?.1.doubleValue != nil }) ? field.0 : nil
            }
        }

        func values(_ field: String) -> [Double] {
            runs.compactMap { run in run.first { $0.0 == field }?.1.doubleValue }
        }

        /// Fields whose value differs between runs, with their statistics.
        var varying: [Statistic] {
            numericFields.compactMap { name in
                let v = values(name)
                guard Set(v).count > 1 else { return nil }
                return RunGroups.statistic(name, v)
            }
        }

        /// Numeric fields equal in every run.
        var constant: [(String, Double)] {
            numericFields.compactMap { name in
                let v = values(name)
                return Set(v).count == 1 ? (name, v[0]) : nil
            }
        }
    }

    var groups: [Group] = []

    /// Parses every line that is a JSON object with a "model" field.
    /// - Throws: `UsageError` naming the source and line of a line that starts
    ///   like a JSON object but does not parse.
    init(_ sources: [(name: String, text: String)]) throws {
        for source in sources {
            for (number, raw) in source.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                guard line.hasPrefix("{") else { continue }
                let value: JSONValue
                do {
                    value = try JSONParser.parse(line)
                } catch {
                    throw UsageError("backprop summarize: \(source.name), line \(number + 1): \(error)")
                }
                guard let fields = value.objectValue, let model = value["model"]?.stringValue else { continue }
                let dataset = value["dataset"]?.stringValue ?? ""
                let settings = fields.filter { field in
                    switch field.1 { case .string, .bool: true; default: false }
                }
                let key = JSONValue.object(settings).rendered
                if let i = groups.firstIndex(where: { JSONValue.object($0.settings).rendered == key }) {
                    groups[i].runs.append(fields)
                } else {
                    groups.append(Group(model: model, dataset: dataset, settings: settings, runs: [fields]))
                }
            }
        }
    }

    /// Mean, sample standard deviation (0 for one value), minimum and maximum.
    static func statistic(_ name: String, _ values: [Double]) -> Statistic {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return Statistic(name: name, mean: mean, standardDeviation: values.count > 1 ? (squares / (n - 1)).squareRoot() : 0,
                         minimum: values.min()!, maximum: values.max()!)
    }

    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : String(format: "%.6g", x)
    }

    var table: String {
        groups.map { g in
            var lines = ["\(g.title): \(g.runs.count) run\(g.runs.count == 1 ? "" : "s")"]
            let rows = g.varying.map { s in
                [s.name, Self.format(s.mean) + " ± " + Self.format(s.standardDeviation), Self.format(s.minimum), Self.format(s.maximum)]
            }
            if !rows.isEmpty {
                lines.append(TextTable.render(header: ["metric", "mean ± std", "min", "max"], rows: rows))
            }
            if !g.constant.isEmpty {
                lines.append("the same in every run: " + g.constant.map { "\($0.0) \(Self.format($0.1))" }.joined(separator: ", "))
            }
            return lines.joined(separator: "\n")
        }.joined(separator: "\n\n")
    }

    var json: String {
        groups.map { g in
            let stats = g.varying.map { s in
                (s.name, JSONValue.object([("mean", .number(s.mean)), ("std", .number(s.standardDeviation)),
                                           ("min", .number(s.minimum)), ("max", .number(s.maximum))]))
            }
            return JSONValue.object(g.settings + [
                ("runs", .integer(g.runs.count)),
                ("varying", .object(stats)), ("constant", .object(g.constant.map { ($0.0, JSONValue.number($0.1)) })),
            ]).rendered
        }.joined(separator: "\n")
    }
}
