// Diagram: pictures of ideas rather than plots of results: boxes, arrows,
// labels and small grids of numbers, placed in pixel coordinates.
//
// A chapter builds its concept diagrams (a computational graph, a kernel
// sliding over an image, an LSTM cell, an attention mask…) from these pieces,
// computing every number it writes with the chapter's own code, so a diagram
// is as reproducible, and as checkable, as a plot: `backprop figures`
// regenerates it and `figures --check` compares it with the committed file.
//
// Coordinates are pixels, y downwards. Every element is an `SVGElement`, so a
// diagram may mix these helpers with raw rectangles, lines and text.

import Foundation

/// A figure made of shapes placed by hand.
public struct Diagram: Figure, Sendable {
    public var width: Double
    public var height: Double
    /// Drawn centred at the top; empty for none.
    public var title: String
    public var elements: [SVGElement]

    public init(width: Double, height: Double, title: String = "", elements: [SVGElement] = []) {
        self.width = width
        self.height = height
        self.title = title
        self.elements = elements
    }

    public mutating func add(_ element: SVGElement) { elements.append(element) }
    public mutating func add(contentsOf more: [SVGElement]) { elements.append(contentsOf: more) }

    public func document() -> SVGDocument {
        var doc = SVGDocument(width: width, height: height)
        if !title.isEmpty {
            doc.add(.text(title, x: width / 2, y: 22, anchor: .middle, style: .init(fontSize: 15, bold: true)))
        }
        doc.add(contentsOf: elements)
        return doc
    }
}

extension Diagram {
    /// Colours with a fixed meaning across the book's diagrams.
    public enum Ink {
        /// Forward values and the data flowing forward.
        public static let forward = "#1F4E9A"
        /// Gradients flowing backward.
        public static let backward = "#C0392B"
        /// Parameters (weights, biases).
        public static let parameter = "#7A5195"
        /// Neutral outlines and text.
        public static let neutral = "#333333"
        /// Light fills: operations, data, highlights, masked-out cells.
        public static let operationFill = "#EEF3FB"
        public static let dataFill = "#FFFFFF"
        public static let highlightFill = "#FFE8A3"
        public static let mutedFill = "#E6E6E6"
    }

    /// A rectangle with rounded look (a thin outline) and centred lines of text.
    public static func box(
        _ lines: [String], x: Double, y: Double, width: Double, height: Double,
        fill: String = Ink.operationFill, stroke: String = Ink.neutral, fontSize: Double = 12, bold: Bool = false
    ) -> SVGElement {
        var children: [SVGElement] = [
            .rect(x: x, y: y, width: width, height: height, style: .init(fill: fill, stroke: stroke, strokeWidth: 1.2)),
        ]
        let lineHeight = fontSize * 1.25
        let top = y + height / 2 - lineHeight * Double(lines.count - 1) / 2 + fontSize * 0.35
        for (i, line) in lines.enumerated() {
            children.append(.text(line, x: x + width / 2, y: top + Double(i) * lineHeight, anchor: .middle,
                                  style: .init(fill: Ink.neutral, fontSize: fontSize, bold: bold)))
        }
        return .group(children)
    }

    /// A straight arrow from `from` to `to`, its head at `to`; `dashed` for
    /// something optional or flowing backward.
    public static func arrow(
        from: SVGPoint, to: SVGPoint, color: String = Ink.neutral, width: Double = 1.5, dashed: Bool = false,
        headLength: Double = 8
    ) -> SVGElement {
        let dx = to.x - from.x, dy = to.y - from.y
        let length = max((dx * dx + dy * dy).squareRoot(), 1e-9)
        let ux = dx / length, uy = dy / length
        // The shaft stops where the head begins, so a thick line does not poke through its tip.
        let base = SVGPoint(to.x - ux * headLength, to.y - uy * headLength)
        let half = headLength * 0.45
        let head = [to, SVGPoint(base.x - uy * half, base.y + ux * half), SVGPoint(base.x + uy * half, base.y - ux * half), to]
        return .group([
            .line(x1: from.x, y1: from.y, x2: base.x, y2: base.y,
                  style: .init(stroke: color, strokeWidth: width, dash: dashed ? [5, 3] : nil)),
            .polyline(points: head, style: .init(fill: color, stroke: color, strokeWidth: 1)),
        ])
    }

    /// Text at a point, in a colour; `anchor` as in SVG.
    public static func label(
        _ text: String, x: Double, y: Double, color: String = Ink.neutral, fontSize: Double = 12,
        anchor: TextAnchor = .middle, bold: Bool = false
    ) -> SVGElement {
        .text(text, x: x, y: y, anchor: anchor, style: .init(fill: color, fontSize: fontSize, bold: bold))
    }

    /// A grid of cells, `values[row][column]`, each `cell` pixels square, its
    /// top-left corner at (x, y). `fill` chooses each cell's colour (nil: white)
    /// and `text` its label (nil: none).
    public static func grid(
        rows: Int, columns: Int, x: Double, y: Double, cell: Double,
        fill: (Int, Int) -> String? = { _, _ in nil }, text: (Int, Int) -> String? = { _, _ in nil },
        fontSize: Double = 11, stroke: String = "#999999"
    ) -> SVGElement {
        var children: [SVGElement] = []
        for r in 0..<rows {
            for c in 0..<columns {
                let cx = x + Double(c) * cell, cy = y + Double(r) * cell
                children.append(.rect(x: cx, y: cy, width: cell, height: cell,
                                      style: .init(fill: fill(r, c) ?? Ink.dataFill, stroke: stroke, strokeWidth: 0.8)))
                if let t = text(r, c) {
                    children.append(.text(t, x: cx + cell / 2, y: cy + cell / 2 + fontSize * 0.35, anchor: .middle,
                                          style: .init(fill: Ink.neutral, fontSize: fontSize)))
                }
            }
        }
        return .group(children)
    }

    /// A number as a diagram prints it: up to `digits` decimals, trailing zeros
    /// dropped, a true minus sign ("−0.25", "1.5", "0").
    public static func number(_ value: Double, digits: Int = 3) -> String {
        var text = String(format: "%.\(digits)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        if text == "-0" { text = "0" }
        return text.replacingOccurrences(of: "-", with: "−")
    }
}
