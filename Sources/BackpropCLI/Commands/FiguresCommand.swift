// `backprop figures`: regenerates every chapter's figures (or one chapter's),
// or with --check compares them with the committed files.

import BackpropCore
import Foundation

enum FiguresCommand {
    static var chapterNumbers: [String] { Book.chapters.map { String($0.number) } }

    static let command = Command(
        "figures", summary: "regenerate every chapter's figures into chapters/figures/",
        flags: [
            Flag(name: "out", value: "DIR", help: "output folder (default chapters/figures)"),
            Flag(name: "chapter", choices: chapterNumbers, help: "only this chapter's figures"),
            Flag(name: "check", value: nil, help: "compare with the files in the folder instead of writing; fail if any differ"),
            Flag(name: "untrained", value: nil, help: "only the figures that train nothing (the diagrams and most plots): quick in any build"),
        ],
        details: "The figures are SVG, drawn by the code. Build with -c release: some figures train models."
    ) { args in
        let dir = URL(fileURLWithPath: args.string("out") ?? "chapters/figures")
        let only = try args.choice("chapter", from: chapterNumbers, default: nil).flatMap(Int.init)
        var stale: [String] = []
        for chapter in Book.chapters where only == nil || chapter.number == only {
            if only != nil, let note = chapter.figuresNote { print(note) }
            let trained = args.has("untrained") ? [] : try chapter.trainedFigures()
            for (name, figure) in try chapter.untrainedFigures() + trained {
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
        }
        if !stale.isEmpty {
            throw args.error("\(stale.count) figure(s) differ from the code: \(stale.joined(separator: ", "))")
        }
    }
}
