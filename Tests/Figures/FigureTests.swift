// FigureTests: the SVG figure library (Sources/Figures).
//
// Figures are checked the way a reader's browser sees them: the SVG is parsed
// with XMLParser and coordinates are read back from the attributes, so these
// tests fail if the output is malformed, non-deterministic, or drawn in the
// wrong place.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Figures

// MARK: - A tiny XML tree for reading SVG back

/// One parsed XML element.
final class XMLNode {
    let name: String
    let attributes: [String: String]
    var children: [XMLNode] = []
    var text = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    func number(_ key: String) -> Double { Double(attributes[key] ?? "") ?? .nan }

    /// This node and all its descendants, in document order.
    var all: [XMLNode] { [self] + children.flatMap(\.all) }

    /// Descendants (and self) with the given element name.
    func elements(_ name: String) -> [XMLNode] { all.filter { $0.name == name } }

    /// The first descendant (or self) whose class is `className`.
    func first(classNamed className: String) -> XMLNode? { all.first { $0.attributes["class"] == className } }
}

final class TreeBuilder: NSObject, XMLParserDelegate {
    var stack: [XMLNode] = []
    var root: XMLNode?

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        let node = XMLNode(name: name, attributes: attributes)
        stack.last?.children.append(node)
        if root == nil { root = node }
        stack.append(node)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        stack.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        stack.last?.text += string
    }
}

/// Parses `svg`, recording an issue (and returning nil) if it is not well-formed XML.
func parseSVG(_ svg: String) -> XMLNode? {
    let parser = XMLParser(data: Data(svg.utf8))
    let builder = TreeBuilder()
    parser.delegate = builder
    let ok = parser.parse()
    #expect(ok, "not well-formed XML: \(String(describing: parser.parserError))")
    #expect(builder.root?.name == "svg")
    return ok ? builder.root : nil
}

func polylinePoints(_ node: XMLNode) -> [(Double, Double)] {
    (node.attributes["points"] ?? "").split(separator: " ").map { pair in
        let xy = pair.split(separator: ",").map { Double($0) ?? .nan }
        return (xy[0], xy[1])
    }
}

func close(_ a: Double, _ b: Double, _ tolerance: Double = 0.011) -> Bool { abs(a - b) <= tolerance }

// MARK: - Examples of every figure type

func exampleFigures() -> [any Figure] {
    let xs = (0...20).map { Double($0) / 2 }
    let line = LinePlot(title: "Loss", xLabel: "epoch", yLabel: "loss",
                        series: [.init(name: "train", x: xs, y: xs.map { exp(-$0 / 3) }),
                                 .init(name: "test", x: xs, y: xs.map { exp(-$0 / 4) + 0.05 }, dashed: true)],
                        logY: true)
    let points: [[Double]] = [[0, 0], [1, 1], [2, 0.5], [-1, 2], [0.5, -1]]
    let labels = [0, 1, 1, 0, 2]
    let scatter = ScatterPlot(title: "Data", xLabel: "x₁", yLabel: "x₂", points: points, labels: labels,
                              classNames: ["a", "b", "c"],
                              lines: [ReferenceLine(.boundary(w1: 1, w2: -1, b: 0.2), name: "w·x+b=0")],
                              annotations: [Annotation("here", x: 1, y: 1)])
    let boundary = DecisionBoundaryPlot(title: "Boundary", xRange: -1...1, yRange: -1...1, resolution: 16,
                                        classifier: .classes { x, y in x + y > 0 ? 1 : 0 },
                                        points: points, labels: labels)
    let grid = ImageGrid(title: "Weights", images: [[-1, 0, 1, 0.5], [0, 0, 0, 2]], imageWidth: 2, imageHeight: 2,
                         captions: ["7 → 1", "w"], colorMap: .diverging)
    return [line, scatter, boundary, grid]
}

// MARK: - Tests

@Suite struct FigureTests {
    @Test func everyFigureIsWellFormedXML() {
        for figure in exampleFigures() {
            let svg = figure.render()
            let root = parseSVG(svg)
            #expect(root != nil)
            #expect(svg.hasSuffix("</svg>\n"))
            #expect(!svg.lowercased().contains("nan") && !svg.contains("inf"))
        }
    }

