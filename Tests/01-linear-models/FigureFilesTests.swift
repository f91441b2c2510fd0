// The committed figures of chapter 1 must be exactly what the code draws
// (`backprop figures` regenerates them).

import BackpropCore
import Figures
import Foundation
import LinearModels
import TestSupport
import Testing

@Suite struct FigureFilesTests {
    @Test func committedFiguresMatchTheCode() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("chapters/figures")
        for (name, figure) in try Chapter1Figures.all() {
            let committed = try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            #expect(committed == figure.render(), "chapters/figures/\(name) is stale: run `swift run backprop figures`")
        }
    }
}
