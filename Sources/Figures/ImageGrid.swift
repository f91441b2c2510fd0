// ImageGrid: small images side by side (digits, learned filters, weights).
//
// Contract:
// - Each image is a row-major `[Double]` of imageWidth × imageHeight pixels
//   (pixel (col, row) is `image[row * imageWidth + col]`), drawn as
//   pixelSize × pixelSize squares, left to right then top to bottom, in
//   `columns` columns.
// - Values are scaled to [0, 1] per image (its own min…max) or by a fixed
//   range (values outside are clamped). A constant image shows as mid-level.
// - `.gray` maps 0 → black, 1 → white; `.ink` the reverse (dark strokes on
//   paper, good for digits); `.diverging` maps to blue–white–red with white
//   at the middle of the range (per image: ±max|v|, so zero is white).
// - Equal neighbouring pixels in a row are merged into one rect; missing or
//   non-finite pixels are left blank. An optional caption sits under each
//   image ("7 → 1").
// - Marked images (by index) get a thick red frame and a red caption, to
//   single out, say, the misclassified ones among many.

import Foundation

/// A grid of small images with optional captions.
public struct ImageGrid: Figure, Sendable {
    /// How raw values become intensities in [0, 1].
    public enum Scaling: Sendable {
        /// Each image's own min…max (diverging: -max|v|…max|v|).
        case perImage
        /// One fixed range for all images, e.g. 0...1 or -0.5...0.5.
        case range(ClosedRange<Double>)
    }

    /// How intensities in [0, 1] become colours.
    public enum ColorMap: Sendable {
        /// 0 black … 1 white.
        case gray
        /// 0 white … 1 black, like ink on paper.
        case ink
        /// 0 blue … 0.5 white … 1 red, for signed weights.
        case diverging
    }

    public var title: String
    public var images: [[Double]]
    public var imageWidth: Int
    public var imageHeight: Int
    /// One caption per image; missing or empty captions are not drawn.
    public var captions: [String]
    public var columns: Int
    public var pixelSize: Double
    public var scaling: Scaling
    public var colorMap: ColorMap
    /// The indices of the images to single out with a red frame and caption.
    public var marked: Set<Int>

    public init(title: String = "", images: [[Double]], imageWidth: Int, imageHeight: Int,
                captions: [String] = [], columns: Int = 10, pixelSize: Double = 4,
                scaling: Scaling = .perImage, colorMap: ColorMap = .ink, marked: Set<Int> = []) {
        self.title = title
        self.images = images
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
        self.captions = captions
        self.columns = columns
        self.pixelSize = pixelSize
        self.scaling = scaling
        self.colorMap = colorMap
        self.marked = marked
    }

    static let margin = 10.0, gap = 10.0, captionHeight = 18.0
    static let markColor = "#B2182B"

    /// Intensities in [0, 1] (nil where the pixel is missing or not finite).
    func intensities(_ image: [Double]) -> [Double?] {
        let count = max(0, imageWidth) * max(0, imageHeight)
        let values: [Double?] = (0..<count).map { $0 < image.count && image[$0].isFinite ? image[$0] : nil }
        let finite = values.compactMap { $0 }
        var lo: Double, hi: Double
        switch scaling {
        case .range(let r):
            (lo, hi) = (r.lowerBound, r.upperBound)
        case .perImage:
            if colorMap == .diverging {
                let m = finite.map(abs).max() ?? 0
                (lo, hi) = (-m, m)
            } else {
                (lo, hi) = (finite.min() ?? 0, finite.max() ?? 0)
            }
        }
        return values.map { v in
            guard let v else { return nil }
            guard hi > lo else { return 0.5 }
            return min(max((v - lo) / (hi - lo), 0), 1)
        }
    }

    /// The colour of intensity t ∈ [0, 1] under `colorMap`.
    func color(_ t: Double) -> String {
        switch colorMap {
        case .gray:
            let v = Int((t * 255).rounded())
            return Palette.hex(v, v, v)
        case .ink:
            let v = Int(((1 - t) * 255).rounded())
            return Palette.hex(v, v, v)
        case .diverging:
            return t < 0.5
                ? Palette.mix("#FFFFFF", "#2166AC", (0.5 - t) * 2)
                : Palette.mix("#FFFFFF", "#B2182B", (t - 0.5) * 2)
        }
    }