    @Test func renderingIsDeterministic() {
        let first = exampleFigures().map { $0.render() }
        let second = exampleFigures().map { $0.render() }
        #expect(first == second)
    }

    @Test func numbersHaveAtMostTwoDecimals() {
        #expect(SVGFormat.number(1) == "1")
        #expect(SVGFormat.number(0.5) == "0.5")
        #expect(SVGFormat.number(2.0 / 3.0) == "0.67")
        #expect(SVGFormat.number(-1.005) == "-1" || SVGFormat.number(-1.005) == "-1.01")
        #expect(SVGFormat.number(-0.001) == "0")
        #expect(SVGFormat.number(12.04) == "12.04")
        #expect(SVGFormat.number(-3.10) == "-3.1")
        #expect(SVGFormat.number(.nan) == "0")
    }

    @Test func textIsEscaped() throws {
        let title = "a < b & c > \"d\""
        let plot = LinePlot(title: title, series: [.init(name: "x<y", y: [1, 2, 3])])
        let svg = plot.render()
        #expect(svg.contains("a &lt; b &amp; c &gt; &quot;d&quot;"))
        #expect(!svg.contains("a < b"))
        let root = try #require(parseSVG(svg))
        #expect(root.first(classNamed: "title")?.text == title)
        #expect(SVGFormat.escape("bell\u{7}") == "bell")
    }

    @Test func linePlotMapsDataExtremesToBoxEdges() throws {
        let xs = (0...10).map(Double.init)
        let plot = LinePlot(series: [.init(name: "y = x² + 1", x: xs, y: xs.map { $0 * $0 + 1 })])
        let root = try #require(parseSVG(plot.render()))
        let box = try #require(root.first(classNamed: "plot-area"))
        let (left, top) = (box.number("x"), box.number("y"))
        let (right, bottom) = (left + box.number("width"), top + box.number("height"))
        let line = try #require(root.elements("polyline").first)
        let pts = polylinePoints(line)
        #expect(pts.count == 11)
        #expect(close(pts[0].0, left) && close(pts[0].1, bottom))    // (0, 1): bottom-left
        #expect(close(pts[10].0, right) && close(pts[10].1, top))    // (10, 101): top-right
        // (5, 26) is halfway across and a quarter of the way up.
        #expect(close(pts[5].0, left + (right - left) / 2))
        #expect(close(pts[5].1, bottom - (bottom - top) * 0.25))
    }

    @Test func logYMapsDecadesEvenly() throws {
        let plot = LinePlot(series: [.init(name: "", x: [0, 1, 2, 3], y: [1, 0.1, 0, 0.01])], logY: true)
        let root = try #require(parseSVG(plot.render()))
        let box = try #require(root.first(classNamed: "plot-area"))
        let pts = root.elements("polyline").flatMap(polylinePoints)
        let dots = root.elements("circle")
        // y = 0 cannot be shown on a log axis: the line breaks into (1, 0.1) and a lone dot at 0.01.
        #expect(pts.count == 2 && dots.count == 1)
        #expect(close(pts[0].1, box.number("y")))
        #expect(close(pts[1].1, box.number("y") + box.number("height") / 2))
        #expect(close(dots[0].number("cy"), box.number("y") + box.number("height")))
    }

    @Test func legendListsEverySeries() throws {
        let names = ["train", "validation", "test & holdout"]
        let plot = LinePlot(series: names.map { .init(name: $0, y: [1, 2, 3]) })
        let root = try #require(parseSVG(plot.render()))
        let legend = try #require(root.first(classNamed: "legend"))
        let texts = legend.elements("text").map(\.text)
        #expect(texts == names)
        // The legend sits right of the plot box, so it never covers data.
        let box = try #require(root.first(classNamed: "plot-area"))
        let legendRect = try #require(legend.elements("rect").first)
        #expect(legendRect.number("x") > box.number("x") + box.number("width"))
        #expect(legendRect.number("x") + legendRect.number("width") <= root.number("width"))
    }

