// Chapter 9's measured figures: throughput and latency of the predict route
// against the dynamic batcher's maximum batch size (09-batching.svg), and
// streamed generation's tokens per second, time to first token and tokens
// per CPU second against the number of streams, with and without
// continuous batching (09-continuous-batching.svg). They are measured, not computed, so they
// change from run to run and machine to machine: `backprop bench serve
// --figure` and `backprop bench serve-stream --figure` (release build)
// regenerate them; `backprop figures --check` does not compare them.

import BackpropCore
import Figures
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
    /// Requests/s, p50 and p99 latency (three panels, one colour per model)
    /// against log₂ of the maximum batch size.
    public static func batching(_ sweeps: [(model: String, points: [BatchSweepPoint])], concurrency: Int = 64) -> StackedFigure {
        let xLabel = "maximum batch size, log₂ rows (0 = no batching … 6 = 64 rows)"
        func panel(_ title: String, _ yLabel: String, logY: Bool = false, _ y: (BatchSweepPoint) -> Double) -> LinePlot {
            LinePlot(title: title, xLabel: xLabel, yLabel: yLabel,
                     series: sweeps.map { .init(name: $0.model, x: $0.points.map { log2(Double($0.maxBatch)) }, y: $0.points.map(y)) },
                     logY: logY, height: 280)
        }
        return StackedFigure([
            panel("Predict throughput with dynamic batching (\(concurrency) clients, 1 row each)", "requests per second") {
                $0.requestsPerSecond
            },
            panel("Median latency (p50)", "milliseconds", logY: true) { $0.p50Ms },
            panel("Tail latency (p99)", "milliseconds", logY: true) { $0.p99Ms },
        ])
    }

    /// Tokens per second, the median time to first token, and tokens per
    /// CPU second of the whole process (three panels, one line per
    /// scheduling mode) against log₂ of the streams, from
    /// `ServingBenchmark.medians` of `streams`' rows. On a shared machine the
    /// first panel says what the process got, the third what a token cost.
    public static func continuousBatching(_ rows: [ServingBenchRow]) -> StackedFigure {
        let xLabel = "concurrent streams, log₂ (0 = 1 stream … 7 = 128)"
        let modes = rows.reduce(into: [String]()) { if !$0.contains($1.variant) { $0.append($1.variant) } }
        func field(_ name: String) -> (ServingBenchRow) -> Double {
            { row in
                for (key, value) in row.extra where key == name { if case .number(let x) = value { return x } }
                return .nan
            }
        }
        func panel(_ title: String, _ yLabel: String, logY: Bool = false, _ y: (ServingBenchRow) -> Double) -> LinePlot {
            LinePlot(title: title, xLabel: xLabel, yLabel: yLabel,
                     series: modes.map { mode in
                         let points = rows.filter { $0.variant == mode }
                         return .init(name: "batching \(mode)", x: points.map { log2(Double($0.concurrency)) }, y: points.map(y))
                     }, logY: logY, height: 280)
        }
        return StackedFigure([
            panel("Streamed baby GPT: total tokens per second (median of runs)", "tokens per second") {
                $0.tokensPerSecond ?? .nan
            },
            panel("Time to first token (p50, median of runs)", "milliseconds", logY: true, field("ttft_p50_ms")),
            panel("Cost: tokens per CPU second, server and clients (median of runs)", "tokens per CPU second",
                  field("tokens_per_cpu_second")),
        ])
    }
}
