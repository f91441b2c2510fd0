// `backprop figures`: regenerates every chapter's figures.

import BackpropCore
import Figures
import Foundation
import LinearModels
import Backpropagation
import ConvolutionalNetworks
import WordEmbeddings
import RecurrentNetworks
import Transformer

enum FiguresCommand {
    static let flags = [
        Flag(name: "out", value: "DIR", help: "output folder (default chapters/figures)"),
        Flag(name: "chapter", value: "N", help: "only this chapter's figures"),
        Flag(name: "check", value: nil, help: "compare with the files in the folder instead of writing; fail if any differ"),
    ]

    static func run(_ words: [String]) throws {
        let args = try Arguments(command: "figures", words: words, flags: flags)
        if args.wantsHelp {
            print(helpText(usage: "backprop figures [--out DIR] [--chapter N] [--check]",
                           summary: "Regenerate every chapter's figures (SVG) from the code. Build with -c release: some figures train models.",
                           flags: flags))
            return
        }
        guard args.positionals.isEmpty else { throw UsageError("backprop figures: unexpected argument '\(args.positionals[0])'") }
        let dir = URL(fileURLWithPath: args.string("out") ?? "chapters/figures")
        var stale: [String] = []
        let chapters: [(number: Int, make: () throws -> [(String, any Figure)])] = [
            (1, { try Chapter1Figures.all() }),
            (2, { try Chapter2Figures.untrained() + Chapter2Figures.trained() }),
            (4, { try Chapter4Figures.trained() }),
            (5, { try Chapter5Figures.trained() }),
            (6, { try Chapter6Figures.trained() }),
            (7, { try Chapter7Figures.trained() }),
        ]
        let only = args.string("chapter") == nil ? nil : try args.int("chapter", default: 1, range: 1...9)
        let figures = try chapters.filter { only == nil || $0.number == only }.flatMap { try $0.make() }
        for (name, figure) in figures {
            let url = dir.appendingPathComponent(name)
            if args.has("check") {
                let committed = try? String(contentsOf: url, encoding: .utf8)
                if committed != figure.render() { stale.append(name) }
                print("\(committed == figure.render() ? "same" : "DIFFERS")  \(url.path)")
            } else {
                try figure.write(to: url)
                print("wrote \(url.path)")
            }
        }
        if !stale.isEmpty {
            throw UsageError("backprop figures: \(stale.count) figure(s) differ from the code: \(stale.joined(separator: ", "))")
        }
    }
}
