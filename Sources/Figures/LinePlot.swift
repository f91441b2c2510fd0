// LinePlot: curves such as training loss against epoch.
//
// Contract:
// - Each series is drawn as a polyline in its palette colour, in the order
//   given, with a legend listing every series name (legend omitted when there
//   is a single unnamed series).
// - The axes span exactly the extremes of the plotted data: the smallest x
//   lies on the left edge of the plot box, the largest y on the top edge.
// - Points with a non-finite coordinate (or y ≤ 0 when `logY`) are skipped;
//   they break the line into separate pieces instead of crashing or drawing
//   garbage. A piece with a single point is drawn as a dot.
// - If x and y have different lengths, the extra values are ignored.

import Foundation

/// A plot of one or more y-against-x curves.
public struct LinePlot: Figure, Sendable {
    /// One named curve.
    public struct Series: Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        public var dashed: Bool

        public init(name: String, x: [Double], y: [Double], dashed: Bool = false) {
            self.name = name
            self.x = x
            self.y = y
            self.dashed = dashed
        }

        /// A curve against its index: x = 0, 1, 2, … (e.g. loss per step).
        public init(name: String, y: [Double], dashed: Bool = false) {
            self.init(name: name, x: y.indices.map(Double.init), y: y, dashed: dashed)
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var logY: Bool
    public var width: Double
    public var height: Double

    public init(title: String = "", xLabel: String = "", yLabel: String = "",
                series: [Series], logY: Bool = false, width: Double = 640, height: Double = 400) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.logY = logY
        self.width = width
        self.height = height
    }

    /// True when (x, y) can be drawn on this plot's scales.
    func usable(_ x: Double, _ y: Double) -> Bool {
        x.isFinite && y.isFinite && (!logY || y > 0)
    }

    /// The frame: domains from the usable points, legend from the series names.
    public func axes() -> Axes {
        var xs: [Double] = [], ys: [Double] = []
        for s in series {
            for (x, y) in zip(s.x, s.y) where usable(x, y) {
                xs.append(x)
                ys.append(y)
            }
        }
        let showLegend = series.count > 1 || series.contains { !$0.name.isEmpty }
        let legend = showLegend
            ? series.enumerated().map { i, s in
                LegendEntry(s.name, color: Palette.color(i), symbol: .line(dashed: s.dashed))
            }
            : []
        return Axes(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                    xDomain: AxisScale.extent(of: xs), yDomain: AxisScale.extent(of: ys, isLog: logY),
                    logY: logY, legend: legend)
    }

    /// Pixel pieces of one series: runs of consecutive usable points.
    func pieces(_ s: Series, on axes: Axes) -> [[SVGPoint]] {
        var result: [[SVGPoint]] = [], current: [SVGPoint] = []
        for (x, y) in zip(s.x, s.y) {
            if usable(x, y), let p = axes.point(x, y) {
                current.append(p)
            } else if !current.isEmpty {
                result.append(current)
                current = []
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    public func document() -> SVGDocument {
        let axes = axes()
        var doc = SVGDocument(width: width, height: height)
        doc.add(contentsOf: axes.frame())
        for (i, s) in series.enumerated() {
            let color = Palette.color(i)
            var shapes: [SVGElement] = []
            for piece in pieces(s, on: axes) {
                if piece.count == 1 {
                    shapes.append(.circle(cx: piece[0].x, cy: piece[0].y, r: 2.5,
                                          style: .init(fill: color, stroke: "none")))
                } else {
                    shapes.append(.polyline(points: piece))
                }
            }
            doc.add(.group(shapes, style: .init(stroke: color, strokeWidth: 2,
                                                dash: s.dashed ? [6, 3] : nil, className: "series")))
        }
        if let legend = axes.legendBox() { doc.add(legend) }
        return doc
    }
}
