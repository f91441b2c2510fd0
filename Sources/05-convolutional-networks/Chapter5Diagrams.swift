// Chapter 5's pictures of ideas, every number computed by the chapter's own
// layers and kernels (none of them trains anything):
// - 05-convolution-sliding.svg: a 3×3 kernel sliding with stride 2 over the
//   first digit of the dataset, padded by 1: the output size worked out, one
//   output computed tap by tap, and the whole output from `Conv2D`.
// - 05-im2col.svg: im2col on a two-channel 4×4 input whose every value is its
//   own index, unfolded by `Im2colConvolution.im2col`, and the one matrix
//   product Y = W·X̂ that replaces the loops (Y from the im2col forward pass).
// - 05-max-pool-gradient.svg: 2×2 max pooling of a real feature map (the same
//   edge kernel on the same digit, stride 1, after ReLU) and its backward
//   pass from `MaxPool2D`: each dy goes to its window's arg-max only.

import Backpropagation
import BackpropCore
import Datasets
import Figures
import Foundation

extension Chapter5Figures {
    /// The diagrams, which train nothing (quick in a debug build).
    public static func untrained() throws -> [(String, any Figure)] {
        [("05-convolution-sliding.svg", try convolutionSliding()), ("05-im2col.svg", try im2colProduct()),
         ("05-max-pool-gradient.svg", try maxPoolGradient())]
    }

    /// The first digit of the bundled dataset (0–16 per pixel), as [1, 1, 8, 8].
    static func firstDigit() throws -> (image: Tensor<Double>, label: Int) {
        let digits = try BundledData.digits()
        return (try Tensor<Double>(shape: [1, 1, 8, 8], scalars: digits.features.row(0).scalars.map(Double.init)), digits.labels[0])
    }

    /// A 3×3 kernel that responds to the top edge of a stroke: ink below, blank above.
    static let edgeKernel: [Double] = [-1, -1, -1, 0, 0, 0, 1, 1, 1]

    /// A light grey-blue for a value in [0, top] (white at 0), so dark text stays readable.
    static func shade(_ value: Double, top: Double) -> String? {
        guard value > 0 else { return nil }
        let t = min(1, value / top)
        let channel = { (full: Double, end: Double) in String(format: "%02X", Int((full + (end - full) * t).rounded())) }
        return "#" + channel(255, 150) + channel(255, 170) + channel(255, 210)
    }

