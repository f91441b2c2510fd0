// Chapter 5's graders, continued: exercise 5.8, measure a receptive field.
//
// The student gets black boxes built from the book's layers (Conv2D,
// MaxPool2D, the naive kernels, Double, seeded weights, no ReLU) and returns
// the mask of the pixels that can change one output; separately, the side of
// the receptive field the chapter's recurrence predicts for a list of layers.
// Expected values come from definitions, not from the code being graded:
//
// - the mask from index arithmetic: starting from the output's row (and,
//   separately, its column), each layer from the top down maps a position i
//   to the positions i·s − p + u·d, u = 0 … k − 1, of its input that lie
//   inside it (padding is not a pixel). Every layer here mixes all channels
//   or keeps one, and every weight is nonzero, so the field is the product of
//   the rows and the columns reached. The self-tests check this against
//   the library's networks: their output shapes, and the pixels their
//   backward pass reaches (all of the field without a max pool, part of it
//   with one), besides the reference solution's perturbations;
// - the size from the recurrence r ← r + d(k − 1)·J, J ← J·s, r = J = 1 at the
//   input, written here as a loop; the self-tests check it against the
//   bounding box of the index arithmetic wherever the image does not clip it.
//
// The networks: the chapter's digits CNN from DigitsCNN.make (its two 3×3
// convolutions with padding 1, here with 4 and 6 channels, and its 2×2 max
// pool, the ReLUs taken out) on a real test digit,
// with an output in the middle (6 × 6, as the chapter says) and two at the
// border (clipped by the image's edge); two stride-2 convolutions with padding
// 1 on an 11 × 13 image; two dilated convolutions (dilation 2, then 3) whose
// field has holes; a convolution, a max pool and a convolution; a Gaussian
// blur whose corner weights are 10⁻⁷ of its centre, then a convolution.

import Backpropagation
import BackpropCore
import ConvolutionalNetworks
import ExerciseKit
import Foundation

/// The black box a student measures: an image (H rows of W) to one output map.
public typealias ReceptiveFieldNetwork = ([[Double]]) throws -> [[Double]]
/// Exercise 5.8's measurement: network, image, output row, output column → an H × W mask.
public typealias MeasureReceptiveField = (ReceptiveFieldNetwork, [[Double]], Int, Int) throws -> [[Bool]]
/// Exercise 5.8's prediction: layers from the input up → the side of the field.
public typealias PredictReceptiveField = ([(kernel: Int, stride: Int, dilation: Int)]) throws -> Int

/// Thrown by a black box called with an image of the wrong shape.
public struct BlackBoxMisuse: Error, CustomStringConvertible {
    public let description: String
}

extension Chapter05Graders {
    // MARK: - 5.8 Measure a receptive field

    /// One layer as the grader's index arithmetic sees it (a pool is a layer
    /// whose window is its kernel).
    struct FieldLayer: Sendable {
        var kernel: Int, stride = 1, padding = 0, dilation = 1
        var recurrence: (kernel: Int, stride: Int, dilation: Int) { (kernel, stride, dilation) }
    }

    /// One network to measure: the grader's description of its layers, the
    /// library's layers, the output channel shown, the image and the outputs asked for.
    struct FieldCase {
        var name: String
        var layers: [FieldLayer]
        var network: Sequential<Double>
        /// The network's first layer is Unflatten: it takes [1, H·W].
        var flatInput = false
        var channel: Int
        var image: [[Double]]
        var positions: [(row: Int, column: Int)]
        var hasMaxPool = false
        var hasTinyWeights = false
    }

    /// The side predicted by the chapter's recurrence, as a loop: J is the
    /// distance in pixels between neighbouring units of the current layer.
    static func recurrence(_ layers: [(kernel: Int, stride: Int, dilation: Int)]) -> Int {
        var r = 1, jump = 1
        for layer in layers {
            r += layer.dilation * (layer.kernel - 1) * jump
            jump *= layer.stride
        }
        return r
    }

    /// The sizes of one axis at each layer's input and at the top, by counting
    /// the windows that fit (as 5.1's grader does).
    static func axisSizes(_ layers: [FieldLayer], _ n: Int) -> [Int] {
        var sizes = [n]
        for l in layers {
            sizes.append(windowStarts(SizeCase(n: sizes.last!, k: l.kernel, s: l.stride, p: l.padding, d: l.dilation)).count)
        }
        return sizes
    }

