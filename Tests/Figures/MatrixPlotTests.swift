// MatrixPlotTests: the labelled heat map (Sources/Figures/MatrixPlot.swift).
//
// Like FigureTests (whose `parseSVG` / `XMLNode` helpers these tests reuse),
// the SVG is parsed back with XMLParser and checked the way a reader sees it:
// one cell per entry, the printed numbers, and the colours' luminance.

import Foundation
import Testing
@testable import Figures

@Suite struct MatrixPlotTests {
    /// A 10×10 digit confusion matrix shaped like a simple MNIST classifier's.
    static let exampleConfusion: [[Double]] = [
        [963, 0, 2, 1, 0, 4, 6, 2, 2, 0],
        [0, 1112, 3, 2, 0, 1, 4, 2, 11, 0],
        [7, 6, 932, 15, 9, 3, 12, 11, 33, 4],
        [3, 1, 18, 921, 1, 24, 2, 12, 21, 7],
        [1, 2, 5, 1, 917, 0, 10, 3, 9, 34],
        [9, 3, 3, 35, 10, 770, 15, 7, 33, 7],
        [10, 3, 6, 1, 7, 14, 914, 1, 2, 0],
        [1, 8, 22, 7, 6, 1, 0, 951, 3, 29],
        [8, 10, 7, 22, 9, 25, 10, 11, 862, 10],
        [10, 7, 1, 10, 27, 7, 0, 22, 8, 917],
    ]

    static func examples() -> [MatrixPlot] {
        [
            MatrixPlot(title: "Confusion matrix", values: exampleConfusion),
            MatrixPlot(title: "Recall per class", values: exampleConfusion, normalizeRows: true),
            MatrixPlot(title: "Attention", values: [[-1, 0.5, .nan], [0.25, 0, 1], [0.8, -0.3]],
                       rowLabels: ["the", "cat", "sat"], columnLabels: ["a long query", "two", "three"],
                       rowTitle: "key", columnTitle: "query", valueFormat: .decimals(2), colorMap: .diverging),
            MatrixPlot(values: [[0, 0], [0, 0]], rowTitle: "", columnTitle: "", valueFormat: .percent,
                       normalizeRows: true, cellSize: 10),
            MatrixPlot(title: "empty", values: []),
            MatrixPlot(values: [[], []]),
            MatrixPlot(values: [[.infinity, -.infinity, .nan]], cellSize: .nan),
        ]
    }

    /// The fills of the cell rects, row-major.
    static func cellFills(_ root: XMLNode) -> [String] {
        (root.first(classNamed: "cells")?.elements("rect") ?? []).map { $0.attributes["fill"] ?? "" }
    }

    /// The printed values, row-major.
    static func printedValues(_ root: XMLNode) -> [String] {
        (root.first(classNamed: "values")?.elements("text") ?? []).map(\.text)
    }

    @Test func everyExampleIsWellFormedAndDeterministic() throws {
        let first = Self.examples().map { $0.render() }
        let second = Self.examples().map { $0.render() }
        #expect(first == second)
        for svg in first {
            let root = try #require(parseSVG(svg))
            #expect(root.number("width") > 0 && root.number("height") > 0)
            #expect(!svg.lowercased().contains("nan") && !svg.contains("inf"))
        }
    }

    @Test func oneCellPerEntryWithItsValue() throws {
        let root = try #require(parseSVG(MatrixPlot(values: Self.exampleConfusion).render()))
        let cells = try #require(root.first(classNamed: "cells")).elements("rect")
        #expect(cells.count == 100)
        #expect(Self.printedValues(root) == Self.exampleConfusion.flatMap { $0.map { String(Int($0)) } })
        // Cells tile a square grid: row-major, 36 px apart, no gaps.
        #expect(close(cells[1].number("x") - cells[0].number("x"), 36))
        #expect(close(cells[10].number("y") - cells[0].number("y"), 36))
        #expect(close(cells[99].number("x") - cells[0].number("x"), 9 * 36))
        // Each value is centred in its cell.
        let texts = try #require(root.first(classNamed: "values")).elements("text")
        for (cell, text) in zip(cells, texts) {
            #expect(close(text.number("x"), cell.number("x") + 18))
            #expect(abs(text.number("y") - (cell.number("y") + 18)) < 8)
        }
        #expect(try #require(root.first(classNamed: "row-labels")).elements("text").map(\.text)
                == (0..<10).map(String.init))
        #expect(root.first(classNamed: "row-title")?.text == "true class")
        #expect(root.first(classNamed: "column-title")?.text == "predicted class")
        #expect(root.first(classNamed: "color-key") != nil)

