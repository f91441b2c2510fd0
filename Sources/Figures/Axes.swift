// Axes: the frame every 2-D plot shares.
//
// Contract:
// - `AxisScale` maps data to pixels: linear, or logarithmic (base 10). The
//   domain's ends map exactly to the pixel range's ends; values a scale cannot
//   show (non-finite, or ≤ 0 on a log scale) map to `nil` so callers skip them.
// - `Ticks.nice` picks 1-2-5 steps (…, 0.1, 0.2, 0.5, 1, 2, 5, …) and returns
//   only ticks inside the domain; 0…1 gives 0, 0.2, …, 1. `Ticks.log` gives
//   powers of ten (plus 2× and 5× when the range spans ≤ 3 decades). Labels use fixed
//   decimals chosen from the step, so they are stable and aligned.
// - `Palette` is the Okabe–Ito colour-blind-safe palette, plus lightened tints.
// - `Axes` lays out a figure: title on top, y title on the left, x title below,
//   legend to the right of the plot box (outside it, so it never hides data).
//   It draws the frame, grid, ticks and titles; callers draw data on top.

import Foundation

/// Maps data values on one axis to pixel positions.
public struct AxisScale: Sendable, Equatable {
    /// Data interval shown; `lower` maps to `pixelStart`, `upper` to `pixelEnd`.
    public var lower: Double
    public var upper: Double
    public var pixelStart: Double
    public var pixelEnd: Double
    /// Base-10 logarithmic when true (`lower` must then be > 0).
    public var isLog: Bool

    public init(lower: Double, upper: Double, pixelStart: Double, pixelEnd: Double, isLog: Bool = false) {
        self.lower = lower
        self.upper = upper
        self.pixelStart = pixelStart
        self.pixelEnd = pixelEnd
        self.isLog = isLog
    }

    /// Pixel position of `value`, or `nil` if this scale cannot show it.
    public func callAsFunction(_ value: Double) -> Double? {
        guard value.isFinite, !isLog || value > 0 else { return nil }
        let t = isLog
            ? (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
            : (value - lower) / (upper - lower)
        return pixelStart + t * (pixelEnd - pixelStart)
    }

    /// The smallest interval containing the usable values, widened when it is
    /// a single point so that every scale has a non-zero extent.
    public static func extent(of values: [Double], isLog: Bool = false) -> (lower: Double, upper: Double) {
        let usable = values.filter { $0.isFinite && (!isLog || $0 > 0) }
        guard var lo = usable.min(), var hi = usable.max() else { return isLog ? (1, 10) : (0, 1) }
        if lo == hi {
            if isLog { lo /= 2; hi *= 2 } else {
                let pad = lo == 0 ? 1 : abs(lo) * 0.1
                lo -= pad; hi += pad
            }
        }
        return (lo, hi)
    }
}

/// Tick positions and their labels.
public enum Ticks {
    /// The 1-2-5 step closest to giving `count` intervals over `lower…upper`,
    /// as mantissa (1, 2 or 5) and power of ten: step = mantissa × 10^exponent.
    static func step(_ lower: Double, _ upper: Double, count: Int) -> (mantissa: Int, exponent: Int) {
        let rough = (upper - lower) / Double(max(1, count))
        guard rough > 0, rough.isFinite else { return (1, 0) }
        var exponent = Int(floor(log10(rough)))
        let normalised = rough / pow(10, Double(exponent))  // in [1, 10)
        // Round to the nearest of 1, 2, 5, 10 (thresholds near the geometric means).
        let mantissa: Int
        if normalised < 1.5 { mantissa = 1 }
        else if normalised < 3 { mantissa = 2 }
        else if normalised < 7 { mantissa = 5 }
        else { mantissa = 1; exponent += 1 }
        return (mantissa, exponent)
    }

    /// k × mantissa × 10^exponent, computed so that e.g. 3 × 0.2 is exactly 0.6.
    static func multiple(_ k: Int, _ mantissa: Int, _ exponent: Int) -> Double {
        let base = Double(k * mantissa)
        return exponent >= 0 ? base * pow(10, Double(exponent)) : base / pow(10, Double(-exponent))
    }

