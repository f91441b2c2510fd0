// `backprop neighbors`: the nearest words (by cosine) to each given word in
// a saved embeddings file.

import BackpropCore
import Foundation
import Storage
import WordEmbeddings

enum NeighborsCommand {
    static let flags = [
        Flag(name: "embeddings", value: "PATH", help: "a word2vec text file or checkpoint (from `backprop train word2vec --save`)"),
        Flag(name: "count", value: "N", help: "neighbours per word (default 10)"),
    ]

    static func run(_ words: [String]) throws {
        let args = try Arguments(command: "neighbors", words: words, flags: flags)
        if args.wantsHelp {
            print(helpText(usage: "backprop neighbors --embeddings PATH WORD… [--count N]",
                           summary: "Print each word's nearest neighbours by cosine similarity.", flags: flags))
            return
        }
        guard !args.positionals.isEmpty else { throw UsageError("backprop neighbors: which words? (e.g. `backprop neighbors --embeddings v.txt king love`)") }
        let count = try args.int("count", default: 10)
        let e = try loadEmbeddings(args, command: "neighbors")
        for w in args.positionals {
            let list = try e.neighbors(of: w.lowercased(), count: count)
            print("\(w.lowercased()):")
            for n in list { print("  " + n.word.padding(toLength: max(16, n.word.count), withPad: " ", startingAt: 0) + " " + String(format: "%.4f", n.cosine)) }
        }
    }

    /// Loads --embeddings, which every query command needs.
    static func loadEmbeddings(_ args: Arguments, command: String) throws -> Embeddings {
        guard let path = args.string("embeddings") else {
            throw UsageError("backprop \(command): --embeddings PATH is required (a file from `backprop train word2vec --save PATH`)")
        }
        let url = URL(fileURLWithPath: path)
        // A checkpoint starts with its magic bytes; anything else is read as text.
        if let handle = try? FileHandle(forReadingFrom: url) {
            defer { try? handle.close() }
            if let head = try? handle.read(upToCount: CheckpointFormat.magic.count), Array(head) == CheckpointFormat.magic {
                return try Embeddings.load(url)
            }
        }
        return try Embeddings.loadText(url)
    }
}
