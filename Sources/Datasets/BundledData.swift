// Datasets that ship inside the package (see README.md beside this file for
// sources and licences), loaded from the module's resource bundle so every
// chapter trains offline.

import BackpropCore
import Foundation

/// An error reading a data file: the message names the file and the problem.
public enum DataError: Error, CustomStringConvertible, Equatable, Sendable {
    case missingResource(String)
    case unreadable(path: String, reason: String)
    case malformed(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .missingResource(let name): return "bundled data file \(name) is missing from the package"
        case let .unreadable(path, reason): return "cannot read \(path): \(reason)"
        case let .malformed(path, line, reason): return "\(path), line \(line): \(reason)"
        }
    }
}

/// The datasets bundled with the book.
public enum BundledData {
    /// The URL of a bundled file such as "iris.csv" (or one without an
    /// extension, such as MNIST's "mnist-5k-labels-idx1-ubyte").
    public static func url(_ file: String) throws -> URL {
        let parts = file.split(separator: ".", maxSplits: 1).map(String.init)
        guard !parts.isEmpty,
            let url = Bundle.module.url(forResource: parts[0], withExtension: parts.count == 2 ? parts[1] : nil)
        else { throw DataError.missingResource(file) }
        return url
    }

    /// Fisher's iris (1936): 150 flowers, 4 measurements in cm (sepal length,
    /// sepal width, petal length, petal width), 3 species.
    public static func iris() throws -> Dataset {
        try CSV.loadLabelled(try url("iris.csv"), name: "iris", header: .countsAndClassNames)
    }

    /// About 40,000 lines of Shakespeare's plays (1,115,394 bytes of plain
    /// text, 65 distinct characters), for word embeddings and language models.
    public static func shakespeare() throws -> String {
        let u = try url("tinyshakespeare.txt")
        do { return try String(contentsOf: u, encoding: .utf8) } catch {
            throw DataError.unreadable(path: u.path, reason: error.localizedDescription)
        }
    }

    /// Handwritten digits: 1,797 images of 8×8 pixels with values 0–16
    /// (row-major, 64 features), labels 0–9.
    public static func digits() throws -> Dataset {
        var d = try CSV.loadLabelled(try url("digits.csv"), name: "digits", header: .none)
        guard d.featureCount == 64, d.classNames.count == 10 else {
            throw DataError.malformed(path: "digits.csv", line: 1, reason: "expected 64 pixels and 10 classes")
        }
        d.classNames = (0..<10).map(String.init)
        return d
    }
}

/// Reads comma-separated numeric tables whose last column is a class label.
public enum CSV {
    /// What the first line of the file holds.
    public enum Header: Sendable {
        /// No header: every line is data; class names are "0", "1", ….
        case none
        /// "n,d,name0,name1,…": the row count, feature count and class names.
        case countsAndClassNames
    }

    /// Loads a labelled table, validating every line.
    public static func loadLabelled(_ url: URL, name: String, header: Header) throws -> Dataset {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw DataError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try parseLabelled(text, path: url.path, name: name, header: header)
    }

    /// Parses the text of a labelled table (see `loadLabelled`).
    public static func parseLabelled(
        _ text: String, path: String, name: String, header: Header
    ) throws -> Dataset {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        while lines.last == "" { lines.removeLast() }
        var classNames: [String] = []
        var expectedRows: Int?, expectedFeatures: Int?
        var first = 0
        if case .countsAndClassNames = header {
            guard let head = lines.first else { throw DataError.malformed(path: path, line: 1, reason: "empty file") }
            let f = head.split(separator: ",").map(String.init)
            guard f.count >= 3, let n = Int(f[0]), let d = Int(f[1]) else {
                throw DataError.malformed(path: path, line: 1, reason: "expected a header 'rows,features,class names…'")
            }
            expectedRows = n; expectedFeatures = d
            classNames = Array(f[2...])
            first = 1
        }
        var values: [Float] = []
        var labels: [Int] = []
        var width: Int? = expectedFeatures
        for index in first..<lines.count {
            let lineNumber = index + 1
            let fields = lines[index].split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 2 else {
                throw DataError.malformed(path: path, line: lineNumber, reason: "expected features and a label")
            }
            let d = fields.count - 1
            if let w = width, w != d {
                throw DataError.malformed(path: path, line: lineNumber, reason: "\(d) features, expected \(w)")
            }
            width = d
            for field in fields.dropLast() {
                guard let v = Float(field), v.isFinite else {
                    throw DataError.malformed(path: path, line: lineNumber, reason: "'\(field)' is not a finite number")
                }
                values.append(v)
            }
            guard let label = Int(fields[d]), label >= 0 else {
                throw DataError.malformed(path: path, line: lineNumber, reason: "'\(fields[d])' is not a class label")
            }
            labels.append(label)
        }
        if let n = expectedRows, n != labels.count {
            throw DataError.malformed(path: path, line: lines.count, reason: "header promises \(n) rows, found \(labels.count)")
        }
        if classNames.isEmpty {
            classNames = (0...(labels.max() ?? 0)).map(String.init)
        }
        if let bad = labels.first(where: { $0 >= classNames.count }) {
            throw DataError.malformed(path: path, line: 0, reason: "label \(bad) has no class name")
        }
        let features = try Tensor(shape: [labels.count, width ?? 0], scalars: values)
        return try Dataset(name: name, features: features, labels: labels, classNames: classNames)
    }
}