    /// "Nice" ticks inside `lower…upper` with a 1-2-5 step, about `count` intervals.
    public static func nice(_ lower: Double, _ upper: Double, count: Int = 5) -> [Double] {
        guard lower.isFinite, upper.isFinite, lower < upper else { return lower.isFinite ? [lower] : [] }
        let (m, e) = step(lower, upper, count: count)
        let stepValue = multiple(1, m, e)
        let first = Int((lower / stepValue - 1e-9).rounded(.up))
        let last = Int((upper / stepValue + 1e-9).rounded(.down))
        guard first <= last else { return [] }
        return (first...last).map { multiple($0, m, e) }
    }

    /// Decimals needed to print ticks from `nice(lower, upper, count:)` exactly.
    public static func decimals(_ lower: Double, _ upper: Double, count: Int = 5) -> Int {
        max(0, -step(lower, upper, count: count).exponent)
    }

    /// Ticks for a log axis: powers of ten, and 2× and 5× within short ranges.
    public static func log(_ lower: Double, _ upper: Double) -> [Double] {
        guard lower > 0, upper > lower, lower.isFinite, upper.isFinite else { return [] }
        let low = Int(floor(log10(lower))), high = Int(ceil(log10(upper)))
        let decades = high - low
        let mantissas = decades <= 3 ? [1, 2, 5] : [1]
        let every = max(1, (decades + 5) / 6)  // at most ~6 labelled decades
        var ticks: [Double] = []
        for e in low...high where (e - low) % every == 0 {
            for m in mantissas {
                let value = multiple(1, m, e)
                if value >= lower * (1 - 1e-9) && value <= upper * (1 + 1e-9) { ticks.append(value) }
            }
        }
        return ticks
    }

    /// A label with a fixed number of decimals ("0.0", "0.2", …; never "-0").
    public static func label(_ value: Double, decimals: Int) -> String {
        let places = min(max(decimals, 0), 10)
        let text = String(format: "%.\(places)f", value)
        // Tiny negatives round to "-0.0"; print them as "0.0".
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }

    /// A label for a log-axis tick: plain for 0.001…10000, else like "1e-5".
    public static func logLabel(_ value: Double) -> String {
        let exponent = Int(floor(log10(value) + 1e-9))
        if (-3...4).contains(exponent) { return label(value, decimals: max(0, -exponent)) }
        let mantissa = Int((value / pow(10, Double(exponent))).rounded())
        return "\(mantissa)e\(exponent)"
    }
}

/// Colours: the Okabe–Ito palette, safe for the common colour-vision deficiencies.
public enum Palette {
    /// Blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow, black.
    public static let okabeIto = [
        "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
    ]

    /// The colour of series or class `index` (wraps around after eight).
    public static func color(_ index: Int) -> String {
        let n = okabeIto.count
        return okabeIto[((index % n) + n) % n]
    }

    /// A pale tint of `color(index)` for backgrounds: `amount` of the colour, rest white.
    public static func light(_ index: Int, amount: Double = 0.3) -> String {
        mix("#FFFFFF", color(index), amount)
    }

    /// Linear blend of two "#RRGGBB" colours: t = 0 gives `a`, t = 1 gives `b`.
    public static func mix(_ a: String, _ b: String, _ t: Double) -> String {
        let ca = components(a), cb = components(b)
        let t = min(max(t, 0), 1)
        let mixed = (0..<3).map { Int((Double(ca[$0]) * (1 - t) + Double(cb[$0]) * t).rounded()) }
        return hex(mixed[0], mixed[1], mixed[2])
    }

    /// "#RRGGBB" from 0…255 channels (clamped).
    public static func hex(_ r: Int, _ g: Int, _ b: Int) -> String {
        let digits = Array("0123456789ABCDEF")
        var out = "#"
        for c in [r, g, b] {
            let v = min(max(c, 0), 255)
            out.append(digits[v / 16]); out.append(digits[v % 16])
        }
        return out
    }

