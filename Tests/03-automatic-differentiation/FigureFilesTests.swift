// Chapter 3's committed figures (all drawn without training) must be exactly
// what the code draws, and the numbers the chapter quotes from them must be
// the engine's.

import AutomaticDifferentiation
import BackpropCore
import Figures
import Foundation
import Testing

@Suite struct FigureFilesTests {
    @Test func committedFiguresMatchTheCode() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("chapters/figures")
        for (name, figure) in try Chapter3Figures.untrained() {
            let committed = try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            #expect(committed == figure.render(), "chapters/figures/\(name) is stale: run `swift run backprop figures --chapter 3 --untrained`")
        }
    }

    /// The worked example of "The graph, and a value used twice": the
    /// numbers the chapter writes out by hand.
    @Test func workedScalarExample() {
        let e = Chapter3Figures.scalarExample()
        let t = tanh(0.5)
        #expect(abs(e.loss.data - 2 * t) < 1e-15)
        #expect(abs(e.a.grad - (-2 * t + 2 * (1 - t * t))) < 1e-14)
        #expect(abs(e.b.grad - 0.5 * t) < 1e-15)
        #expect(abs(e.c.grad - t) < 1e-15)
        #expect(abs(e.a.grad - 0.648661) < 1e-6)
    }

    /// The tape example: its records in order, and its gradients against
    /// centered differences.
    @Test func tapeExample() throws {
        let e = try Chapter3Figures.tapeExample()
        #expect(e.tape.operations == ["leaf", "leaf", "matmul(nn)", "add", "tanh", "sum", "scale"])
        let x: [[Double]] = [[1, 0, 2], [0, 1, -1], [2, 1, 0], [-1, 1, 1]]
        func loss(_ w: [Double], _ b: [Double]) -> Double {
            var total = 0.0
            for row in x { for j in 0..<2 { total += tanh(row[0] * w[j] + row[1] * w[2 + j] + row[2] * w[4 + j] + b[j]) } }
            return total / 8
        }
        let w = [0.5, -0.25, 0.25, 0.5, -0.5, 0.25], b = [0.1, -0.1]
        #expect(abs(e.loss.item - loss(w, b)) < 1e-15)
        for i in 0..<6 {
            var p = w, m = w
            p[i] += 1e-6; m[i] -= 1e-6
            #expect(abs(e.w.grad!.scalars[i] - (loss(p, b) - loss(m, b)) / 2e-6) < 1e-9)
        }
        for j in 0..<2 {
            var p = b, m = b
            p[j] += 1e-6; m[j] -= 1e-6
            #expect(abs(e.b.grad!.scalars[j] - (loss(w, p) - loss(w, m)) / 2e-6) < 1e-9)
        }
    }

    @Test func gradientCostCounts() {
        let c = Chapter3Figures.gradientCosts()
        #expect(c.parameters == 85_002)
        #expect(c.forward == 84_480)
        #expect(c.reverse == 3 * 84_480)
        #expect(c.forwardMode / c.reverse == 85_002)
    }
}
