// MatrixPlot: a labelled heat map of a small matrix (confusion matrices,
// attention weights, correlation tables).
//
// Contract:
// - `values[i][j]` is drawn as the square cell in row i (top to bottom) and
//   column j (left to right), cellSize × cellSize pixels. A confusion matrix
//   puts the true class in the rows and the predicted class in the columns.
//   Ragged rows are padded: the matrix has as many columns as its longest row,
//   and a missing entry is treated like NaN.
// - Every entry gets exactly one rect, in row-major order, in the group with
//   class "cells"; with `showValues` its printed value is one text in the
//   group "values", in the same order.
// - Colours: `.sequential` runs from white (the low end) to a dark blue (the
//   palette's blue darkened), linearly in RGB, so a larger value is never
//   lighter. Its domain is min(0, smallest)…max(0, largest), so counts start
//   at white for 0. `.diverging` runs blue (negative) – white (exactly 0) –
//   red (positive), symmetric: -max|v|…max|v|. `range` overrides the domain
//   (diverging uses ±max(|lower|, |upper|)); values outside it are clamped.
// - `normalizeRows`: colours use each entry's share of its row,
//   v / Σ|row| (the diagonal of a confusion matrix then shows per-class
//   recall), on the domain 0…1 (diverging -1…1) unless `range` is given. The
//   printed numbers stay the raw values. A row whose sum is 0 is all white.
// - Non-finite entries (NaN, ±∞, missing) are drawn in neutral grey, not part
//   of any colour map, and printed as "–"; they never break the figure.
// - Printed values are white on dark cells and dark on light ones, whichever
//   contrasts more (WCAG relative luminance); exact zeros are printed in a
//   muted grey so a sparse confusion matrix's errors stand out. The font
//   shrinks so the widest printed value fits in a cell.
// - Labels: `rowLabels` / `columnLabels` name the rows and columns. A list
//   whose count differs from the matrix's (including the default empty list)
//   is not an error: the indices "0", "1", … are shown instead, so a figure
//   always renders. Column labels too wide for a cell are written vertically.
// - The colour key is a small vertical gradient bar right of the matrix with
//   its end values (and 0 in the middle for `.diverging`); it reads
//   "0%"…"100%" with the caption "share of row" when rows are normalised.
// - A matrix with no rows or no columns renders as its title and the note
//   "(empty matrix)".

import Foundation

/// A heat map of a small matrix with row/column labels and a colour key.
public struct MatrixPlot: Figure, Sendable {
    /// How a cell's value is printed.
    public enum ValueFormat: Sendable, Equatable {
        /// Rounded to a whole number: 12.
        case integer
        /// With a fixed number of decimals: `.decimals(2)` prints 0.25.
        case decimals(Int)
        /// A fraction as a whole percentage: 0.934 prints 93%.
        case percent
    }

    /// How values become colours.
    public enum ColorMap: Sendable, Equatable {
        /// White (low) to dark blue (high), for counts and probabilities.
        case sequential
        /// Blue (negative), white (0), red (positive), for signed values.
        case diverging
    }

    public var title: String
    public var values: [[Double]]
    public var rowLabels: [String]
    public var columnLabels: [String]
    public var rowTitle: String
    public var columnTitle: String
    public var showValues: Bool
    public var valueFormat: ValueFormat
    public var colorMap: ColorMap
    public var normalizeRows: Bool
    /// The values (or row shares, with `normalizeRows`) the colour map spans;
    /// `nil` derives it from the data.
    public var range: ClosedRange<Double>?
    public var cellSize: Double

    public init(title: String = "", values: [[Double]], rowLabels: [String] = [], columnLabels: [String] = [],
                rowTitle: String = "true class", columnTitle: String = "predicted class",
                showValues: Bool = true, valueFormat: ValueFormat = .integer,
                colorMap: ColorMap = .sequential, normalizeRows: Bool = false,
                range: ClosedRange<Double>? = nil, cellSize: Double = 36) {
        self.title = title
        self.values = values
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.rowTitle = rowTitle
        self.columnTitle = columnTitle
        self.showValues = showValues
        self.valueFormat = valueFormat
        self.colorMap = colorMap
        self.normalizeRows = normalizeRows
        self.range = range
        self.cellSize = cellSize
    }

    /// A confusion matrix of counts (e.g. from `Metrics.confusionMatrix`):
    /// rows are the true class, columns the predicted class, both named by
    /// `classNames` (indices when its count does not match).
    public init(title: String = "", counts: [[Int]], classNames: [String] = [],
                normalizeRows: Bool = false, cellSize: Double = 36) {
        self.init(title: title, values: counts.map { $0.map(Double.init) }, rowLabels: classNames,
                  columnLabels: classNames, normalizeRows: normalizeRows, cellSize: cellSize)
    }