    static func components(_ hex: String) -> [Int] {
        let digits = Array(hex.dropFirst())
        guard digits.count == 6 else { return [0, 0, 0] }
        return (0..<3).map { Int(String(digits[2 * $0 ..< 2 * $0 + 2]), radix: 16) ?? 0 }
    }
}

/// One row of a legend.
public struct LegendEntry: Sendable, Equatable {
    public enum Symbol: Sendable, Equatable {
        case line(dashed: Bool)
        case marker
        case swatch
    }
    public var name: String
    public var color: String
    public var symbol: Symbol

    public init(_ name: String, color: String, symbol: Symbol) {
        self.name = name
        self.color = color
        self.symbol = symbol
    }
}

/// The plot box of a figure and everything around it.
public struct Axes: Sendable {
    public var width: Double
    public var height: Double
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Plot box in pixels: data lives in left…left+boxWidth, top…top+boxHeight.
    public var left: Double, top: Double, boxWidth: Double, boxHeight: Double
    public var x: AxisScale
    public var y: AxisScale
    public var legend: [LegendEntry]

    static let legendRow = 18.0

    /// Rough width of `text` in pixels (sans-serif averages ~0.6 em per character).
    public static func textWidth(_ text: String, fontSize: Double = 12) -> Double {
        Double(text.count) * fontSize * 0.6
    }

    /// Lays out the frame for data in `xDomain` × `yDomain`. The legend names
    /// are needed here because the legend's width decides the right margin.
    public init(width: Double, height: Double, title: String, xLabel: String, yLabel: String,
                xDomain: (lower: Double, upper: Double), yDomain: (lower: Double, upper: Double),
                logY: Bool = false, legend: [LegendEntry] = []) {
        self.width = width
        self.height = height
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.legend = legend
        top = title.isEmpty ? 14 : 40
        boxHeight = max(10, height - top - (xLabel.isEmpty ? 30 : 50))
        y = AxisScale(lower: yDomain.lower, upper: yDomain.upper,
                      pixelStart: top + boxHeight, pixelEnd: top, isLog: logY)
        // Left margin: room for the widest y tick label and the rotated y title.
        let widestTick = Axes.yTickLabels(y).map { Axes.textWidth($0.1) }.max() ?? 0
        left = 14 + (yLabel.isEmpty ? 0 : 18) + widestTick + 8
        let legendWidth = legend.isEmpty ? 0 : Axes.legendSize(legend).width + 16
        boxWidth = max(10, width - left - 20 - legendWidth)
        x = AxisScale(lower: xDomain.lower, upper: xDomain.upper, pixelStart: left, pixelEnd: left + boxWidth)
    }

    /// Pixel position of a data point, or `nil` if either coordinate is unusable.
    public func point(_ dataX: Double, _ dataY: Double) -> SVGPoint? {
        guard let px = x(dataX), let py = y(dataY) else { return nil }
        return SVGPoint(px, py)
    }

    static func xTickLabels(_ scale: AxisScale, count: Int) -> [(Double, String)] {
        let d = Ticks.decimals(scale.lower, scale.upper, count: count)
        return Ticks.nice(scale.lower, scale.upper, count: count).map { ($0, Ticks.label($0, decimals: d)) }
    }

    static func yTickLabels(_ scale: AxisScale) -> [(Double, String)] {
        if scale.isLog { return Ticks.log(scale.lower, scale.upper).map { ($0, Ticks.logLabel($0)) } }
        return xTickLabels(scale, count: max(2, Int(abs(scale.pixelEnd - scale.pixelStart) / 50)))
    }

