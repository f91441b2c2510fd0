// The file a trained BPE is saved in: plain text, one fact a line, so it can
// be read (and diffed) by eye. A merge is all a tokenizer is, so there is no
// tensor to keep, and a checkpoint would only wrap this text.
//
//   backprop-bpe 1                  format and version
//   pre-tokenization gpt2           gpt2 or none
//   special <|endoftext|>           one line per special token, in id order (the rest of the line)
//   merge 101 32                    merge k (k = 0, 1, …) makes token 256 + k from these two ids
//   merge 116 104
//   …
//
// Lines starting with "#" are comments; a comment after a merge shows the
// bytes it makes ("merge 101 32  # \"e \""), written by `save`, ignored by `load`.
// Every error names the file and line.

import Foundation

extension BPETokenizer {
    static let magic = "backprop-bpe 1"

    /// The tokenizer in the text format above.
    public func fileText() -> String {
        var lines = [Self.magic, "pre-tokenization \(preTokenization.rawValue)"]
        lines += specialTokens.map { "special \($0)" }
        for (k, m) in merges.enumerated() {
            let bytes = (try? self.bytes(of: 256 + k)) ?? []
            lines.append("merge \(m.left) \(m.right)  # \(String(decoding: bytes, as: UTF8.self).debugDescription)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the tokenizer to `url` (atomically).
    public func save(to url: URL) throws {
        do { try Data(fileText().utf8).write(to: url, options: .atomic) } catch {
            throw TokenizerError.unreadable(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads a tokenizer saved by `save(to:)`.
    /// - Throws: `TokenizerError` naming the file, line and problem.
    public static func load(_ url: URL) throws -> BPETokenizer {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TokenizerError.unreadable(path: url.path, reason: "no such file or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError.malformed(path: url.path, line: 1, reason: "the file is not UTF-8 text")
        }
        return try parse(text, path: url.path)
    }

    /// Parses the text format; `path` names the source in errors.
    public static func parse(_ text: String, path: String) throws -> BPETokenizer {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard lines.first.map({ $0.trimmingCharacters(in: .whitespaces) }) == magic else {
            throw TokenizerError.malformed(path: path, line: 1, reason: "expected \"\(magic)\": not a BPE file of this version")
        }
        var preTokenization: PreTokenization?
        var specials: [String] = []
        var merges: [Merge] = []
        var seen: [Int: Int] = [:]  // pair → the merge that made it
        for (number, raw) in lines.enumerated().dropFirst() {
            func fail(_ why: String) -> TokenizerError { .malformed(path: path, line: number + 1, reason: why) }
            if raw.hasPrefix("special ") {
                guard merges.isEmpty else { throw fail("special tokens must come before the merges") }
                specials.append(String(raw.dropFirst("special ".count)))
                continue
            }
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let words = line.split(separator: " ")
            guard let keyword = words.first else { continue }
            switch keyword {
            case "pre-tokenization":
                guard words.count == 2, let p = PreTokenization(rawValue: String(words[1])) else {
                    throw fail("expected \"pre-tokenization gpt2\" or \"pre-tokenization none\"")
                }
                guard preTokenization == nil else { throw fail("pre-tokenization is given twice") }
                preTokenization = p
            case "merge":
                guard words.count == 3, let a = Int(words[1]), let b = Int(words[2]) else {
                    throw fail("expected \"merge LEFT RIGHT\" with two token ids, got \"\(raw)\"")
                }
                let k = merges.count
                guard (0..<(256 + k)).contains(a), (0..<(256 + k)).contains(b) else {
                    throw fail("merge \(k) uses id \(max(a, b) >= 256 + k ? max(a, b) : min(a, b)), but only ids 0…\(255 + k) exist before it")
                }
                if let earlier = seen[a << 32 | b] { throw fail("merge \(k) (\(a), \(b)) repeats merge \(earlier)") }
                seen[a << 32 | b] = k
                merges.append(Merge(left: a, right: b))
            default:
                throw fail("unknown line \"\(raw)\" (expected pre-tokenization, special or merge)")
            }
        }
        guard let preTokenization else {
            throw TokenizerError.malformed(path: path, line: lines.count, reason: "no \"pre-tokenization\" line")
        }
        do {
            return try BPETokenizer(merges: merges, specialTokens: specials, preTokenization: preTokenization)
        } catch let error as TokenizerError {
            throw TokenizerError.malformed(path: path, line: lines.count, reason: error.description)
        }
    }
}
