// Chapter 5's committed diagrams, which train nothing, must be exactly what
// the code draws. (The trained figures are checked with
// `swift run -c release backprop figures --check`.)

import BackpropCore
import ConvolutionalNetworks
import Figures
import Foundation
import Testing

@Suite struct FigureFilesTests {
    @Test func committedUntrainedFiguresMatchTheCode() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("chapters/figures")
        for (name, figure) in try Chapter5Figures.untrained() {
            let committed = try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            #expect(committed == figure.render(), "chapters/figures/\(name) is stale: run `swift run backprop figures --untrained`")
        }
    }
}