    /// Frame, grid lines, ticks, tick labels and titles (draw data after this).
    public func frame() -> [SVGElement] {
        let right = left + boxWidth, bottom = top + boxHeight
        var grid: [SVGElement] = [], marks: [SVGElement] = [], labels: [SVGElement] = []
        let xCount = max(2, Int(boxWidth / 70))
        for (value, text) in Axes.xTickLabels(x, count: xCount) {
            guard let px = x(value) else { continue }
            grid.append(.line(x1: px, y1: top, x2: px, y2: bottom))
            marks.append(.line(x1: px, y1: bottom, x2: px, y2: bottom + 5))
            labels.append(.text(text, x: px, y: bottom + 18, anchor: .middle))
        }
        for (value, text) in Axes.yTickLabels(y) {
            guard let py = y(value) else { continue }
            grid.append(.line(x1: left, y1: py, x2: right, y2: py))
            marks.append(.line(x1: left - 5, y1: py, x2: left, y2: py))
            labels.append(.text(text, x: left - 8, y: py + 4, anchor: .end))
        }
        var out: [SVGElement] = [
            .rect(x: left, y: top, width: boxWidth, height: boxHeight,
                  style: .init(fill: "#FFFFFF", stroke: "#444444", strokeWidth: 1, className: "plot-area")),
            .group(grid, style: .init(stroke: "#E3E3E3", strokeWidth: 1, className: "grid")),
            .group(marks, style: .init(stroke: "#444444", strokeWidth: 1, className: "tick-marks")),
            .group(labels, style: .init(fill: "#333333", className: "tick-labels")),
        ]
        if !title.isEmpty {
            // Centred over the plot box, but moved inward so a long title stays on the page.
            let half = Axes.textWidth(title, fontSize: 15) / 2
            let centre = min(max(left + boxWidth / 2, half + 8), width - half - 8)
            out.append(.text(title, x: centre, y: 24, anchor: .middle,
                             style: .init(fontSize: 15, bold: true, className: "title")))
        }
        if !xLabel.isEmpty {
            out.append(.text(xLabel, x: left + boxWidth / 2, y: bottom + 40, anchor: .middle,
                             style: .init(fontSize: 13, className: "x-label")))
        }
        if !yLabel.isEmpty {
            out.append(.text(yLabel, x: 18, y: top + boxHeight / 2, anchor: .middle, rotation: -90,
                             style: .init(fontSize: 13, className: "y-label")))
        }
        return out
    }

    /// The legend's size in pixels.
    static func legendSize(_ entries: [LegendEntry]) -> (width: Double, height: Double) {
        let widest = entries.map { textWidth($0.name) }.max() ?? 0
        return (10 + 22 + 6 + widest + 10, 8 + Double(entries.count) * legendRow + 4)
    }

    /// The legend box, placed right of the plot box and aligned with its top.
    public func legendBox() -> SVGElement? {
        guard !legend.isEmpty else { return nil }
        let size = Axes.legendSize(legend)
        let x0 = left + boxWidth + 16, y0 = top
        var items: [SVGElement] = [
            .rect(x: x0, y: y0, width: size.width, height: size.height,
                  style: .init(fill: "#FFFFFF", stroke: "#999999", strokeWidth: 1)),
        ]
        for (i, entry) in legend.enumerated() {
            let cy = y0 + 8 + Axes.legendRow * (Double(i) + 0.5)
            let sx = x0 + 10
            switch entry.symbol {
            case .line(let dashed):
                items.append(.line(x1: sx, y1: cy, x2: sx + 22, y2: cy,
                                   style: .init(stroke: entry.color, strokeWidth: 2.5, dash: dashed ? [6, 3] : nil)))
            case .marker:
                items.append(.circle(cx: sx + 11, cy: cy, r: 4.5,
                                     style: .init(fill: entry.color, stroke: "#FFFFFF", strokeWidth: 1)))
            case .swatch:
                items.append(.rect(x: sx + 3, y: cy - 6, width: 16, height: 12,
                                   style: .init(fill: entry.color, stroke: "#999999", strokeWidth: 0.5)))
            }
            items.append(.text(entry.name, x: sx + 28, y: cy + 4, style: .init(fill: "#222222")))
        }
        return .group(items, style: .init(className: "legend"))
    }
}
