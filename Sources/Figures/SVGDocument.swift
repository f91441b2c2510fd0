// SVGDocument: a tiny, deterministic SVG writer.
//
// Contract:
// - A document is a width, a height and an ordered list of elements (rect,
//   line, polyline, circle, text, group). `render()` turns it into an SVG
//   string; the same document always renders to the same bytes.
// - Every number goes through `SVGFormat.number`: at most two decimals, no
//   trailing zeros, no "-0", no exponent, no locale. Non-finite numbers never
//   reach the output (they render as 0; plotting code filters them earlier).
// - Text and attribute values are XML-escaped (`&`, `<`, `>`, `"`, `'`) and
//   characters that XML 1.0 forbids are dropped, so the output always parses.
// - `write(to:)` creates missing directories and replaces the file atomically:
//   it writes a temporary file next to the target, then renames it over the
//   target, so a reader never sees half a figure.
// - Anything that draws a figure conforms to `Figure` and gets `render()` and
//   `write(to:)` for free.

import Foundation
import Storage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in pixel coordinates (y grows downwards, as in SVG).
public struct SVGPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// Which point of a text string its `x` coordinate refers to.
public enum TextAnchor: String, Sendable {
    case start, middle, end
}

/// Presentation attributes shared by all elements; `nil` means "inherit".
public struct SVGStyle: Sendable, Equatable {
    public var fill: String?
    public var stroke: String?
    public var strokeWidth: Double?
    /// Dash pattern in pixels, e.g. `[6, 4]`.
    public var dash: [Double]?
    public var opacity: Double?
    public var fontSize: Double?
    public var bold: Bool
    /// Emitted as `class="…"`; lets tests and stylesheets find elements.
    public var className: String?
    /// Asks the renderer not to anti-alias edges (no seams between cells).
    public var crispEdges: Bool

    public init(
        fill: String? = nil, stroke: String? = nil, strokeWidth: Double? = nil,
        dash: [Double]? = nil, opacity: Double? = nil, fontSize: Double? = nil,
        bold: Bool = false, className: String? = nil, crispEdges: Bool = false
    ) {
        self.fill = fill
        self.stroke = stroke
        self.strokeWidth = strokeWidth
        self.dash = dash
        self.opacity = opacity
        self.fontSize = fontSize
        self.bold = bold
        self.className = className
        self.crispEdges = crispEdges
    }

    /// The attributes in a fixed order, each preceded by a space.
    func attributes(defaultFill: String? = nil) -> String {
        let f = SVGFormat.number
        var out = ""
        if let className { out += " class=\"\(SVGFormat.escape(className))\"" }
        if let fill = fill ?? defaultFill { out += " fill=\"\(SVGFormat.escape(fill))\"" }
        if let stroke { out += " stroke=\"\(SVGFormat.escape(stroke))\"" }
        if let strokeWidth { out += " stroke-width=\"\(f(strokeWidth))\"" }
        if let dash, !dash.isEmpty {
            out += " stroke-dasharray=\"\(dash.map(f).joined(separator: " "))\""
        }
        if let opacity { out += " opacity=\"\(f(opacity))\"" }
        if let fontSize { out += " font-size=\"\(f(fontSize))\"" }
        if bold { out += " font-weight=\"bold\"" }
        if crispEdges { out += " shape-rendering=\"crispEdges\"" }
        return out
    }
}

