// ScatterPlot: labelled 2-D points, optional straight lines and notes.
//
// Contract:
// - `points[i]` is a row [x, y, …] (extra columns ignored) with class
//   `labels[i]`; class k is drawn in `Palette.color(k)`. Rows that are too
//   short or not finite are skipped. The legend names every class from 0 to
//   the largest label, using `classNames[k]` or "class k" when missing.
// - The axes cover the points with 5% padding, so no marker is cut in half.
// - A `ReferenceLine` is either a segment between two data points or the line
//   w1·x + w2·y + b = 0 (e.g. a perceptron's decision boundary). Both are
//   clipped to the plot box; a line that misses the box is not drawn.
// - Annotations are short texts placed at data coordinates.
// - `scatterMarkers` and `classLegend` are shared with DecisionBoundaryPlot.

import Foundation

/// A straight line drawn over a scatter plot.
public struct ReferenceLine: Sendable {
    public enum Geometry: Sendable {
        /// The segment from (x1, y1) to (x2, y2), in data coordinates.
        case segment(x1: Double, y1: Double, x2: Double, y2: Double)
        /// All (x, y) with w1·x + w2·y + b = 0.
        case boundary(w1: Double, w2: Double, b: Double)
    }
    public var geometry: Geometry
    /// Shown in the legend when not nil.
    public var name: String?
    public var color: String
    public var dashed: Bool

    public init(_ geometry: Geometry, name: String? = nil, color: String = "#222222", dashed: Bool = false) {
        self.geometry = geometry
        self.name = name
        self.color = color
        self.dashed = dashed
    }

    /// The visible part inside [x0, x1] × [y0, y1], as two data points, or nil.
    public func clipped(x0: Double, x1: Double, y0: Double, y1: Double) -> (Double, Double, Double, Double)? {
        switch geometry {
        case let .segment(ax, ay, bx, by):
            return ReferenceLine.clip(ax, ay, bx, by, x0: x0, x1: x1, y0: y0, y1: y1)
        case let .boundary(w1, w2, b):
            guard w1.isFinite, w2.isFinite, b.isFinite, w1 != 0 || w2 != 0 else { return nil }
            // Solve for the steeper-resolved coordinate across the whole box,
            // then clip the resulting segment like any other.
            if abs(w2) >= abs(w1) {
                let ya = -(w1 * x0 + b) / w2, yb = -(w1 * x1 + b) / w2
                return ReferenceLine.clip(x0, ya, x1, yb, x0: x0, x1: x1, y0: y0, y1: y1)
            } else {
                let xa = -(w2 * y0 + b) / w1, xb = -(w2 * y1 + b) / w1
                return ReferenceLine.clip(xa, y0, xb, y1, x0: x0, x1: x1, y0: y0, y1: y1)
            }
        }
    }

    /// Liang–Barsky: keeps the parameter range t ∈ [0, 1] where the segment is
    /// inside all four half-planes of the box.
    static func clip(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double,
                     x0: Double, x1: Double, y0: Double, y1: Double) -> (Double, Double, Double, Double)? {
        guard [ax, ay, bx, by].allSatisfy(\.isFinite) else { return nil }
        let dx = bx - ax, dy = by - ay
        var tMin = 0.0, tMax = 1.0
        // Each pair is (p, q): the point is inside where p·t ≤ q.
        for (p, q) in [(-dx, ax - x0), (dx, x1 - ax), (-dy, ay - y0), (dy, y1 - ay)] {
            if p == 0 {
                if q < 0 { return nil }  // parallel to this edge and outside it
            } else {
                let t = q / p
                if p < 0 { tMin = max(tMin, t) } else { tMax = min(tMax, t) }
            }
        }
        guard tMin <= tMax else { return nil }
        return (ax + tMin * dx, ay + tMin * dy, ax + tMax * dx, ay + tMax * dy)
    }
}

/// A short text at a data position, e.g. "misclassified".
public struct Annotation: Sendable {
    public var text: String
    public var x: Double
    public var y: Double

    public init(_ text: String, x: Double, y: Double) {
        self.text = text
        self.x = x
        self.y = y
    }
}