    /// The kernel sliding over the padded digit with stride 2.
    static func convolutionSliding() throws -> Diagram {
        let (x, label) = try firstDigit()
        let (stride, padding, k) = (2, 1, 3)
        let conv = try Conv2D<Double>(weight: try Tensor(shape: [1, 1, 3, 3], scalars: edgeKernel), bias: nil, stride: stride,
                                      padding: padding, backend: .naive)
        let (y, _) = try conv.forward(x, mode: .inference)
        let g = try conv.geometry(for: x.shape)
        let (ho, wo) = (g.outHeight, g.outWidth)
        let (oi, oj) = (0, 1)  // the output drawn tap by tap: its window overlaps the padding
        func pixel(_ h: Int, _ w: Int) -> Double { (0..<8).contains(h) && (0..<8).contains(w) ? x.scalars[h * 8 + w] : 0 }

        var d = Diagram(width: 980, height: 400, title: "A 3×3 convolution with stride 2 and padding 1 on a real digit")
        // The padded input.
        let cell = 26.0, gx = 30.0, gy = 70.0, n = 8 + 2 * padding
        let top = x.scalars.max() ?? 1
        d.add(D.label("input: digit ‘\(label)’, 8×8, zero-padded to \(n)×\(n)", x: gx + Double(n) * cell / 2, y: gy - 12, fontSize: 12, bold: true))
        d.add(D.grid(rows: n, columns: n, x: gx, y: gy, cell: cell, fill: { r, c in
            let (h, w) = (r - padding, c - padding)
            return (0..<8).contains(h) && (0..<8).contains(w) ? shade(pixel(h, w), top: top) : D.Ink.mutedFill
        }, text: { r, c in D.number(pixel(r - padding, c - padding)) }, fontSize: 10.5))
        // Windows: the one computed (solid) and its neighbour one stride to the right (dashed).
        for (j, dashed) in [(oj, false), (oj + 1, true)] {
            let left = gx + Double(j * stride) * cell, upper = gy + Double(oi * stride) * cell
            d.add(.rect(x: left, y: upper, width: Double(k) * cell, height: Double(k) * cell,
                        style: .init(fill: "none", stroke: D.Ink.forward, strokeWidth: dashed ? 1.5 : 2.5, dash: dashed ? [5, 3] : nil)))
        }
        d.add(D.label("grey: padding (zeros). Solid: the window of y[\(oi), \(oj)];", x: gx, y: gy + Double(n) * cell + 18, fontSize: 11,
                      anchor: .start))
        d.add(D.label("dashed: the next window, one stride (\(stride)) to the right", x: gx, y: gy + Double(n) * cell + 34,
                      color: D.Ink.forward, fontSize: 11, anchor: .start))

        // The kernel, then the output computed tap by tap.
        let kx = 340.0, ky = 96.0
        d.add(D.label("kernel w (3×3)", x: kx + 1.5 * cell, y: ky - 12, color: D.Ink.parameter, fontSize: 12, bold: true))
        d.add(D.grid(rows: 3, columns: 3, x: kx, y: ky, cell: cell, text: { r, c in D.number(edgeKernel[r * 3 + c]) }, fontSize: 11,
                     stroke: D.Ink.parameter))
        d.add(D.label("ink below, blank above:", x: kx + 1.5 * cell, y: ky + 3 * cell + 18, fontSize: 10.5))
        d.add(D.label("a stroke's top edge", x: kx + 1.5 * cell, y: ky + 3 * cell + 32, fontSize: 10.5))
        var products: [String] = [], sum = 0.0
        for u in 0..<k {
            var row: [String] = []
            for v in 0..<k {
                let xv = pixel(oi * stride - padding + u, oj * stride - padding + v), wv = edgeKernel[u * 3 + v]
                row.append((wv < 0 ? "(\(D.number(wv)))" : D.number(wv)) + "·" + D.number(xv))
                sum += wv * xv
            }
            products.append(row.joined(separator: " + "))
        }
        let library = y.scalars[oi * wo + oj]
        precondition(sum == library, "the tap-by-tap sum must be Conv2D's output")
        let cx = 460.0
        d.add(D.label("y[\(oi), \(oj)] = Σᵤᵥ w[u, v] · x[\(stride)·\(oi) − \(padding) + u, \(stride)·\(oj) − \(padding) + v]",
                      x: cx, y: 100, fontSize: 12, anchor: .start))
        for (r, line) in products.enumerated() {
            d.add(D.label((r == 0 ? "= " : "+ ") + line, x: cx + 10, y: 126 + Double(r) * 20, fontSize: 12, anchor: .start))
        }
        d.add(D.label("= \(D.number(library))", x: cx + 10, y: 126 + 3 * 20, color: D.Ink.forward, fontSize: 12.5, anchor: .start,
                      bold: true))
        d.add(D.label("(the top row of taps reads the padding)", x: cx + 10, y: 126 + 4 * 20, fontSize: 10.5, anchor: .start))

        // The output.
        let ox = 800.0, oy = 96.0
        d.add(D.label("output y (\(ho)×\(wo))", x: ox + Double(wo) * cell / 2, y: oy - 12, color: D.Ink.forward, fontSize: 12, bold: true))
        d.add(D.grid(rows: ho, columns: wo, x: ox, y: oy, cell: cell + 6,
                     fill: { r, c in r == oi && c == oj ? D.Ink.highlightFill : nil },
                     text: { r, c in D.number(y.scalars[r * wo + c]) }, fontSize: 11))
        d.add(D.arrow(from: SVGPoint(cx + 70, 182), to: SVGPoint(ox + Double(oj) * (cell + 6) + 8, oy + cell + 4), color: D.Ink.forward))

        // The output size, worked.
        let fy = 262.0
        d.add(D.label("Output size along each axis:", x: 340, y: fy, fontSize: 12, anchor: .start, bold: true))
        d.add(D.label("n_out = ⌊(n + 2p − k) / s⌋ + 1 = ⌊(8 + 2·\(padding) − \(k)) / \(stride)⌋ + 1 = ⌊\(8 + 2 * padding - k)/\(stride)⌋ + 1 = \(ho)",
                      x: 340, y: fy + 22, fontSize: 12, anchor: .start))
        d.add(D.label("Windows start at padded positions 0, 2, 4, 6; the last covers 6–8, so padded position 9 (the right",
                      x: 340, y: fy + 48, fontSize: 11.5, anchor: .start))
        d.add(D.label("and bottom padding) is never read: the floor drops it. Each output is one affine map of the 9 pixels under",
                      x: 340, y: fy + 66, fontSize: 11.5, anchor: .start))
        d.add(D.label("its window, with the same 9 weights at every position. Numbers from Conv2D (naive kernels, Double).",
                      x: 340, y: fy + 84, fontSize: 11.5, anchor: .start))
        return d
    }