        let hidden = try #require(parseSVG(MatrixPlot(values: Self.exampleConfusion, showValues: false).render()))
        #expect(hidden.first(classNamed: "values") == nil)
        #expect(Self.cellFills(hidden).count == 100)
    }

    @Test func largerValuesAreDarker() throws {
        let row = (0...12).map { Double($0 * $0) }
        let root = try #require(parseSVG(MatrixPlot(values: [row]).render()))
        let luminance = Self.cellFills(root).map(MatrixPlot.luminance)
        #expect(luminance.count == row.count)
        for i in 1..<luminance.count { #expect(luminance[i] <= luminance[i - 1]) }
        #expect(Self.cellFills(root).first == "#FFFFFF")  // 0 is white
        #expect(luminance.last! < 0.1)                // the maximum is dark
        // Well-separated values get visibly different colours.
        for i in stride(from: 4, to: row.count, by: 4) { #expect(luminance[i] < luminance[i - 4]) }
    }

    @Test func divergingIsWhiteAtZeroAndSymmetric() throws {
        let plot = MatrixPlot(values: [[-2, -1, 0, 1, 2], [0.5, 0, -0.5, 0, 0]], colorMap: .diverging)
        let fills = Self.cellFills(try #require(parseSVG(plot.render())))
        #expect(fills[2] == "#FFFFFF" && fills[6] == "#FFFFFF" && fills[8] == "#FFFFFF")
        #expect(fills[0] != fills[4])  // blue and red
        let c = fills.map(Palette.components)
        #expect(c[0][2] > c[0][0] && c[4][0] > c[4][2])  // -2 is blue, +2 is red
        // Equal magnitudes are equally far from white.
        #expect(close(MatrixPlot.luminance(fills[1]), MatrixPlot.luminance(fills[3]), 0.15))
        #expect(MatrixPlot.luminance(fills[0]) < MatrixPlot.luminance(fills[1]))
        // All zeros: everything white, nothing divides by zero.
        let zeros = MatrixPlot(values: [[0, 0]], colorMap: .diverging)
        #expect(Self.cellFills(try #require(parseSVG(zeros.render()))) == ["#FFFFFF", "#FFFFFF"])
    }

    @Test func textContrastsWithItsCell() throws {
        let plot = MatrixPlot(values: [[1, 100], [50, 0]])
        let texts = try #require(parseSVG(plot.render())?.first(classNamed: "values")).elements("text")
        #expect(texts[0].attributes["fill"] == "#222222")  // light cell, dark text
        #expect(texts[1].attributes["fill"] == "#FFFFFF")  // darkest cell, white text
        #expect(texts[3].attributes["fill"] != "#FFFFFF")  // zero: muted, never white on white
    }

    @Test func labelsAndTitlesAreEscaped() throws {
        let plot = MatrixPlot(title: "P(a < b) & \"c\"", values: [[1, 2]], rowLabels: ["x<y"],
                              columnLabels: ["a&b", "'q'"], rowTitle: "<true>", columnTitle: "a > b")
        let svg = plot.render()
        #expect(svg.contains("P(a &lt; b) &amp; &quot;c&quot;") && svg.contains("x&lt;y") && svg.contains("a&amp;b"))
        #expect(!svg.contains("x<y") && !svg.contains("<true>"))
        let root = try #require(parseSVG(svg))
        #expect(root.first(classNamed: "title")?.text == "P(a < b) & \"c\"")
        #expect(root.first(classNamed: "row-labels")?.elements("text").map(\.text) == ["x<y"])
        #expect(root.first(classNamed: "column-labels")?.elements("text").map(\.text) == ["a&b", "'q'"])
        #expect(root.first(classNamed: "row-title")?.text == "<true>")
    }

    @Test func rowNormalisationChangesColoursButNotNumbers() throws {
        // Row 0 is a large class, row 1 a small one with the same recall (90%).
        let counts: [[Double]] = [[900, 100], [9, 1], [0, 0]]
        let raw = try #require(parseSVG(MatrixPlot(values: counts).render()))
        let normalised = try #require(parseSVG(MatrixPlot(values: counts, normalizeRows: true).render()))
        #expect(Self.printedValues(raw) == ["900", "100", "9", "1", "0", "0"])
        #expect(Self.printedValues(normalised) == Self.printedValues(raw))
        let a = Self.cellFills(raw), b = Self.cellFills(normalised)
        #expect(a != b)
        #expect(a[0] != a[2])                       // raw: 900 and 9 look different
        #expect(b[0] == b[2] && b[1] == b[3])       // normalised: same recall, same colour
        #expect(b[4] == "#FFFFFF" && b[5] == "#FFFFFF")  // an empty row stays white
        #expect(normalised.first(classNamed: "key-caption")?.text == "share of row")
        let keyLabels = try #require(normalised.first(classNamed: "key-labels")).elements("text").map(\.text)
        #expect(keyLabels == ["100%", "0%"])
    }

    @Test func mismatchedLabelsFallBackToIndices() throws {
        let plot = MatrixPlot(values: [[1, 2, 3], [4, 5, 6]], rowLabels: ["only one"],
                              columnLabels: ["a", "b", "c", "d"])
        #expect(plot.displayedRowLabels == ["0", "1"])
        #expect(plot.displayedColumnLabels == ["0", "1", "2"])
        let root = try #require(parseSVG(plot.render()))
        #expect(root.first(classNamed: "row-labels")?.elements("text").map(\.text) == ["0", "1"])
        #expect(root.first(classNamed: "column-labels")?.elements("text").map(\.text) == ["0", "1", "2"])
        let named = MatrixPlot(values: [[1, 2]], rowLabels: ["r"], columnLabels: ["a", "b"])
        #expect(named.displayedRowLabels == ["r"] && named.displayedColumnLabels == ["a", "b"])
    }

    @Test func missingAndNonFiniteEntriesAreGrey() throws {
        let plot = MatrixPlot(values: [[1, .nan, 3], [.infinity], [0, 0, 0]])
        let root = try #require(parseSVG(plot.render()))
        let fills = Self.cellFills(root)
        #expect(fills.count == 9)  // the ragged row is padded
        #expect(fills[1] == MatrixPlot.missingColor && fills[4] == MatrixPlot.missingColor
                && fills[5] == MatrixPlot.missingColor)
        #expect(Self.printedValues(root) == ["1", "–", "3", "–", "–", "–", "0", "0", "0"])
        #expect(MatrixPlot.luminance(fills[2]) < MatrixPlot.luminance(fills[0]))  // 3 is still darker than 1
    }

    @Test func valueFormatsAndRange() throws {
        #expect(MatrixPlot(values: [], valueFormat: .integer).format(12.6) == "13")
        #expect(MatrixPlot(values: [], valueFormat: .decimals(2)).format(0.251) == "0.25")
        #expect(MatrixPlot(values: [], valueFormat: .percent).format(0.934) == "93%")
        #expect(MatrixPlot(values: [], valueFormat: .integer).format(-0.2) == "0")
        #expect(MatrixPlot(values: [], valueFormat: .integer).format(.nan) == "–")
        // A fixed range: 0.5 of 0…1 is the mid colour whatever else the matrix holds.
        let fixed = MatrixPlot(values: [[0.5, 0.1]], valueFormat: .decimals(1), range: 0...1)
        #expect(fixed.cellColors()[0][0] == Palette.mix("#FFFFFF", MatrixPlot.sequentialHigh, 0.5))
        let keyLabels = try #require(parseSVG(fixed.render())?.first(classNamed: "key-labels"))
            .elements("text").map(\.text)
        #expect(keyLabels == ["1.0", "0.0"])
    }

    @Test func countsInitialiserIsAConfusionMatrix() throws {
        let plot = MatrixPlot(title: "c", counts: [[5, 1], [0, 3]], classNames: ["cat", "dog"], normalizeRows: true)
        #expect(plot.values == [[5, 1], [0, 3]])
        #expect(plot.displayedRowLabels == ["cat", "dog"] && plot.displayedColumnLabels == ["cat", "dog"])
        #expect(plot.rowTitle == "true class" && plot.columnTitle == "predicted class" && plot.normalizeRows)
        let root = try #require(parseSVG(plot.render()))
        #expect(Self.printedValues(root) == ["5", "1", "0", "3"])
    }

    @Test func layoutFitsThePage() throws {
        for plot in Self.examples() {
            let root = try #require(parseSVG(plot.render()))
            let (width, height) = (root.number("width"), root.number("height"))
            for rect in root.elements("rect") {
                #expect(rect.number("x") >= 0 && rect.number("x") + rect.number("width") <= width + 0.01)
                #expect(rect.number("y") >= 0 && rect.number("y") + rect.number("height") <= height + 0.01)
            }
            for text in root.elements("text") where text.attributes["transform"] == nil {
                #expect(text.number("y") <= height && text.number("x") >= 0 && text.number("x") <= width)
            }
        }
    }
}