    @Test func nonFiniteValuesAreSkipped() throws {
        let plot = LinePlot(series: [.init(name: "s", x: [0, 1, 2, 3, 4, .infinity], y: [0, 1, .nan, 3, 4, 9])])
        let svg = plot.render()
        let root = try #require(parseSVG(svg))
        let pieces = root.elements("polyline").map(polylinePoints)
        #expect(pieces.map(\.count) == [2, 2])  // broken at the NaN, the infinite point dropped
        let box = try #require(root.first(classNamed: "plot-area"))
        // The extremes ignore the unusable points: x = 4 is the right edge, y = 4 the top.
        #expect(close(pieces[1][1].0, box.number("x") + box.number("width")))
        #expect(close(pieces[1][1].1, box.number("y")))

        let scatter = ScatterPlot(points: [[0, 0], [.nan, 1], [1], [1, 1]], labels: [0, 1, 0, 1])
        let scatterRoot = try #require(parseSVG(scatter.render()))
        #expect(scatterRoot.first(classNamed: "points")?.elements("circle").count == 2)
    }

    @Test func niceTicks() {
        #expect(Ticks.nice(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        #expect(Ticks.nice(0, 100) == [0, 20, 40, 60, 80, 100])
        #expect(Ticks.nice(-3.7, 12.1) == [0, 5, 10])
        #expect(Ticks.nice(-3.7, 12.1, count: 8) == [-2, 0, 2, 4, 6, 8, 10, 12])
        #expect(Ticks.nice(0.001, 0.0042, count: 3) == [0.001, 0.002, 0.003, 0.004])
        #expect(Ticks.nice(0.001, 0.0042, count: 8) == [0.001, 0.0015, 0.002, 0.0025, 0.003, 0.0035, 0.004])
        #expect(Ticks.decimals(0, 1) == 1)
        #expect(Ticks.label(0.6, decimals: 1) == "0.6")
        #expect(Ticks.label(-0.00001, decimals: 1) == "0.0")
        #expect(Ticks.log(0.001, 10) == [0.001, 0.01, 0.1, 1, 10])
        #expect(Ticks.log(0.03, 1) == [0.05, 0.1, 0.2, 0.5, 1])
        #expect(Ticks.log(1, 10) == [1, 2, 5, 10])
        #expect(Ticks.logLabel(0.001) == "0.001" && Ticks.logLabel(1e-6) == "1e-6")
    }

    @Test func boundaryLinesAreClippedToTheBox() throws {
        let diagonal = ReferenceLine(.boundary(w1: 1, w2: 1, b: 0))
        let d = try #require(diagonal.clipped(x0: -1, x1: 1, y0: -1, y1: 1))
        #expect(close(d.0, -1) && close(d.1, 1) && close(d.2, 1) && close(d.3, -1))
        let vertical = ReferenceLine(.boundary(w1: 2, w2: 0, b: -1))  // x = 0.5
        let v = try #require(vertical.clipped(x0: -1, x1: 1, y0: -1, y1: 1))
        #expect(close(v.0, 0.5) && close(v.2, 0.5) && close(abs(v.1 - v.3), 2))
        #expect(ReferenceLine(.boundary(w1: 0, w2: 1, b: -5)).clipped(x0: -1, x1: 1, y0: -1, y1: 1) == nil)
        let segment = ReferenceLine(.segment(x1: -3, y1: 0, x2: 0, y2: 0))
        let s = try #require(segment.clipped(x0: -1, x1: 1, y0: -1, y1: 1))
        #expect(close(s.0, -1) && close(s.2, 0))
    }

