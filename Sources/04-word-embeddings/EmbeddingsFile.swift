// EmbeddingsFile: saving and loading embeddings in word2vec's text format.
//
// Format (UTF-8, lines end with "\n"):
//     <count> <dimension>
//     <word> <v₁> <v₂> … <v_d>          (count lines)
// Words contain no whitespace; values are decimal floats. We write each value
// in Swift's shortest round-trip form, so save → load restores every bit.
// The original C tool writes the same layout (with a trailing space, which
// the loader accepts), so its `-binary 0` output loads here too.
//
// Contract
// - `save` writes to a temporary file in the same folder, then renames it
//   over the destination (rename is atomic on POSIX file systems): a reader
//   never sees half a file, and a failed save leaves the old file intact.
// - `load` validates everything and throws `EmbeddingsError` naming the file,
//   the line and the problem: a missing file, a bad header, a line with the
//   wrong number of values, a non-numeric or non-finite value, a repeated
//   word, or fewer/more words than the header promises.

import BackpropCore
import Foundation
import Storage

extension Embeddings {
    /// The file's text.
    public func textFormat() -> String {
        var out = "\(count) \(dimension)\n"
        for (i, w) in words.enumerated() {
            out += w
            for j in 0..<dimension { out += " \(vectors[i * dimension + j])" }
            out += "\n"
        }
        return out
    }

    /// Writes the embeddings in the text format, atomically (temporary file +
    /// rename). (`save(to:metadata:)` writes a binary checkpoint instead.)
    /// - Throws: `EmbeddingsError.unwritable`.
    public func saveText(to url: URL) throws {
        do {
            try AtomicFile.write(Data(textFormat().utf8), to: url)
        } catch let error as FileWriteError {
            throw EmbeddingsError.unwritable(path: url.path, reason: error.reason)
        }
    }

    /// Reads and validates an embeddings file in the text format (see the
    /// file's contract). (`load(_:)` reads a binary checkpoint instead.)
    public static func loadText(_ url: URL) throws -> Embeddings {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw EmbeddingsError.missingFile(path: path) }
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw EmbeddingsError.unreadable(path: path, reason: error.localizedDescription)
        }
        return try parse(text, path: path)
    }

    /// Parses the text format; `path` is used in error messages.
    public static func parse(_ text: String, path: String) throws -> Embeddings {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let header = lines.first.map { $0.split(separator: " ") } ?? []
        guard header.count == 2, let n = Int(header[0]), let d = Int(header[1]), n >= 0, d > 0 else {
            throw EmbeddingsError.badHeader(path: path, found: String(lines.first ?? ""))
        }
        var words: [String] = []
        var seen: Set<String> = []
        var vectors: [Float] = []
        words.reserveCapacity(n)
        vectors.reserveCapacity(n * d)
        for (i, line) in lines.enumerated().dropFirst() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            let lineNumber = i + 1
            let word = String(fields[0])
            guard fields.count - 1 == d else {
                throw EmbeddingsError.wrongValueCount(path: path, line: lineNumber, word: word, expected: d, found: fields.count - 1)
            }
            guard seen.insert(word).inserted else { throw EmbeddingsError.duplicateWord(path: path, line: lineNumber, word: word) }
            for f in fields.dropFirst() {
                guard let v = Float(f), v.isFinite else {
                    throw EmbeddingsError.notANumber(path: path, line: lineNumber, word: word, value: String(f))
                }
                vectors.append(v)
            }
            words.append(word)
        }
        guard words.count == n else { throw EmbeddingsError.wrongWordCount(path: path, expected: n, found: words.count) }
        return Embeddings(words: words, dimension: d, vectors: vectors)
    }
}
