// Chapter 4's queries on saved word embeddings: `backprop neighbors` (the
// nearest words by cosine to each given word) and `backprop analogy`
// (a : b :: c : ? by vector offset).

import BackpropCore
import Foundation
import Storage
import WordEmbeddings

enum EmbeddingQueries {
    static let embeddingsFlag = Flag(name: "embeddings", value: "PATH",
                                     help: "a word2vec text file or checkpoint (from `backprop train word2vec --save`)", required: true)

    static let neighbors = Command(
        "neighbors", summary: "nearest words by cosine in saved word embeddings", positionals: "WORD…",
        flags: [embeddingsFlag, Flag(name: "count", value: "N", help: "neighbours per word (default 10)")]
    ) { args in
        guard !args.positionals.isEmpty else { throw args.error("which words? (e.g. `backprop neighbors --embeddings v.txt king love`)") }
        let count = try args.int("count", default: 10)
        let e = try loadEmbeddings(args)
        for w in args.positionals {
            let list = try e.neighbors(of: w.lowercased(), count: count)
            print("\(w.lowercased()):")
            for n in list { print(row(n)) }
        }
    }

    static let analogy = Command(
        "analogy", summary: "a : b :: c : ? by vector offset in saved word embeddings", positionals: "A B C",
        flags: [embeddingsFlag, Flag(name: "count", value: "N", help: "answers to show (default 5)")],
        details: "Answers 'A is to B as C is to ?' with the words nearest to B − A + C (A, B, C excluded)."
    ) { args in
        guard args.positionals.count == 3 else {
            throw args.error("expected three words A B C, got \(args.positionals.count)")
        }
        let count = try args.int("count", default: 5)
        let e = try loadEmbeddings(args)
        let (a, b, c) = (args.positionals[0].lowercased(), args.positionals[1].lowercased(), args.positionals[2].lowercased())
        let answers = try e.analogy(a, b, c, count: count)
        print("\(a) : \(b) :: \(c) : ?")
        for n in answers { print(row(n)) }
    }

    static func row(_ n: (word: String, cosine: Double)) -> String {
        "  " + n.word.padding(toLength: max(16, n.word.count), withPad: " ", startingAt: 0) + " " + String(format: "%.4f", n.cosine)
    }

    /// Loads --embeddings, which every query command needs.
    static func loadEmbeddings(_ args: Arguments) throws -> Embeddings {
        guard let path = args.string("embeddings") else {
            throw args.error("--embeddings PATH is required (a file from `backprop train word2vec --save PATH`)")
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