    /// Width of one grid column: the image, or its widest caption if wider.
    var columnWidth: Double {
        let widest = captions.map { Axes.textWidth($0, fontSize: 11) }.max() ?? 0
        return max(Double(imageWidth) * pixelSize, widest)
    }

    var hasCaptions: Bool { captions.contains { !$0.isEmpty } }

    public func document() -> SVGDocument {
        let cols = max(1, min(columns, images.count))
        let rows = (images.count + cols - 1) / cols
        let imageW = Double(imageWidth) * pixelSize, imageH = Double(imageHeight) * pixelSize
        let cellH = imageH + (hasCaptions ? ImageGrid.captionHeight : 0)
        let top = title.isEmpty ? ImageGrid.margin : 34
        let footer = colorMap == .diverging ? 22.0 : 0
        let width = max(2 * ImageGrid.margin + Double(cols) * columnWidth + Double(cols - 1) * ImageGrid.gap,
                        title.isEmpty ? 0 : Axes.textWidth(title, fontSize: 15) + 2 * ImageGrid.margin)
        let height = top + Double(rows) * cellH + Double(max(0, rows - 1)) * ImageGrid.gap
            + ImageGrid.margin + footer
        var doc = SVGDocument(width: width, height: height)
        if !title.isEmpty {
            doc.add(.text(title, x: width / 2, y: 22, anchor: .middle,
                          style: .init(fontSize: 15, bold: true, className: "title")))
        }
        for (index, image) in images.enumerated() {
            let col = index % cols, row = index / cols
            let cellX = ImageGrid.margin + Double(col) * (columnWidth + ImageGrid.gap)
            let x0 = cellX + (columnWidth - imageW) / 2
            let y0 = top + Double(row) * (cellH + ImageGrid.gap)
            let isMarked = marked.contains(index)
            var parts: [SVGElement] = [
                .group(pixelRects(image, x0: x0, y0: y0), style: .init(className: "pixels", crispEdges: true)),
                isMarked
                    ? .rect(x: x0 - 1, y: y0 - 1, width: imageW + 2, height: imageH + 2,
                            style: .init(fill: "none", stroke: ImageGrid.markColor, strokeWidth: 2, className: "image-border marked"))
                    : .rect(x: x0, y: y0, width: imageW, height: imageH,
                            style: .init(fill: "none", stroke: "#888888", strokeWidth: 0.5, className: "image-border")),
            ]
            if index < captions.count, !captions[index].isEmpty {
                parts.append(.text(captions[index], x: cellX + columnWidth / 2, y: y0 + imageH + 13, anchor: .middle,
                                   style: .init(fill: isMarked ? ImageGrid.markColor : "#222222", fontSize: 11, bold: isMarked,
                                                className: "caption")))
            }
            doc.add(.group(parts, style: .init(className: "image")))
        }
        if colorMap == .diverging {
            doc.add(.text(colorKey, x: width / 2, y: height - 10, anchor: .middle,
                          style: .init(fill: "#555555", fontSize: 11, className: "color-key")))
        }
        return doc
    }

    /// The footer explaining the diverging colours.
    var colorKey: String {
        switch scaling {
        case .perImage:
            return "blue < 0 < red, white = 0"
        case .range(let r):
            let f = SVGFormat.number
            return "blue \(f(r.lowerBound)) · white \(f((r.lowerBound + r.upperBound) / 2)) · red \(f(r.upperBound))"
        }
    }

    /// One rect per run of equal colours along each pixel row of one image.
    func pixelRects(_ image: [Double], x0: Double, y0: Double) -> [SVGElement] {
        let colors = intensities(image).map { $0.map(color) }
        var rects: [SVGElement] = []
        for row in 0..<max(0, imageHeight) {
            var start = 0
            while start < imageWidth {
                let first = colors[row * imageWidth + start]
                var end = start + 1
                while end < imageWidth && colors[row * imageWidth + end] == first { end += 1 }
                if let first {
                    rects.append(.rect(x: x0 + Double(start) * pixelSize, y: y0 + Double(row) * pixelSize,
                                       width: Double(end - start) * pixelSize, height: pixelSize,
                                       style: .init(fill: first)))
                }
                start = end
            }
        }
        return rects
    }
}
