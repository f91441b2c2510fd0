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
    /// Requests/s (top) and p50/p99 latency (bottom) against log₂ of the maximum batch size.
    public static func batching(_ points: [BatchSweepPoint], concurrency: Int = 64) -> StackedFigure {
        let x = points.map { log2(Double($0.maxBatch)) }
        let xLabel = "log₂ of the maximum batch size (0 = 1 row, no batching … 6 = 64 rows)"
        let throughput = LinePlot(
            title: "Predict throughput with dynamic batching (\(concurrency) clients, digits MLP)", xLabel: xLabel,
            yLabel: "requests per second", series: [.init(name: "", x: x, y: points.map(\.requestsPerSecond))], height: 320)
        let latency = LinePlot(
            title: "Latency per request", xLabel: xLabel, yLabel: "milliseconds",
            series: [.init(name: "p50", x: x, y: points.map(\.p50Ms)), .init(name: "p99", x: x, y: points.map(\.p99Ms), dashed: true)],
            height: 320)
        return StackedFigure([throughput, latency])
    }
}