/// One drawable element. Groups nest and pass their style to children.
public indirect enum SVGElement: Sendable, Equatable {
    case rect(x: Double, y: Double, width: Double, height: Double, style: SVGStyle = .init())
    case line(x1: Double, y1: Double, x2: Double, y2: Double, style: SVGStyle = .init())
    case polyline(points: [SVGPoint], style: SVGStyle = .init())
    case circle(cx: Double, cy: Double, r: Double, style: SVGStyle = .init())
    /// `rotation` is in degrees, about (x, y); -90 reads bottom to top.
    case text(_ text: String, x: Double, y: Double, anchor: TextAnchor = .start,
              rotation: Double = 0, style: SVGStyle = .init())
    case group(_ children: [SVGElement], style: SVGStyle = .init())

    /// Appends this element's markup, one element per line, to `out`.
    func render(into out: inout String, indent: String) {
        let f = SVGFormat.number
        switch self {
        case let .rect(x, y, width, height, style):
            out += "\(indent)<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(max(0, width)))\""
                + " height=\"\(f(max(0, height)))\"\(style.attributes())/>\n"
        case let .line(x1, y1, x2, y2, style):
            out += "\(indent)<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\""
                + "\(style.attributes())/>\n"
        case let .polyline(points, style):
            let list = points.map { "\(f($0.x)),\(f($0.y))" }.joined(separator: " ")
            // A polyline is a path, not an area: never fill it by default.
            out += "\(indent)<polyline points=\"\(list)\"\(style.attributes(defaultFill: "none"))"
                + " stroke-linejoin=\"round\"/>\n"
        case let .circle(cx, cy, r, style):
            out += "\(indent)<circle cx=\"\(f(cx))\" cy=\"\(f(cy))\" r=\"\(f(max(0, r)))\""
                + "\(style.attributes())/>\n"
        case let .text(text, x, y, anchor, rotation, style):
            var attrs = "x=\"\(f(x))\" y=\"\(f(y))\""
            if anchor != .start { attrs += " text-anchor=\"\(anchor.rawValue)\"" }
            if rotation != 0 { attrs += " transform=\"rotate(\(f(rotation)) \(f(x)) \(f(y)))\"" }
            out += "\(indent)<text \(attrs)\(style.attributes())>\(SVGFormat.escape(text))</text>\n"
        case let .group(children, style):
            out += "\(indent)<g\(style.attributes())>\n"
            for child in children { child.render(into: &out, indent: indent + "  ") }
            out += "\(indent)</g>\n"
        }
    }
}

/// Formatting helpers that make the output byte-for-byte reproducible.
public enum SVGFormat {
    /// Rounds to two decimals and drops trailing zeros: 1 → "1", 0.5 → "0.5",
    /// 2/3 → "0.67", -0.001 → "0". Non-finite values render as "0".
    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let hundredths = (value * 100).rounded()
        // Beyond 2^53 hundredths Double has no fractional digits left anyway.
        guard abs(hundredths) < 9.0e15 else { return String(Int64(value.rounded())) }
        let n = Int64(hundredths)
        let magnitude = n.magnitude
        let whole = magnitude / 100, fraction = magnitude % 100
        var text = String(whole)
        if fraction != 0 {
            text += fraction % 10 == 0 ? ".\(fraction / 10)" : (fraction < 10 ? ".0\(fraction)" : ".\(fraction)")
        }
        return n < 0 ? "-" + text : text
    }

    /// Escapes the five XML special characters and drops characters that are
    /// not allowed in XML 1.0 (most control characters).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let v = scalar.value
                let allowed = (v >= 0x20 && v <= 0xD7FF) || (v >= 0xE000 && v <= 0xFFFD) || v >= 0x10000
                if allowed { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}

/// An SVG image under construction.
public struct SVGDocument: Sendable, Equatable {
    public var width: Double
    public var height: Double
    /// Painted first, under everything; `nil` leaves the image transparent.
    /// White by default so figures stay readable on GitHub's dark theme.
    public var background: String?
    public var elements: [SVGElement]

    public init(width: Double, height: Double, background: String? = "#FFFFFF",
                elements: [SVGElement] = []) {
        self.width = width
        self.height = height
        self.background = background
        self.elements = elements
    }

    /// Appends one element (drawn above the ones added before).
    public mutating func add(_ element: SVGElement) { elements.append(element) }

    /// Appends several elements in order.
    public mutating func add(contentsOf more: [SVGElement]) { elements.append(contentsOf: more) }

    /// The complete SVG file as a string, ending with a newline.
    public func render() -> String {
        let w = SVGFormat.number(width), h = SVGFormat.number(height)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\""
            + " viewBox=\"0 0 \(w) \(h)\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
        if let background {
            SVGElement.rect(x: 0, y: 0, width: width, height: height, style: .init(fill: background))
                .render(into: &out, indent: "  ")
        }
        for element in elements { element.render(into: &out, indent: "  ") }
        out += "</svg>\n"
        return out
    }

    /// Writes `render()` to `url` atomically, creating parent directories
    /// (see AtomicFile.swift).
    public func write(to url: URL) throws {
        try AtomicFile.write(Data(render().utf8), to: url)
    }
}

/// Anything that can be drawn as an SVG document.
public protocol Figure {
    /// Builds the figure's SVG document.
    func document() -> SVGDocument
}

extension Figure {
    /// The figure as an SVG string.
    public func render() -> String { document().render() }

    /// Writes the figure to `url` (atomically, creating directories).
    public func write(to url: URL) throws { try document().write(to: url) }
}
