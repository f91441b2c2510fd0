// DecisionBoundaryPlot: what a 2-D classifier predicts everywhere.
//
// Contract:
// - The plot box spans exactly xRange × yRange. It is cut into `resolution`
//   columns and as many rows as keep cells roughly square; the classifier is
//   asked once per cell, at the cell's centre.
// - `.classes` colours a cell with the pale tint of its class,
//   `Palette.light(k)`. `.probability` (of class 1) fades from class 0's tint
//   through white at p = 0.5 to class 1's tint, in 20 steps, so the boundary
//   shows as a white band. Non-finite probabilities leave the cell blank.
// - Equal neighbouring cells in a row are merged into one rect, so a linear
//   boundary costs about two rects per row.
// - The data points are scattered on top (points outside the ranges are
//   dropped); the legend names every class.

import Foundation

/// A heat map of a classifier's output over a grid, with the data on top.
public struct DecisionBoundaryPlot: Figure {
    /// What the classifier returns at a point (x, y).
    public enum Classifier {
        /// A class index 0, 1, 2, …
        case classes((Double, Double) -> Int)
        /// The probability of class 1, in [0, 1].
        case probability((Double, Double) -> Double)
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xRange: ClosedRange<Double>
    public var yRange: ClosedRange<Double>
    /// Number of cells across the plot box.
    public var resolution: Int
    public var classifier: Classifier
    public var points: [[Double]]
    public var labels: [Int]
    public var classNames: [String]
    public var width: Double
    public var height: Double

    public init(title: String = "", xLabel: String = "", yLabel: String = "",
                xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, resolution: Int = 80,
                classifier: Classifier, points: [[Double]] = [], labels: [Int] = [],
                classNames: [String] = [], width: Double = 640, height: Double = 440) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xRange = xRange
        self.yRange = yRange
        self.resolution = resolution
        self.classifier = classifier
        self.points = points
        self.labels = labels
        self.classNames = classNames
        self.width = width
        self.height = height
    }

    /// The frame: exactly xRange × yRange, legend with every class.
    public func axes() -> Axes {
        func domain(_ r: ClosedRange<Double>) -> (lower: Double, upper: Double) {
            r.lowerBound < r.upperBound ? (r.lowerBound, r.upperBound) : AxisScale.extent(of: [r.lowerBound])
        }
        var classes = labels
        if case .probability = classifier { classes.append(1) }  // both classes exist
        return Axes(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                    xDomain: domain(xRange), yDomain: domain(yRange),
                    legend: ScatterPlot.classLegend(labels: classes, classNames: classNames))
    }

    /// The fill colour of a cell whose centre is (x, y), or nil for none.
    func cellColor(_ x: Double, _ y: Double) -> String? {
        switch classifier {
        case .classes(let classify):
            return Palette.light(classify(x, y))
        case .probability(let probability):
            let p = probability(x, y)
            guard p.isFinite else { return nil }
            let step = (min(max(p, 0), 1) * 20).rounded() / 20  // 0, 0.05, …, 1
            return step < 0.5
                ? Palette.mix("#FFFFFF", Palette.light(0, amount: 0.45), (0.5 - step) * 2)
                : Palette.mix("#FFFFFF", Palette.light(1, amount: 0.45), (step - 0.5) * 2)
        }
    }

    /// The cells, one rect per run of equal colours in each row, top row first.
    public func cells(on axes: Axes) -> [SVGElement] {
        let columns = max(1, resolution)
        let rows = max(1, Int((Double(columns) * axes.boxHeight / axes.boxWidth).rounded()))
        let (x0, x1) = (axes.x.lower, axes.x.upper), (y0, y1) = (axes.y.lower, axes.y.upper)
        let cellW = axes.boxWidth / Double(columns), cellH = axes.boxHeight / Double(rows)
        var rects: [SVGElement] = []
        for row in 0..<rows {
            // Row 0 is at the top of the box, where y is largest.
            let y = y1 - (Double(row) + 0.5) / Double(rows) * (y1 - y0)
            let colors = (0..<columns).map { col in
                cellColor(x0 + (Double(col) + 0.5) / Double(columns) * (x1 - x0), y)
            }
            var start = 0
            while start < columns {
                var end = start + 1
                while end < columns && colors[end] == colors[start] { end += 1 }
                if let color = colors[start] {
                    // Edges come from integer cell indices, so neighbours share them exactly.
                    rects.append(.rect(x: axes.left + Double(start) * cellW, y: axes.top + Double(row) * cellH,
                                       width: Double(end - start) * cellW, height: cellH,
                                       style: .init(fill: color)))
                }
                start = end
            }
        }
        return rects
    }

    public func document() -> SVGDocument {
        let axes = axes()
        var doc = SVGDocument(width: width, height: height)
        var frame = axes.frame()
        // Cells go right above the plot-area rect, under the grid lines.
        frame.insert(.group(cells(on: axes), style: .init(className: "cells", crispEdges: true)), at: 1)
        doc.add(contentsOf: frame)
        // Redraw the box outline, which the cells partly covered.
        doc.add(.rect(x: axes.left, y: axes.top, width: axes.boxWidth, height: axes.boxHeight,
                      style: .init(fill: "none", stroke: "#444444", strokeWidth: 1)))
        let inside = zip(points, labels).filter { row, _ in
            row.count >= 2 && xRange.contains(row[0]) && yRange.contains(row[1])
        }
        doc.add(ScatterPlot.scatterMarkers(points: inside.map(\.0), labels: inside.map(\.1), on: axes))
        if let legend = axes.legendBox() { doc.add(legend) }
        return doc
    }
}