    // MARK: - Data

    public var rowCount: Int { values.count }
    public var columnCount: Int { values.map(\.count).max() ?? 0 }

    /// The row labels drawn: `rowLabels`, or the indices if its count does not match.
    public var displayedRowLabels: [String] {
        rowLabels.count == rowCount ? rowLabels : (0..<rowCount).map(String.init)
    }

    /// The column labels drawn: `columnLabels`, or the indices if its count does not match.
    public var displayedColumnLabels: [String] {
        columnLabels.count == columnCount ? columnLabels : (0..<columnCount).map(String.init)
    }

    /// Entry (row, column), or nil when it is missing or not finite.
    func entry(_ row: Int, _ column: Int) -> Double? {
        guard column < values[row].count, values[row][column].isFinite else { return nil }
        return values[row][column]
    }

    /// What the colour map is applied to: the entry, or its share of the row.
    func colorValues() -> [[Double?]] {
        (0..<rowCount).map { row in
            let entries = (0..<columnCount).map { entry(row, $0) }
            guard normalizeRows else { return entries }
            let total = entries.compactMap { $0 }.map(abs).reduce(0, +)
            return entries.map { v in v.map { total > 0 ? $0 / total : 0 } }
        }
    }

    /// The interval the colour map spans, never empty.
    func domain(_ colorValues: [[Double?]]) -> (lower: Double, upper: Double) {
        let finite = colorValues.flatMap { $0.compactMap { $0 } }
        var lo: Double, hi: Double
        if let range, range.lowerBound.isFinite, range.upperBound.isFinite {
            (lo, hi) = (range.lowerBound, range.upperBound)
        } else if normalizeRows {
            (lo, hi) = (colorMap == .diverging ? -1 : 0, 1)
        } else {
            (lo, hi) = (min(0, finite.min() ?? 0), max(0, finite.max() ?? 0))
        }
        if colorMap == .diverging {
            let m = max(abs(lo), abs(hi))
            (lo, hi) = m > 0 ? (-m, m) : (-1, 1)  // all zero: white, not the blue end
        }
        if !(hi > lo) { hi = lo + 1 }
        return (lo, hi)
    }

    /// Position of `value` in the domain, clamped to 0…1.
    static func position(_ value: Double, in domain: (lower: Double, upper: Double)) -> Double {
        min(max((value - domain.lower) / (domain.upper - domain.lower), 0), 1)
    }

    static let sequentialHigh = Palette.mix(Palette.color(0), "#000000", 0.3)  // #00507D
    static let divergingLow = "#2166AC", divergingHigh = "#B2182B"
    static let missingColor = "#D4D4D4"
    static let darkText = "#222222", lightText = "#FFFFFF", zeroText = "#A8A8A8"

    /// The colour at position t ∈ [0, 1] of the domain.
    func color(_ t: Double) -> String {
        switch colorMap {
        case .sequential:
            return Palette.mix("#FFFFFF", MatrixPlot.sequentialHigh, t)
        case .diverging:
            return t < 0.5
                ? Palette.mix("#FFFFFF", MatrixPlot.divergingLow, (0.5 - t) * 2)
                : Palette.mix("#FFFFFF", MatrixPlot.divergingHigh, (t - 0.5) * 2)
        }
    }

    /// Fill colours, row-major, one per entry.
    public func cellColors() -> [[String]] {
        let shaded = colorValues()
        let d = domain(shaded)
        return shaded.map { row in
            row.map { v in v.map { color(MatrixPlot.position($0, in: d)) } ?? MatrixPlot.missingColor }
        }
    }

    /// WCAG relative luminance of "#RRGGBB", 0 (black) … 1 (white).
    public static func luminance(_ hex: String) -> Double {
        let c = Palette.components(hex).map { channel -> Double in
            let s = Double(channel) / 255
            return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    }

    /// White or dark text, whichever contrasts more with `fill`.
    static func textColor(on fill: String) -> String {
        let l = luminance(fill)
        let againstWhite = 1.05 / (l + 0.05)
        let againstDark = (l + 0.05) / (luminance(darkText) + 0.05)
        return againstWhite > againstDark ? lightText : darkText
    }

    /// `value` printed in `valueFormat` ("–" when not finite).
    public func format(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "–" }
        switch valueFormat {
        case .integer: return Ticks.label(value, decimals: 0)
        case .decimals(let places): return Ticks.label(value, decimals: places)
        case .percent: return Ticks.label(value * 100, decimals: 0) + "%"
        }
    }

    /// A colour key label: like the cells, but never rounding a fractional end to an integer.
    func keyLabel(_ value: Double) -> String {
        if normalizeRows && range == nil { return Ticks.label(value * 100, decimals: 0) + "%" }
        if valueFormat == .integer && value != value.rounded() { return SVGFormat.number(value) }
        return format(value)
    }