    /// The positions of one axis of the input reached from `position` at the top.
    static func axisField(_ layers: [FieldLayer], _ n: Int, _ position: Int) -> Set<Int> {
        let sizes = axisSizes(layers, n)
        var reached: Set<Int> = [position]
        for (index, l) in layers.enumerated().reversed() {
            var below: Set<Int> = []
            for i in reached {
                for u in 0..<l.kernel {
                    let t = i * l.stride - l.padding + u * l.dilation
                    if t >= 0, t < sizes[index] { below.insert(t) }
                }
            }
            reached = below
        }
        return reached
    }

    /// The grader's expected mask: the rows reached × the columns reached.
    static func expectedField(_ c: FieldCase, _ row: Int, _ column: Int) -> [[Bool]] {
        let rows = axisField(c.layers, c.image.count, row), columns = axisField(c.layers, c.image[0].count, column)
        return c.image.indices.map { r in c.image[r].indices.map { rows.contains(r) && columns.contains($0) } }
    }

    /// The black box: the library's layers on the image, one channel of the output.
    static func blackBox(_ c: FieldCase) -> ReceptiveFieldNetwork {
        let (h, w) = (c.image.count, c.image[0].count)
        let network = c.network, channel = c.channel, flat = c.flatInput
        return { x in
            guard x.count == h, x.allSatisfy({ $0.count == w }) else {
                throw BlackBoxMisuse(description: "exercise 5.8: the network takes an image of \(h) rows of \(w) pixels "
                    + "(like `image`), but was called with \(x.count) rows of \(Set(x.map(\.count)).sorted())")
            }
            let y = try network(try Tensor(shape: flat ? [1, h * w] : [1, 1, h, w], scalars: x.flatMap { $0 }))
            let (ho, wo) = (y.shape[2], y.shape[3])
            return (0..<ho).map { i in (0..<wo).map { j in y.scalars[(channel * ho + i) * wo + j] } }
        }
    }

