// `backprop predict --model PATH [--input FILE|-]`: offline inference from a
// checkpoint alone. Classifiers read one input per line (numbers separated by
// commas or spaces) and print the class and its probabilities; a linear
// regression prints its prediction; word embeddings read one word per line
// and print its nearest neighbours. Blank lines and lines starting with '#'
// are skipped. Inputs are batched (256 rows per forward pass).

import BackpropCore
import Foundation
import ModelAsAService

/// A bad input line: the message names the line.
struct InputLineError: Error, CustomStringConvertible {
    let source: String
    let line: Int
    let reason: String
    var description: String { "\(source), line \(line): \(reason)" }
}

enum PredictCommand {
    static let batchSize = 256

    static let command = Command(
        "predict", summary: "run a saved model (checkpoint) on inputs, one per line",
        flags: [
            Flag(name: "model", value: "PATH", help: "a checkpoint written by `backprop train … --save PATH`", required: true),
            Flag(name: "input", value: "FILE|-", help: "inputs, one per line (default -, standard input)"),
            Flag(name: "count", value: "N", help: "neighbours per word for embeddings (default 10)"),
            Flag(name: "json", value: nil, help: "print one JSON object per input line"),
        ],
        details: """
            Runs in inference mode, from the checkpoint alone.
            classifiers (perceptron, logistic, mlp, cnn): each line holds one input, numbers separated by
            commas or spaces, raw as in the dataset (the checkpoint applies its own standardisation);
            prints the class, its name and the probability of every class.
            linear: prints the predicted value. word2vec: each line is a word; prints its neighbours.
            """
    ) { args in
        guard let path = args.string("model") else {
            throw args.error("--model PATH is required (a checkpoint from `backprop train … --save PATH`)")
        }
        let count = try args.int("count", default: 10)
        let source = args.string("input") ?? "-"
        let text: String
        if source == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard FileManager.default.fileExists(atPath: source) else { throw args.error("no input file at \(source)") }
            do { text = try String(contentsOf: URL(fileURLWithPath: source), encoding: .utf8) } catch {
                throw args.error("cannot read \(source) as UTF-8 text")
            }
        }
        for line in try outputLines(modelPath: path, text: text, source: source == "-" ? "standard input" : source,
                                    json: args.has("json"), neighbors: count) {
            print(line)
        }
    }

    /// What `predict` prints for the model at `modelPath` and input `text`.
    static func outputLines(modelPath: String, text: String, source: String = "input", json: Bool = false, neighbors: Int = 10) throws -> [String] {
        try outputLines(model: try ModelRegistry.open(URL(fileURLWithPath: modelPath)), text: text, source: source, json: json, neighbors: neighbors)
    }

    /// The non-blank, non-comment lines of `text` with their 1-based numbers.
    static func inputLines(_ text: String) -> [(number: Int, text: String)] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { i, raw in
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            return line.isEmpty || line.hasPrefix("#") ? nil : (i + 1, line)
        }
    }

    /// One row of numbers, checked against the model's width.
    static func parseRow(_ line: (number: Int, text: String), width: Int, source: String) throws -> [Double] {
        let fields = line.text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map(String.init)
        let values = try fields.map { f -> Double in
            guard let x = Double(f), x.isFinite else {
                throw InputLineError(source: source, line: line.number, reason: "'\(f.prefix(40))' is not a finite number")
            }
            return x
        }
        guard values.count == width else {
            throw InputLineError(source: source, line: line.number, reason: "has \(values.count) values; the model expects \(width)")
        }
        return values
    }

    /// What `predict` prints for `text`, line by line.
    static func outputLines(model: LoadedModel, text: String, source: String, json: Bool, neighbors: Int) throws -> [String] {
        let lines = inputLines(text)
        var out: [String] = []
        switch model {
        case .classifier(let c):
            for start in stride(from: 0, to: lines.count, by: batchSize) {
                let batch = Array(lines[start..<min(start + batchSize, lines.count)])
                let rows = try batch.map { try parseRow($0, width: c.inputWidth, source: source) }
                for (line, p) in zip(batch, try c.predict(rows)) {
                    guard p.isFinite else {  // finite inputs whose scores overflow: no class to print (not "-nan")
                        throw InputLineError(source: source, line: line.number, reason: InferenceError.nonFiniteOutput(row: 0).reason)
                    }
                    if json {
                        out.append(JSONValue.object([("line", .integer(line.number))] + p.jsonFields).rendered)
                    } else {
                        let probabilities = p.probabilities.map { String(format: "%.4f", $0) }.joined(separator: " ")
                        out.append("line \(line.number): class \(p.class) (\(p.label ?? "?"))  probabilities \(probabilities)")
                    }
                }
            }
        case .regressor(let r):
            let rows = try lines.map { try parseRow($0, width: r.inputWidth, source: source) }
            for (line, y) in zip(lines, try r.predict(rows)) {
                out.append(json ? JSONValue.object([("line", .integer(line.number)), ("prediction", .number(y))]).rendered
                                : "line \(line.number): \(y)")
            }
        case .embeddings(let e):
            for line in lines {
                let word = line.text.lowercased()
                guard e.id(of: word) != nil else {
                    throw InputLineError(source: source, line: line.number, reason: "'\(word)' is not in the vocabulary")
                }
                let list = try e.neighbors(of: word, count: neighbors)
                if json {
                    out.append(JSONValue.object([
                        ("line", .integer(line.number)), ("word", .string(word)),
                        ("neighbors", .array(list.map { .object([("word", .string($0.word)), ("cosine", .number($0.cosine))]) })),
                    ]).rendered)
                } else {
                    out.append("\(word): " + list.map { "\($0.word) \(String(format: "%.4f", $0.cosine))" }.joined(separator: ", "))
                }
            }
        case .generator(let g):
            throw UsageError("backprop predict: \(g.info.kind) is a text generator; use `backprop generate --model PATH --prompt TEXT`")
        }
        return out
    }
}
