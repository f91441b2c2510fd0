// `backprop figures`: regenerates every chapter's figures.

import BackpropCore
import Foundation
import LinearModels

enum FiguresCommand {
    static let flags = [
        Flag(name: "out", value: "DIR", help: "output folder (default chapters/figures)"),
    ]

    static func run(_ words: [String]) throws {
        let args = try Arguments(command: "figures", words: words, flags: flags)
        if args.wantsHelp {
            print(helpText(usage: "backprop figures [--out DIR]",
                           summary: "Regenerate every chapter's figures (SVG) from the code.", flags: flags))
            return
        }
        guard args.positionals.isEmpty else { throw UsageError("backprop figures: unexpected argument '\(args.positionals[0])'") }
        let dir = URL(fileURLWithPath: args.string("out") ?? "chapters/figures")
        for (name, svg) in try Chapter1Figures.all() {
            let url = dir.appendingPathComponent(name)
            try svg.write(to: url)
            print("wrote \(url.path)")
        }
    }
}