    /// im2col on a two-channel input and the GEMM that replaces the loops.
    static func im2colProduct() throws -> Diagram {
        let (cin, cout, side, k) = (2, 2, 4, 3)
        let g = try ConvolutionGeometry(batch: 1, inChannels: cin, height: side, width: side, outChannels: cout,
                                        kernelHeight: k, kernelWidth: k)
        let x = (0..<(cin * side * side)).map(Double.init)  // every value is its own index
        var rng = SeededRandom(seed: 5)
        let w = (0..<(cout * cin * k * k)).map { _ in Double(rng.integer(below: 3) - 1) }
        // The unfolding, by the fast twin's own im2col.
        let plan = Im2colConvolution.Plan(g, groupColumns: 1)
        let scratch = Im2colConvolution.Scratch<Double>(plan, product: true)
        defer { scratch.free() }
        x.withUnsafeBufferPointer { Im2colConvolution.im2col(plan, $0.baseAddress!, count: 1, scratch) }
        let rows = plan.k, columns = plan.hw
        let unfolded = (0..<(rows * columns)).map { scratch.cols[$0] }
        // The product, by the fast twin's forward pass.
        var y = [Double](repeating: 0, count: cout * columns)
        x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                y.withUnsafeMutableBufferPointer { py in
                    Im2colConvolution.convolutionForward(g, input: px.baseAddress!, weight: pw.baseAddress!, bias: nil, output: py.baseAddress!)
                }
            }
        }
        let q = 1, (qi, qj) = (q / g.outWidth, q % g.outWidth)  // the column followed through

        let cell = 23.0
        let xhatX = 560.0, xhatY = 78.0
        let yY = xhatY + Double(rows) * cell + 34
        let wX = xhatX - 24 - Double(rows) * cell
        var d = Diagram(width: 960, height: yY + Double(cout) * cell + 100,
                        title: "im2col: every receptive field becomes a column, and the convolution one matrix product")
        let intro = ["C_in = \(cin) channels of \(side)×\(side), \(k)×\(k) kernels, stride 1, no padding,",
                     "C_out = \(cout): \(g.outHeight)×\(g.outWidth) = \(columns) output positions, each reading",
                     "K = C_in·k_h·k_w = \(rows) inputs."]
        for (i, line) in intro.enumerated() { d.add(D.label(line, x: 40, y: 110 + Double(i) * 18, fontSize: 11.5, anchor: .start)) }
        // The input channels, their values their indices.
        for c in 0..<cin {
            let ix = 40.0 + Double(c) * 130, iy = 226.0
            d.add(D.label("x, channel \(c)", x: ix + 2 * cell, y: iy - 10, fontSize: 12, bold: true))
            d.add(D.grid(rows: side, columns: side, x: ix, y: iy, cell: cell, fill: { r, col in
                (qi..<(qi + k)).contains(r) && (qj..<(qj + k)).contains(col) ? D.Ink.highlightFill : nil
            }, text: { r, col in D.number(x[(c * side + r) * side + col]) }, fontSize: 10.5))
        }
        d.add(D.label("each value is its own index, so X̂ shows where it came from", x: 40, y: 348, fontSize: 11, anchor: .start))
        d.add(D.label("highlighted: the receptive field of output position (\(qi), \(qj))", x: 40, y: 366, fontSize: 11, anchor: .start))
        d.add(D.arrow(from: SVGPoint(300, 272), to: SVGPoint(xhatX - 62, 272), color: D.Ink.forward))
        d.add(D.label("im2col", x: 390, y: 264, color: D.Ink.forward, fontSize: 12, bold: true))
        d.add(D.label("copies, no arithmetic", x: 390, y: 288, color: D.Ink.forward, fontSize: 10.5))
        // X̂: K rows (c, u, v), HW columns.
        d.add(D.label("X̂: K = \(rows) rows × \(columns) columns", x: xhatX + Double(columns) * cell / 2, y: xhatY - 22, fontSize: 12, bold: true))
        for j in 0..<columns {
            d.add(D.label("q=\(j)", x: xhatX + (Double(j) + 0.5) * cell, y: xhatY - 6, fontSize: 9.5))
        }
        d.add(D.grid(rows: rows, columns: columns, x: xhatX, y: xhatY, cell: cell,
                     fill: { _, col in col == q ? D.Ink.highlightFill : nil },
                     text: { r, col in D.number(unfolded[r * columns + col]) }, fontSize: 10.5))
        for r in 0..<rows {
            let (c, u, v) = (r / (k * k), (r / k) % k, r % k)
            d.add(D.label("(\(c),\(u),\(v))", x: xhatX - 6, y: xhatY + (Double(r) + 0.5) * cell + 4, fontSize: 9.5, anchor: .end))
        }
        d.add(D.label("row r = (c·k_h + u)·k_w + v", x: xhatX + Double(columns) * cell + 12, y: xhatY + 14, fontSize: 11, anchor: .start))
        d.add(D.label("holds tap (c, u, v)", x: xhatX + Double(columns) * cell + 12, y: xhatY + 30, fontSize: 11, anchor: .start))
        d.add(D.label("column q = i·W_out + j holds", x: xhatX + Double(columns) * cell + 12, y: xhatY + 56, fontSize: 11, anchor: .start))
        d.add(D.label("the receptive field of (i, j)", x: xhatX + Double(columns) * cell + 12, y: xhatY + 72, fontSize: 11, anchor: .start))
        // W: C_out × K, the weight as it lies in memory.
        d.add(D.label("W: the weight [\(cout), \(cin), \(k), \(k)] read as \(cout) × \(rows)", x: wX + Double(rows) * cell / 2, y: yY - 10,
                      color: D.Ink.parameter, fontSize: 12, bold: true))
        d.add(D.grid(rows: cout, columns: rows, x: wX, y: yY, cell: cell, text: { r, col in D.number(w[r * rows + col]) }, fontSize: 10.5,
                     stroke: D.Ink.parameter))
        for o in 0..<cout {
            d.add(D.label("o=\(o)", x: wX - 6, y: yY + (Double(o) + 0.5) * cell + 4, fontSize: 9.5, anchor: .end))
        }
        // Y = W·X̂.
        d.add(D.grid(rows: cout, columns: columns, x: xhatX, y: yY, cell: cell,
                     fill: { _, col in col == q ? D.Ink.highlightFill : D.Ink.operationFill },
                     text: { r, col in D.number(y[r * columns + col]) }, fontSize: 10.5, stroke: D.Ink.forward))
        d.add(D.label("Y = W·X̂", x: xhatX + Double(columns) * cell + 12, y: yY + 16, color: D.Ink.forward, fontSize: 12, anchor: .start,
                      bold: true))
        d.add(D.label("[\(cout) × \(columns)]: one GEMM", x: xhatX + Double(columns) * cell + 12, y: yY + 34, color: D.Ink.forward, fontSize: 11,
                      anchor: .start))
        // The output maps: Y's rows, reshaped.
        let mx = xhatX + Double(columns) * cell + 126
        d.add(D.label("reshaped: row o of Y", x: mx + 68, y: yY - 68, fontSize: 11))
        d.add(D.label("is output map o", x: mx + 68, y: yY - 53, fontSize: 11))
        for o in 0..<cout {
            let ox = mx + Double(o) * 90
            d.add(D.label("y, channel \(o)", x: ox + cell, y: yY - 34, fontSize: 11))
            d.add(D.grid(rows: g.outHeight, columns: g.outWidth, x: ox, y: yY - 24, cell: cell,
                         fill: { r, c in r * g.outWidth + c == q ? D.Ink.highlightFill : D.Ink.operationFill },
                         text: { r, c in D.number(y[o * columns + r * g.outWidth + c]) }, fontSize: 10.5, stroke: D.Ink.forward))
        }
        let below = yY + Double(cout) * cell + 26
        let notes = [
            "Y[o, q] = row o of W · column q of X̂: one filter dotted with one receptive field. The highlighted column of X̂ is the highlighted",
            "window of x, channel 0's nine taps then channel 1's, in the order the weight is stored, so W is the weight read as it lies in memory.",
            "X̂ from Im2colConvolution.im2col, Y from its forward pass (a matrix product on X̂ in place); W drawn from {−1, 0, 1} with seed 5.",
        ]
        for (i, line) in notes.enumerated() {
            d.add(D.label(line, x: 40, y: below + Double(i) * 18, fontSize: 11.5, anchor: .start))
        }
        return d
    }

    /// 2×2 max pooling of a real feature map, forward and backward.
    static func maxPoolGradient() throws -> Diagram {
        let (digit, label) = try firstDigit()
        let conv = try Conv2D<Double>(weight: try Tensor(shape: [1, 1, 3, 3], scalars: edgeKernel), bias: nil, padding: 1, backend: .naive)
        let map = try conv.forward(digit, mode: .inference).output.mapped(.relu)  // [1, 1, 8, 8]
        let pool = MaxPool2D<Double>(2, backend: .naive)
        let (y, cache) = try pool.forward(map, mode: .training)
        let dy = try Tensor<Double>(shape: [1, 1, 4, 4], scalars: (1...16).map { Double($0) / 10 })
        let dx = try pool.backward(dy, cache: cache)
        let argmax = Set(cache.0.map(Int.init))
        // Windows whose maximum is tied, and those among them that the ReLU zeroed.
        let windows: [[Double]] = (0..<16).map { o in
            let (i, j) = (o / 4, o % 4)
            return [(0, 0), (0, 1), (1, 0), (1, 1)].map { (u: Int, v: Int) -> Double in map.scalars[(2 * i + u) * 8 + 2 * j + v] }
        }
        let tied = (0..<16).filter { o in windows[o].filter { $0 == y.scalars[o] }.count > 1 }
        let zeroed = tied.filter { y.scalars[$0] == 0 }

        let cell = 25.0, big = 8 * cell, small = 4 * cell
        let left = 40.0, rightX = 540.0, topY = 80.0, lowY = 340.0
        var d = Diagram(width: 860, height: 616, title: "Max pooling routes each gradient to its window's maximum, and nowhere else")
        let top = map.scalars.max() ?? 1
        // Forward: x with its 2×2 windows, the arg-maxes highlighted; y.
        d.add(D.label("x: a feature map (the edge kernel on digit ‘\(label)’, stride 1, after ReLU)", x: left, y: topY - 14,
                      fontSize: 12, anchor: .start, bold: true))
        d.add(D.grid(rows: 8, columns: 8, x: left, y: topY, cell: cell,
                     fill: { r, c in argmax.contains(r * 8 + c) ? D.Ink.highlightFill : shade(map.scalars[r * 8 + c], top: top) },
                     text: { r, c in D.number(map.scalars[r * 8 + c]) }, fontSize: 10.5))
        d.add(windowLines(x: left, y: topY, cell: cell, windows: 4))
        d.add(D.arrow(from: SVGPoint(left + big + 20, topY + big / 2), to: SVGPoint(rightX - 20, topY + big / 2), color: D.Ink.forward))
        d.add(D.label("max over each 2×2 window", x: (left + big + rightX) / 2, y: topY + big / 2 - 10, color: D.Ink.forward, fontSize: 11.5))
        d.add(D.label("remember the arg-max (yellow)", x: (left + big + rightX) / 2, y: topY + big / 2 + 20, color: D.Ink.forward, fontSize: 11))
        d.add(D.label("y (4×4)", x: rightX + small / 2, y: topY + big / 2 - small / 2 - 10, color: D.Ink.forward, fontSize: 12, bold: true))
        d.add(D.grid(rows: 4, columns: 4, x: rightX, y: topY + big / 2 - small / 2, cell: cell, fill: { _, _ in D.Ink.operationFill },
                     text: { r, c in D.number(y.scalars[r * 4 + c]) }, fontSize: 10.5, stroke: D.Ink.forward))
        // Backward: dy, routed into dx.
        d.add(D.label("dy (4×4, given)", x: rightX + small / 2, y: lowY + big / 2 - small / 2 - 10, color: D.Ink.backward, fontSize: 12, bold: true))
        d.add(D.grid(rows: 4, columns: 4, x: rightX, y: lowY + big / 2 - small / 2, cell: cell,
                     text: { r, c in D.number(dy.scalars[r * 4 + c]) }, fontSize: 10.5, stroke: D.Ink.backward))
        d.add(D.arrow(from: SVGPoint(rightX - 20, lowY + big / 2), to: SVGPoint(left + big + 20, lowY + big / 2), color: D.Ink.backward,
                      dashed: true))
        d.add(D.label("each dy goes to its window's", x: (left + big + rightX) / 2, y: lowY + big / 2 - 10, color: D.Ink.backward, fontSize: 11.5))
        d.add(D.label("arg-max; the rest get 0", x: (left + big + rightX) / 2, y: lowY + big / 2 + 20, color: D.Ink.backward, fontSize: 11.5))
        d.add(D.label("dx = ∂L/∂x", x: left, y: lowY - 14, color: D.Ink.backward, fontSize: 12, anchor: .start, bold: true))
        d.add(D.grid(rows: 8, columns: 8, x: left, y: lowY, cell: cell,
                     fill: { r, c in dx.scalars[r * 8 + c] != 0 ? "#F6C9C4" : nil },
                     text: { r, c in D.number(dx.scalars[r * 8 + c]) }, fontSize: 10.5))
        d.add(windowLines(x: left, y: lowY, cell: cell, windows: 4))
        let note = lowY + big + 26
        d.add(D.label("\(tied.count) of the 16 windows have a tied maximum (\(zeroed.count) of them all zeros after the ReLU):", x: left, y: note,
                      fontSize: 11.5, anchor: .start))
        d.add(D.label("the first maximum in row order gets all of dy, PyTorch's rule.", x: left, y: note + 18, fontSize: 11.5, anchor: .start))
        d.add(D.label("y, the arg-maxes and dx are MaxPool2D's forward and backward passes (naive kernels); dy is chosen for the picture.",
                      x: left, y: note + 36, fontSize: 11.5, anchor: .start))
        return d
    }

    /// Thick lines between the 2×2 windows of a grid.
    static func windowLines(x: Double, y: Double, cell: Double, windows: Int) -> SVGElement {
        let size = Double(windows) * 2 * cell
        var lines: [SVGElement] = []
        for i in 0...windows {
            let offset = Double(i) * 2 * cell
            lines.append(.line(x1: x + offset, y1: y, x2: x + offset, y2: y + size, style: .init(stroke: D.Ink.neutral, strokeWidth: 2)))
            lines.append(.line(x1: x, y1: y + offset, x2: x + size, y2: y + offset, style: .init(stroke: D.Ink.neutral, strokeWidth: 2)))
        }
        return .group(lines)
    }
}

private typealias D = Diagram
