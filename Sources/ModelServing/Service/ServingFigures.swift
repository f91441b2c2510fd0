// Chapter 7's measured figure: throughput and latency of the predict route
// against the dynamic batcher's maximum batch size (07-batching.svg). It is
// measured, not computed, so it changes from run to run and machine to
// machine: `backprop bench serve --figure` (release build) regenerates it;
// `backprop figures --check` does not compare it.

import BackpropCore
import Foundation

/// Figures drawn one above the other in one SVG.
public struct StackedFigure: Figure, Sendable {
    public var panels: [LinePlot]

    public init(_ panels: [LinePlot]) { self.panels = panels }

    public func document() -> SVGDocument {
        let width = panels.map(\.width).max() ?? 0
        var doc = SVGDocument(width: width, height: panels.reduce(0) { $0 + $1.height })
        var top = 0.0
        for panel in panels {
            let inner = panel.document()
            doc.add(contentsOf: inner.elements.map { Self.shift($0, dy: top) })
            top += panel.height
        }
        return doc
    }

    static func shift(_ e: SVGElement, dy: Double) -> SVGElement {
        switch e {
        case let .rect(x, y, w, h, style): return .rect(x: x, y: y + dy, width: w, height: h, style: style)
        case let .line(x1, y1, x2, y2, style): return .line(x1: x1, y1: y1 + dy, x2: x2, y2: y2 + dy, style: style)
        case let .polyline(points, style): return .polyline(points: points.map { SVGPoint($0.x, $0.y + dy) }, style: style)
        case let .circle(cx, cy, r, style): return .circle(cx: cx, cy: cy + dy, r: r, style: style)
        case let .text(text, x, y, anchor, rotation, style):
            return .text(text, x: x, y: y + dy, anchor: anchor, rotation: rotation, style: style)
        case let .group(children, style): return .group(children.map { shift($0, dy: dy) }, style: style)
        }
    }
}

public enum ServingFigures {
    /// Requests/s (top) and p50/p99 latency (bottom) against log₂ of the
    /// maximum batch size, one curve per model.
    public static func batching(_ sweeps: [(model: String, points: [BatchSweepPoint])], concurrency: Int = 64) -> StackedFigure {
        let xLabel = "log₂ of the maximum batch size (0 = 1 row, no batching … 6 = 64 rows)"
        func x(_ points: [BatchSweepPoint]) -> [Double] { points.map { log2(Double($0.maxBatch)) } }
        let throughput = LinePlot(
            title: "Predict throughput with dynamic batching (\(concurrency) clients, 1 row each)", xLabel: xLabel,
            yLabel: "requests per second",
            series: sweeps.map { .init(name: $0.model, x: x($0.points), y: $0.points.map(\.requestsPerSecond)) }, height: 320)
        let latency = LinePlot(
            title: "Latency per request: p50 (solid) and p99 (dashed)", xLabel: xLabel, yLabel: "milliseconds",
            series: sweeps.flatMap { sweep -> [LinePlot.Series] in
                [.init(name: "\(sweep.model) p50", x: x(sweep.points), y: sweep.points.map(\.p50Ms)),
                 .init(name: "\(sweep.model) p99", x: x(sweep.points), y: sweep.points.map(\.p99Ms), dashed: true)]
            }, logY: true, height: 320)
        return StackedFigure([throughput, latency])
    }
}
