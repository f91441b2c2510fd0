// `backprop figures`: regenerates every chapter's figures.

import BackpropCore
import Foundation
import LinearModels
import NeuralNetworks
import ConvolutionalNetworks
import WordEmbeddings
import Transformers

enum FiguresCommand {
    static let flags = [
        Flag(name: "out", value: "DIR", help: "output folder (default chapters/figures)"),
        Flag(name: "check", value: nil, help: "compare with the files in the folder instead of writing; fail if any differ"),
    ]

    static func run(_ words: [String]) throws {
        let args = try Arguments(command: "figures", words: words, flags: flags)
        if args.wantsHelp {
            print(helpText(usage: "backprop figures [--out DIR] [--check]",
                           summary: "Regenerate every chapter's figures (SVG) from the code. Build with -c release: some figures train models.",
                           flags: flags))
            return
        }
        guard args.positionals.isEmpty else { throw UsageError("backprop figures: unexpected argument '\(args.positionals[0])'") }
        let dir = URL(fileURLWithPath: args.string("out") ?? "chapters/figures")
        var stale: [String] = []
        let figures = try Chapter1Figures.all() + Chapter2Figures.untrained() + Chapter2Figures.trained()
            + Chapter3Figures.trained() + Chapter4Figures.trained() + Chapter6Figures.trained()
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