/// Points coloured by integer class, with optional lines and annotations.
public struct ScatterPlot: Figure, Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Rows [x, y]; further columns are ignored.
    public var points: [[Double]]
    /// Class of each row (0, 1, 2, …).
    public var labels: [Int]
    public var classNames: [String]
    public var lines: [ReferenceLine]
    public var annotations: [Annotation]
    public var width: Double
    public var height: Double

    public init(title: String = "", xLabel: String = "", yLabel: String = "",
                points: [[Double]], labels: [Int], classNames: [String] = [],
                lines: [ReferenceLine] = [], annotations: [Annotation] = [],
                width: Double = 640, height: Double = 440) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.points = points
        self.labels = labels
        self.classNames = classNames
        self.lines = lines
        self.annotations = annotations
        self.width = width
        self.height = height
    }

    /// The frame: point extent plus 5% on each side.
    public func axes() -> Axes {
        let usable = points.filter { $0.count >= 2 && $0[0].isFinite && $0[1].isFinite }
        func padded(_ values: [Double]) -> (lower: Double, upper: Double) {
            let (lo, hi) = AxisScale.extent(of: values)
            let pad = (hi - lo) * 0.05
            return (lo - pad, hi + pad)
        }
        var legend = ScatterPlot.classLegend(labels: labels, classNames: classNames)
        for line in lines {
            if let name = line.name { legend.append(LegendEntry(name, color: line.color, symbol: .line(dashed: line.dashed))) }
        }
        return Axes(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                    xDomain: padded(usable.map { $0[0] }), yDomain: padded(usable.map { $0[1] }),
                    legend: legend)
    }

    public func document() -> SVGDocument {
        let axes = axes()
        var doc = SVGDocument(width: width, height: height)
        doc.add(contentsOf: axes.frame())
        doc.add(contentsOf: ScatterPlot.lineElements(lines, on: axes))
        doc.add(ScatterPlot.scatterMarkers(points: points, labels: labels, on: axes))
        doc.add(contentsOf: ScatterPlot.annotationElements(annotations, on: axes))
        if let legend = axes.legendBox() { doc.add(legend) }
        return doc
    }

    /// One legend row per class 0…max(label), named from `classNames`.
    static func classLegend(labels: [Int], classNames: [String]) -> [LegendEntry] {
        let count = max(classNames.count, (labels.max() ?? -1) + 1)
        return (0..<count).map { k in
            LegendEntry(k < classNames.count ? classNames[k] : "class \(k)",
                        color: Palette.color(k), symbol: .marker)
        }
    }

    /// Circles for the usable points, in input order, coloured by class.
    static func scatterMarkers(points: [[Double]], labels: [Int], on axes: Axes) -> SVGElement {
        var circles: [SVGElement] = []
        for (row, label) in zip(points, labels) where row.count >= 2 {
            guard let p = axes.point(row[0], row[1]) else { continue }
            circles.append(.circle(cx: p.x, cy: p.y, r: 4, style: .init(fill: Palette.color(label))))
        }
        return .group(circles, style: .init(stroke: "#FFFFFF", strokeWidth: 0.8, className: "points"))
    }

    /// The reference lines, each clipped to the current axes.
    static func lineElements(_ lines: [ReferenceLine], on axes: Axes) -> [SVGElement] {
        lines.compactMap { line in
            guard let (ax, ay, bx, by) = line.clipped(x0: axes.x.lower, x1: axes.x.upper,
                                                      y0: axes.y.lower, y1: axes.y.upper),
                  let a = axes.point(ax, ay), let b = axes.point(bx, by) else { return nil }
            return .line(x1: a.x, y1: a.y, x2: b.x, y2: b.y,
                         style: .init(stroke: line.color, strokeWidth: 2, dash: line.dashed ? [6, 4] : nil,
                                      className: "reference-line"))
        }
    }

    /// Each annotation as a small dark text just above-right of its point,
    /// over a white outline of itself so it stays readable on top of markers.
    static func annotationElements(_ notes: [Annotation], on axes: Axes) -> [SVGElement] {
        notes.compactMap { note in
            guard let p = axes.point(note.x, note.y) else { return nil }
            let (x, y) = (p.x + 6, p.y - 6)
            return .group([
                .text(note.text, x: x, y: y, style: .init(stroke: "#FFFFFF", strokeWidth: 3)),
                .text(note.text, x: x, y: y),
            ], style: .init(fill: "#222222", fontSize: 11, className: "annotation"))
        }
    }
}
