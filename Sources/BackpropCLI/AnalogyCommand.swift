// `backprop analogy`: a : b :: c : ? by vector offset in saved embeddings.

import BackpropCore
import Foundation
import WordEmbeddings

enum AnalogyCommand {
    static let flags = [
        Flag(name: "embeddings", value: "PATH", help: "a word2vec text file or checkpoint (from `backprop train word2vec --save`)"),
        Flag(name: "count", value: "N", help: "answers to show (default 5)"),
    ]

    static func run(_ words: [String]) throws {
        let args = try Arguments(command: "analogy", words: words, flags: flags)
        if args.wantsHelp {
            print(helpText(usage: "backprop analogy --embeddings PATH A B C [--count N]",
                           summary: "Answer 'A is to B as C is to ?' with the words nearest to B − A + C (A, B, C excluded).",
                           flags: flags))
            return
        }
        guard args.positionals.count == 3 else {
            throw UsageError("backprop analogy: expected three words A B C, got \(args.positionals.count)")
        }
        let count = try args.int("count", default: 5)
        let e = try NeighborsCommand.loadEmbeddings(args, command: "analogy")
        let (a, b, c) = (args.positionals[0].lowercased(), args.positionals[1].lowercased(), args.positionals[2].lowercased())
        let answers = try e.analogy(a, b, c, count: count)
        print("\(a) : \(b) :: \(c) : ?")
        for n in answers { print("  " + n.word.padding(toLength: max(16, n.word.count), withPad: " ", startingAt: 0) + " " + String(format: "%.4f", n.cosine)) }
    }
}