    @Test func decisionBoundarySplitsAtZero() throws {
        let plot = DecisionBoundaryPlot(xRange: -1...1, yRange: -1...1, resolution: 20,
                                        classifier: .classes { x, _ in x > 0 ? 1 : 0 },
                                        points: [[-0.5, 0.5], [0.5, -0.5], [3, 3]], labels: [0, 1, 1])
        let root = try #require(parseSVG(plot.render()))
        let box = try #require(root.first(classNamed: "plot-area"))
        let middle = box.number("x") + box.number("width") / 2
        let cells = try #require(root.first(classNamed: "cells")).elements("rect")
        let left = cells.filter { $0.attributes["fill"] == Palette.light(0) }
        let right = cells.filter { $0.attributes["fill"] == Palette.light(1) }
        #expect(!left.isEmpty && left.count == right.count && left.count + right.count == cells.count)
        for cell in left {
            #expect(close(cell.number("x"), box.number("x")))
            #expect(close(cell.number("x") + cell.number("width"), middle))
        }
        for cell in right {
            #expect(close(cell.number("x"), middle))
            #expect(close(cell.number("x") + cell.number("width"), box.number("x") + box.number("width")))
        }
        // Rows tile the box from top to bottom.
        let height = left.map { $0.number("height") }.reduce(0, +)
        #expect(close(height, box.number("height"), 0.2))
        // The point at (3, 3) lies outside the ranges and is dropped.
        #expect(root.first(classNamed: "points")?.elements("circle").count == 2)
    }

    @Test func probabilityShadingFadesThroughWhite() throws {
        let plot = DecisionBoundaryPlot(xRange: -4...4, yRange: -1...1, resolution: 41,  // a cell centre at x = 0
                                        classifier: .probability { x, _ in 1 / (1 + exp(-2 * x)) })
        let root = try #require(parseSVG(plot.render()))
        let fills = Set(try #require(root.first(classNamed: "cells")).elements("rect").compactMap { $0.attributes["fill"] })
        #expect(fills.contains("#FFFFFF"))
        #expect(fills.count > 5)
    }

    @Test func imageGridDrawsEveryPixelOnce() throws {
        let (w, h, size) = (5, 4, 3.0)
        let images = (0..<3).map { k in (0..<(w * h)).map { Double(($0 * 7 + k) % 11) } }
        let grid = ImageGrid(images: images + [Array(repeating: 0.3, count: w * h)], imageWidth: w, imageHeight: h,
                             captions: ["7 → 1"], columns: 2, pixelSize: size)
        let root = try #require(parseSVG(grid.render()))
        let groups = root.all.filter { $0.attributes["class"] == "pixels" }
        #expect(groups.count == 4)
        for group in groups {
            let area = group.elements("rect").map { $0.number("width") * $0.number("height") }.reduce(0, +)
            #expect(close(area / (size * size), Double(w * h), 1e-6))
        }
        // The constant image merges into one rect per row.
        #expect(groups[3].elements("rect").count == h)
        #expect(root.first(classNamed: "caption")?.text == "7 → 1")
    }

    @Test func imageGridScalesAndSkipsNaN() throws {
        let grid = ImageGrid(images: [[0, 0.5, 1, .nan]], imageWidth: 4, imageHeight: 1, pixelSize: 1,
                             scaling: .range(0...1), colorMap: .gray)
        let root = try #require(parseSVG(grid.render()))
        let fills = try #require(root.first(classNamed: "pixels")).elements("rect").map { $0.attributes["fill"] ?? "" }
        #expect(fills == ["#000000", "#808080", "#FFFFFF"])
        let weights = ImageGrid(images: [[-2, 0, 1]], imageWidth: 3, imageHeight: 1, colorMap: .diverging)
        #expect(weights.intensities([-2, 0, 1]).compactMap { $0 } == [0, 0.5, 0.75])
    }

    @Test func writeIsAtomicAndCreatesDirectories() throws {
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("figure-tests-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let url = base.appendingPathComponent("nested/dir/loss.svg")
        let big = LinePlot(series: [.init(name: "a", y: (0..<500).map { sin(Double($0) / 10) })])
        let small = LinePlot(series: [.init(name: "b", y: [1, 2])])
        try big.write(to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == big.render())
        try small.write(to: url)  // replacing a longer file must not leave its tail behind
        #expect(try String(contentsOf: url, encoding: .utf8) == small.render())
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        #expect(leftovers == ["loss.svg"])
    }
}