    // MARK: - Layout

    static let margin = 12.0, titleFont = 15.0, axisTitleFont = 13.0
    static let keyGap = 20.0, keyBarWidth = 12.0, keySteps = 48

    public func document() -> SVGDocument {
        let rows = rowCount, columns = columnCount
        guard rows > 0 && columns > 0 else { return emptyDocument() }
        let size = max(cellSize.isFinite ? cellSize : 36, 4)
        let rowNames = displayedRowLabels, columnNames = displayedColumnLabels
        let colors = cellColors()
        let printed = (0..<rows).map { r in (0..<columns).map { format(entry(r, $0)) } }

        // Horizontal layout: row title, row labels, grid, colour key.
        // Tick labels are 12 px, smaller only when the cells are very small.
        let labelFont = min(12, max(6, (size * 0.8).rounded(.down)))
        let rowLabelWidth = rowNames.map { Axes.textWidth($0, fontSize: labelFont) }.max() ?? 0
        // Whole pixels, so cell edges stay sharp.
        let gridLeft = (MatrixPlot.margin + (rowTitle.isEmpty ? 0 : 22) + rowLabelWidth + 8).rounded(.up)
        let gridWidth = Double(columns) * size, gridHeight = Double(rows) * size
        let gridRight = gridLeft + gridWidth

        // Vertical layout: title, grid, column labels, column title.
        let gridTop = title.isEmpty ? MatrixPlot.margin + 4 : 42
        let gridBottom = gridTop + gridHeight
        let widestColumnLabel = columnNames.map { Axes.textWidth($0, fontSize: labelFont) }.max() ?? 0
        let verticalColumnLabels = widestColumnLabel > max(size - 4, labelFont)
        let columnLabelHeight = verticalColumnLabels ? widestColumnLabel + 8 : 20
        let columnTitleY = gridBottom + columnLabelHeight + 18
        let contentBottom = columnTitle.isEmpty ? gridBottom + columnLabelHeight : columnTitleY + 4

        // The colour key.
        let d = domain(colorValues())
        let keyX = gridRight + MatrixPlot.keyGap
        let keyHeight = max(min(gridHeight, 180), 48)
        var keyTicks: [(Double, String)] = [(1, keyLabel(d.upper)), (0, keyLabel(d.lower))]
        if colorMap == .diverging && keyHeight >= 80 { keyTicks.insert((0.5, keyLabel(0)), at: 1) }
        let keyCaption = normalizeRows && range == nil ? "share of row" : ""
        let keyLabelWidth = keyTicks.map { Axes.textWidth($0.1, fontSize: 11) }.max() ?? 0
        let keyRight = keyX + MatrixPlot.keyBarWidth + 6 + keyLabelWidth
        let captionRight = keyX + Axes.textWidth(keyCaption, fontSize: 11)

        let keyBottom = gridTop + keyHeight + (keyCaption.isEmpty ? 6 : 24)

        let titleWidth = Axes.textWidth(title, fontSize: MatrixPlot.titleFont) + 2 * MatrixPlot.margin
        let width = max(max(keyRight, captionRight) + MatrixPlot.margin, titleWidth).rounded(.up)
        let height = max(contentBottom, keyBottom) + MatrixPlot.margin
        var doc = SVGDocument(width: width, height: height)

        if !title.isEmpty {
            // Centred over the grid, but kept on the page.
            let half = Axes.textWidth(title, fontSize: MatrixPlot.titleFont) / 2
            let centre = min(max(gridLeft + gridWidth / 2, half + 8), width - half - 8)
            doc.add(.text(title, x: centre, y: 24, anchor: .middle,
                          style: .init(fontSize: MatrixPlot.titleFont, bold: true, className: "title")))
        }

        // Cells, then a frame around them.
        var cells: [SVGElement] = []
        for r in 0..<rows {
            for c in 0..<columns {
                cells.append(.rect(x: gridLeft + Double(c) * size, y: gridTop + Double(r) * size,
                                   width: size, height: size, style: .init(fill: colors[r][c])))
            }
        }
        doc.add(.group(cells, style: .init(stroke: "#FFFFFF", strokeWidth: 1, className: "cells")))
        doc.add(.rect(x: gridLeft, y: gridTop, width: gridWidth, height: gridHeight,
                      style: .init(fill: "none", stroke: "#9A9A9A", strokeWidth: 1, className: "grid-frame")))

        if showValues {
            // The widest printed value decides one font size for every cell.
            let widest = Double(printed.flatMap { $0 }.map(\.count).max() ?? 1)
            let font = max(6, min(12, size * 0.4, (size - 6) / (0.6 * widest))).rounded(.down)
            var texts: [SVGElement] = []
            for r in 0..<rows {
                for c in 0..<columns {
                    let value = entry(r, c)
                    let fill = value == nil ? "#666666"
                        : value == 0 ? MatrixPlot.zeroText : MatrixPlot.textColor(on: colors[r][c])
                    texts.append(.text(printed[r][c], x: gridLeft + (Double(c) + 0.5) * size,
                                       y: gridTop + (Double(r) + 0.5) * size + font * 0.36, anchor: .middle,
                                       style: .init(fill: fill)))
                }
            }
            doc.add(.group(texts, style: .init(fontSize: font, className: "values")))
        }

        // Row and column labels.
        let rowTexts: [SVGElement] = rowNames.enumerated().map { r, name in
            .text(name, x: gridLeft - 7, y: gridTop + (Double(r) + 0.5) * size + labelFont * 0.35, anchor: .end)
        }
        doc.add(.group(rowTexts, style: .init(fill: "#333333", fontSize: labelFont, className: "row-labels")))
        let columnTexts: [SVGElement] = columnNames.enumerated().map { c, name in
            let centre = gridLeft + (Double(c) + 0.5) * size
            return verticalColumnLabels
                ? .text(name, x: centre + labelFont * 0.35, y: gridBottom + 7, anchor: .end, rotation: -90)
                : .text(name, x: centre, y: gridBottom + 4 + labelFont, anchor: .middle)
        }
        doc.add(.group(columnTexts, style: .init(fill: "#333333", fontSize: labelFont, className: "column-labels")))
        if !rowTitle.isEmpty {
            doc.add(.text(rowTitle, x: MatrixPlot.margin + 10, y: gridTop + gridHeight / 2, anchor: .middle,
                          rotation: -90, style: .init(fontSize: MatrixPlot.axisTitleFont, className: "row-title")))
        }
        if !columnTitle.isEmpty {
            doc.add(.text(columnTitle, x: gridLeft + gridWidth / 2, y: columnTitleY, anchor: .middle,
                          style: .init(fontSize: MatrixPlot.axisTitleFont, className: "column-title")))
        }

        doc.add(colorKey(x: keyX, y: gridTop, height: keyHeight, ticks: keyTicks, caption: keyCaption))
        return doc
    }