    /// The five networks, seeded.
    static func fieldCases() throws -> [FieldCase] {
        var rng = SeededRandom(seed: 5808)
        func tensor(_ shape: [Int], _ scale: Double) throws -> Tensor<Double> {
            try Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.uniform(-scale, scale) })
        }
        func conv(_ cin: Int, _ cout: Int, _ k: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1) throws -> Conv2D<Double> {
            try Conv2D(weight: try tensor([cout, cin, k, k], 1 / Double(k)), bias: try tensor([cout], 0.5), stride: stride,
                       padding: padding, dilation: dilation, backend: .naive)
        }
        func image(_ h: Int, _ w: Int) -> [[Double]] { (0..<h).map { _ in (0..<w).map { _ in rng.uniform(0, 1) } } }

        // The chapter's digits CNN, built by DigitsCNN.make, up to its max pool, with the ReLUs taken out,
        // and 4 and 6 channels instead of 16 and 32 (as in 5.7): the field does not depend on them.
        let digits = try DigitsCNN.make(channels: DigitsRun.channels, seed: 42, backend: .naive) as Sequential<Double>
        var kept: [any Layer<Double>] = []
        for layer in digits.layers where !(layer is Activation<Double>) {
            kept.append(layer)
            if layer is MaxPool2D<Double> { break }
        }
        let digit = try Chapter5.digits(seed: 42).test.features
        let firstTest = (0..<8).map { r in (0..<8).map { Double(digit.scalars[r * 8 + $0]) } }

        // A 5×5 Gaussian blur (σ = 0.5): its corners weigh e^−16 ≈ 10⁻⁷ of its centre.
        let g = (-2...2).map { u in (-2...2).map { v in exp(-Double(u * u + v * v) / (2 * 0.25)) } }
        let total = g.joined().reduce(0, +)
        let blur = try Conv2D<Double>(weight: try Tensor(shape: [1, 1, 5, 5], scalars: g.joined().map { $0 / total }),
                                      bias: nil, padding: 2, backend: .naive)

        return [
            FieldCase(name: "the digits CNN (Conv2D 1 → 4 and 4 → 6, 3×3, padding 1; MaxPool2D(2); no ReLU), "
                          + "channel 5 of the pooled map, on the first test digit",
                      layers: [FieldLayer(kernel: 3, padding: 1), FieldLayer(kernel: 3, padding: 1), FieldLayer(kernel: 2, stride: 2)],
                      network: Sequential(kept), flatInput: true, channel: 5, image: firstTest,
                      positions: [(1, 2), (0, 0), (3, 1)], hasMaxPool: true),
            FieldCase(name: "two convolutions 3×3, stride 2, padding 1 (1 → 3 → 2 channels), channel 1, on an 11 × 13 image",
                      layers: [FieldLayer(kernel: 3, stride: 2, padding: 1), FieldLayer(kernel: 3, stride: 2, padding: 1)],
                      network: Sequential([try conv(1, 3, 3, stride: 2, padding: 1), try conv(3, 2, 3, stride: 2, padding: 1)]),
                      channel: 1, image: image(11, 13), positions: [(1, 1), (0, 0), (2, 3)]),
            FieldCase(name: "two dilated convolutions 3×3, dilation 2 then 3, no padding (1 → 2 → 1 channels), on a 14 × 12 image",
                      layers: [FieldLayer(kernel: 3, dilation: 2), FieldLayer(kernel: 3, dilation: 3)],
                      network: Sequential([try conv(1, 2, 3, dilation: 2), try conv(2, 1, 3, dilation: 3)]),
                      channel: 0, image: image(14, 12), positions: [(1, 0), (3, 1)]),
            FieldCase(name: "a convolution 3×3 (1 → 3), MaxPool2D(2), a convolution 2×2 (3 → 1), on a 10 × 9 image",
                      layers: [FieldLayer(kernel: 3), FieldLayer(kernel: 2, stride: 2), FieldLayer(kernel: 2)],
                      network: Sequential([try conv(1, 3, 3), MaxPool2D<Double>(2, backend: .naive), try conv(3, 1, 2)]),
                      channel: 0, image: image(10, 9), positions: [(1, 1), (2, 0)], hasMaxPool: true),
            FieldCase(name: "a 5×5 Gaussian blur (σ = 0.5, padding 2), then a convolution 3×3 (1 → 2), channel 0, on a 9 × 9 image",
                      layers: [FieldLayer(kernel: 5, padding: 2), FieldLayer(kernel: 3)],
                      network: Sequential([blur, try conv(1, 2, 3)]),
                      channel: 0, image: image(9, 9), positions: [(2, 3), (0, 6)], hasTinyWeights: true),
        ]
    }

    /// The grader's own probe: pixel (r, c) is marked when one of `steps`,
    /// added to it alone, changes y[row][column] at all.
    static func probe(_ f: ReceptiveFieldNetwork, _ image: [[Double]], _ row: Int, _ column: Int,
                      steps: [Double]) throws -> [[Bool]] {
        let y0 = try f(image)[row][column]
        var x = image
        return try image.indices.map { r in
            try image[r].indices.map { c in
                defer { x[r][c] = image[r][c] }
                for step in steps {
                    x[r][c] = image[r][c] + step
                    if try f(x)[row][column] != y0 { return true }
                }
                return false
            }
        }
    }

    /// The bounding box of a mask's true entries, or nil if it has none.
    static func box(_ m: [[Bool]]) -> (top: Int, left: Int, height: Int, width: Int)? {
        let rows = m.indices.filter { m[$0].contains(true) }
        let columns = Set(m.flatMap { row in row.indices.filter { row[$0] } })
        guard let top = rows.first, let bottom = rows.last, let left = columns.min(), let right = columns.max() else { return nil }
        return (top, left, bottom - top + 1, right - left + 1)
    }

    /// "36 pixels in rows 0–5, columns 1–6 (a 6 × 6 box)", with `note` inside the parentheses.
    static func describe(_ m: [[Bool]], note: String = "") -> String {
        guard let b = box(m) else { return "no pixels" }
        let count = m.joined().filter { $0 }.count
        return "\(count) pixel\(count == 1 ? "" : "s") in rows \(b.top)–\(b.top + b.height - 1), columns "
            + "\(b.left)–\(b.left + b.width - 1) (a \(b.height) × \(b.width) box\(note))"
    }

    /// Up to six positions where `a` is true and `b` is not.
    static func listed(_ a: [[Bool]], minus b: [[Bool]]) -> (count: Int, text: String) {
        var found: [String] = []
        for r in a.indices { for c in a[r].indices where a[r][c] && !b[r][c] { found.append("(\(r), \(c))") } }
        return (found.count, found.prefix(6).joined(separator: ", ") + (found.count > 6 ? ", …" : ""))
    }

    static func isSubset(_ a: [[Bool]], of b: [[Bool]]) -> Bool {
        zip(a, b).allSatisfy { zip($0, $1).allSatisfy { !$0 || $1 } }
    }

    /// Exercise 5.8, the prediction: the recurrence on the networks' layer
    /// lists, an empty list, and a deep stack where the order of the strides matters.
    public static func receptiveFieldPrediction(_ candidate: PredictReceptiveField) throws -> GradeReport {
        var report = GradeReport()
        typealias Stack = [(kernel: Int, stride: Int, dilation: Int)]
        let cases: [(layers: Stack, note: String)] = [
            ([], "no layers (a pixel sees itself)"),
            ([(3, 1, 1)], "one 3×3 convolution"),
            ([(3, 1, 1), (3, 1, 1), (2, 2, 1)], "the digits CNN: 3×3, 3×3, 2×2 max pool (stride 2)"),
            ([(3, 2, 1), (3, 2, 1)], "two 3×3 convolutions with stride 2"),
            ([(3, 1, 2), (3, 1, 3)], "3×3 with dilation 2, then 3×3 with dilation 3"),
            ([(3, 1, 1), (2, 2, 1), (2, 1, 1)], "3×3, a 2×2 max pool, 2×2"),
            ([(5, 1, 1), (3, 1, 1)], "5×5, then 3×3"),
            ([(7, 2, 1), (3, 2, 1), (3, 1, 1), (2, 2, 1), (3, 1, 2)],
             "7×7 stride 2, 3×3 pool stride 2, 3×3, 2×2 pool stride 2, 3×3 with dilation 2"),
            ([(2, 2, 1), (3, 1, 1), (3, 3, 1), (3, 1, 1)], "2×2 pool stride 2, 3×3, 3×3 stride 3, 3×3"),
        ]
        for c in cases {
            let want = recurrence(c.layers)
            let got = try candidate(c.layers)
            var hint = ""
            if got != want {
                // The mistakes, each written out: r = 1 + Σ_ℓ d_ℓ(k_ℓ − 1)·J_ℓ with J_ℓ the product of the strides below ℓ.
                func sum(_ term: (Int, (kernel: Int, stride: Int, dilation: Int)) -> Int) -> Int {
                    1 + c.layers.indices.map { term($0, c.layers[$0]) }.reduce(0, +)
                }
                func strides(_ range: Range<Int>) -> Int { range.map { c.layers[$0].stride }.reduce(1, *) }
                let n = c.layers.count
                let ownStride = sum { i, l in l.dilation * (l.kernel - 1) * strides(0..<(i + 1)) }
                let reversedOrder = sum { i, l in l.dilation * (l.kernel - 1) * strides((i + 1)..<n) }
                let noDilation = sum { i, l in (l.kernel - 1) * strides(0..<i) }
                let noStrides = sum { _, l in l.dilation * (l.kernel - 1) }
                let wholeKernel = sum { i, l in l.dilation * l.kernel * strides(0..<i) }
                if got == ownStride {
                    hint = " — strides multiplied in the wrong order: a layer's taps step along its input's grid, so the "
                        + "product runs over the strides of the layers below it, not its own"
                } else if got == reversedOrder {
                    hint = " — strides multiplied in the wrong order: you used the strides of the layers above each "
                        + "layer; the spacing that scales a layer's taps comes from the layers below it"
                } else if got == noDilation {
                    hint = " — dilation ignored: a kernel of k taps with dilation d spans d(k − 1) + 1 positions"
                } else if got == noStrides {
                    hint = " — strides ignored: after a stride s every later tap moves s times as far in the image"
                } else if got == wholeKernel {
                    hint = " — each layer adds d(k − 1)·J, not d·k·J: the first tap of its window is already in the field"
                } else if got == want - 1 || got == want + 1 {
                    hint = " — off by one: r₀ = 1 (a pixel's field is the pixel), and a layer adds d(k − 1) steps, "
                        + "not d·k: a 3×3 convolution alone sees 3 pixels"
                }
            }
            let listed = c.layers.isEmpty ? "none" : c.layers.map { "(\($0.kernel), \($0.stride), \($0.dilation))" }
                .joined(separator: ", ")
            report.check(got == want, "the recurrence for \(c.note), (k, s, d) = \(listed): expected r = \(want), got \(got)"
                + hint)
        }
        return report
    }

    /// Exercise 5.8, the measurement: each network at each output position
    /// against the grader's index arithmetic, with the likely mistake named.
    public static func receptiveFieldMeasurement(_ candidate: MeasureReceptiveField) throws -> GradeReport {
        var report = GradeReport()
        for c in try fieldCases() {
            let f = blackBox(c)
            let (h, w) = (c.image.count, c.image[0].count)
            let r = recurrence(c.layers.map(\.recurrence))
            for (row, column) in c.positions {
                let want = expectedField(c, row, column)
                let got = try candidate(f, c.image, row, column)
                let what = "\(c.name), output (\(row), \(column))"
                guard got.count == h, got.allSatisfy({ $0.count == w }) else {
                    report.check(false, "\(what): expected an \(h) × \(w) mask, one entry per pixel of the image (mask[r][c] "
                        + "for row r, column c), got \(got.count) rows of \(Set(got.map(\.count)).sorted())")
                    continue
                }
                guard got != want else { continue }
                let wantBox = box(want)!
                let clipped = wantBox.height < r || wantBox.width < r
                let holes = want.joined().filter { $0 }.count < wantBox.height * wantBox.width ? ", with holes" : ""
                let expected = "expected " + describe(want, note: (clipped
                    ? ": the recurrence's \(r) × \(r) runs off the image, which clips it" : ", as the recurrence predicts") + holes)
                let missing = listed(want, minus: got), extra = listed(got, minus: want)
                var detail = ""
                if missing.count > 0 { detail += "; missing \(missing.count): \(missing.text)" }
                if extra.count > 0 { detail += "; \(extra.count) that cannot influence it: \(extra.text)" }
                var hint = ""
                let transposed = (0..<h).map { i in (0..<w).map { j in j < h && i < w ? want[j][i] : false } }
                let filled = (0..<h).map { i in (0..<w).map { j in
                    i >= wantBox.top && i < wantBox.top + wantBox.height && j >= wantBox.left && j < wantBox.left + wantBox.width
                } }
                if got == transposed {
                    hint = " — rows and columns swapped: mask[r][c] is row r, column c, like image[r][c]"
                } else if got == filled {
                    hint = " — this is the bounding box: dilation leaves holes, pixels inside the box that no tap of any "
                        + "layer reads; mark only the pixels whose change moved the output"
                } else if let b = box(got), b.height == r, b.width == r, clipped {
                    hint = " — the border clipping ignored: near the edge part of the field lies in the padding, which is "
                        + "not a pixel, so the measured field is smaller than the recurrence's \(r) × \(r)"
                } else if extra.count > 0 {
                    hint = " — these pixels feed no unit that y[\(row)][\(column)] depends on, so changing them changes it by "
                        + "exactly 0: compare y[\(row)][\(column)] only (not the whole map) and start each probe from `image`"
                } else if c.hasTinyWeights {
                    hint = " — a tolerance so loose it misses small weights: the blur's corner weights are 10⁻⁷ of its "
                        + "centre, so those pixels move y by very little, but they do move it; a pixel outside the field "
                        + "moves it by exactly 0"
                } else if c.hasMaxPool {
                    let small = try probe(f, c.image, row, column, steps: [1e-3, -1e-3])
                    let up = try probe(f, c.image, row, column, steps: [1e6]), down = try probe(f, c.image, row, column, steps: [-1e6])
                    if got != small, got == up || got == down {
                        hint = " — a one-sided probe: at a max pool, moving a pixel up lowers every unit it feeds through "
                            + "negative weights, and the max ignores a unit going down; move each pixel both ways"
                    } else if isSubset(got, of: small) {
                        hint = " — you measured the gradient's reach: a max pool passes a small change through its "
                            + "arg-max only, so pixels that feed only the other units of its window look dead; a large "
                            + "enough change makes their unit the maximum"
                    } else if isSubset(got, of: up) || isSubset(got, of: down) {
                        hint = " — a one-sided probe: at a max pool, moving a pixel up lowers every unit it feeds through "
                            + "negative weights, and the max ignores a unit going down; move each pixel both ways"
                    } else {
                        hint = " — at a max pool a pixel that feeds only units below the window's maximum changes "
                            + "nothing until its unit overtakes the maximum: your steps are too small, or one-sided"
                    }
                }
                report.check(false, "\(what): \(expected), got \(describe(got))\(detail)" + hint)
            }
        }
        return report
    }

    /// Exercise 5.8: the prediction, then the measurement.
    public static func receptiveField(measure: MeasureReceptiveField, predict: PredictReceptiveField) throws -> GradeReport {
        let prediction = try receptiveFieldPrediction(predict)
        let measurement = try receptiveFieldMeasurement(measure)
        return GradeReport(failures: prediction.failures + measurement.failures)
    }
}
