// Chapter 6's committed figures that need no training (the diagrams) must be
// exactly what the code draws. (The trained ones are checked with
// `swift run -c release backprop figures --check`.)

import BackpropCore
import Figures
import Foundation
import RecurrentNetworks
import Testing

@Suite struct FigureFilesTests {
    @Test func committedUntrainedFiguresMatchTheCode() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("chapters/figures")
        for (name, figure) in try Chapter6Figures.untrained() {
            let committed = try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            #expect(committed == figure.render(), "chapters/figures/\(name) is stale: run `swift run backprop figures --chapter 6 --untrained`")
        }
    }
}