    /// A matrix without entries: the title and a note, no grid or key.
    func emptyDocument() -> SVGDocument {
        let note = "(empty matrix)"
        let top = title.isEmpty ? MatrixPlot.margin : 42
        let width = (max(Axes.textWidth(title, fontSize: MatrixPlot.titleFont), Axes.textWidth(note))
            + 2 * MatrixPlot.margin).rounded(.up)
        var doc = SVGDocument(width: width, height: top + 14 + MatrixPlot.margin)
        if !title.isEmpty {
            doc.add(.text(title, x: width / 2, y: 24, anchor: .middle,
                          style: .init(fontSize: MatrixPlot.titleFont, bold: true, className: "title")))
        }
        doc.add(.text(note, x: width / 2, y: top + 10, anchor: .middle,
                      style: .init(fill: "#777777", className: "empty-note")))
        return doc
    }

    /// The gradient bar (drawn as thin bands, top = high end) with its labels.
    func colorKey(x: Double, y: Double, height: Double, ticks: [(Double, String)], caption: String) -> SVGElement {
        let n = MatrixPlot.keySteps
        // Band edges come from integer indices, so neighbours share them exactly.
        let bands: [SVGElement] = (0..<n).map { i in
            let top = y + height * Double(i) / Double(n), bottom = y + height * Double(i + 1) / Double(n)
            return .rect(x: x, y: top, width: MatrixPlot.keyBarWidth, height: bottom - top,
                         style: .init(fill: color(1 - (Double(i) + 0.5) / Double(n))))
        }
        var parts: [SVGElement] = [
            .group(bands, style: .init(className: "key-bands", crispEdges: true)),
            .rect(x: x, y: y, width: MatrixPlot.keyBarWidth, height: height,
                  style: .init(fill: "none", stroke: "#9A9A9A", strokeWidth: 1)),
        ]
        var labels: [SVGElement] = []
        for (t, text) in ticks {
            let py = y + (1 - t) * height
            labels.append(.line(x1: x + MatrixPlot.keyBarWidth, y1: py, x2: x + MatrixPlot.keyBarWidth + 3, y2: py,
                                style: .init(stroke: "#666666", strokeWidth: 1)))
            labels.append(.text(text, x: x + MatrixPlot.keyBarWidth + 6, y: py + 4, style: .init(fill: "#333333")))
        }
        parts.append(.group(labels, style: .init(fontSize: 11, className: "key-labels")))
        if !caption.isEmpty {
            parts.append(.text(caption, x: x, y: y + height + 18,
                               style: .init(fill: "#555555", fontSize: 11, className: "key-caption")))
        }
        return .group(parts, style: .init(className: "color-key"))
    }
}
