// Self-tests of the grader of exercise 5.8 (measure a receptive field): it
// accepts the reference solution and rejects broken measurements and
// predictions, the subtle ones included (a small step behind a max pool, a
// one-sided probe, a tolerance that misses the blur's corners, probes that
// are not restored), naming the mistake. The grader's own references are
// checked against the book's layers: its index arithmetic against the
// output shapes of the library's networks and the pixels their backward
// pass reaches (where no max pool hides any), and its recurrence against the
// bounding box of the index arithmetic on stacks of random layers.

#if canImport(Solutions05)
import Backpropagation
import BackpropCore
import ConvolutionalNetworks
import ExerciseKit
import Foundation
@testable import Graders05
import Solutions05
import Testing

@Suite struct Chapter05ReceptiveFieldGraderSelfTests {
    @Test func receptiveFieldGraderAcceptsTheSolution() throws {
        let prediction = try Chapter05Graders.receptiveFieldPrediction { try Solutions05.predictedReceptiveField(layers: $0) }
        #expect(prediction.passed, "\(prediction.failures)")
        let measurement = try Chapter05Graders.receptiveFieldMeasurement {
            try Solutions05.measureReceptiveField(network: $0, image: $1, row: $2, column: $3)
        }
        #expect(measurement.passed, "\(measurement.failures)")
    }

    /// The grader's layer lists describe the library's networks: same output
    /// shape; and where there is no max pool, the expected mask is exactly
    /// the set of pixels the library's backward pass reaches from a one-hot
    /// dy. Behind a max pool the gradient reaches a strict subset (the
    /// arg-max's field) at some output of each such network. The digits CNN's
    /// pooled units see 6 × 6 pixels in the middle and 4 × 4 at the corner.
    @Test func fieldReferenceAgreesWithTheLibrarysLayers() throws {
        for c in try Chapter05Graders.fieldCases() {
            let (h, w) = (c.image.count, c.image[0].count)
            let x = try Tensor(shape: c.flatInput ? [1, h * w] : [1, 1, h, w], scalars: c.image.flatMap { $0 })
            let (y, cache) = try c.network.forward(x, mode: .training)
            #expect(y.shape[2] == Chapter05Graders.axisSizes(c.layers, h).last!, "\(c.name)")
            #expect(y.shape[3] == Chapter05Graders.axisSizes(c.layers, w).last!, "\(c.name)")
            var strictlySmaller = false
            for (row, column) in c.positions {
                let want = Chapter05Graders.expectedField(c, row, column)
                var dy = [Double](repeating: 0, count: y.count)
                dy[(c.channel * y.shape[2] + row) * y.shape[3] + column] = 1
                let dx = try c.network.backward(try Tensor(shape: y.shape, scalars: dy), cache: cache).scalars
                let reached = (0..<h).map { r in (0..<w).map { dx[r * w + $0] != 0 } }
                if c.hasMaxPool {
                    #expect(Chapter05Graders.isSubset(reached, of: want), "\(c.name) at (\(row), \(column))")
                    if reached != want { strictlySmaller = true }
                } else {
                    #expect(reached == want, "\(c.name) at (\(row), \(column))")
                }
            }
            #expect(!c.hasMaxPool || strictlySmaller, "\(c.name): the gradient reached the whole field everywhere")
        }
        let digits = try Chapter05Graders.fieldCases()[0]
        #expect(Chapter05Graders.box(Chapter05Graders.expectedField(digits, 1, 2)).map { [$0.height, $0.width] } == [6, 6])
        #expect(Chapter05Graders.box(Chapter05Graders.expectedField(digits, 0, 0)).map { [$0.height, $0.width] } == [4, 4])
    }

    /// The recurrence is the span of the index arithmetic for an output far
    /// from the border, on every network's layers and on random stacks.
    @Test func recurrenceAgreesWithTheIndexArithmetic() throws {
        var rng = SeededRandom(seed: 5818)
        var stacks = try Chapter05Graders.fieldCases().map(\.layers)
        for _ in 0..<40 {
            stacks.append((0..<(1 + rng.integer(below: 5))).map { _ in
                Chapter05Graders.FieldLayer(kernel: 1 + rng.integer(below: 5), stride: 1 + rng.integer(below: 3),
                                            padding: rng.integer(below: 2), dilation: 1 + rng.integer(below: 3))
            })
        }
        for layers in stacks {
            let r = Chapter05Graders.recurrence(layers.map(\.recurrence))
            let n = 3 * r + 100, top = Chapter05Graders.axisSizes(layers, n).last!
            let field = Chapter05Graders.axisField(layers, n, top / 2)
            #expect(field.max()! - field.min()! + 1 == r, "\(layers)")
        }
    }

    @Test("the receptive-field grader rejects broken measurements and says why", arguments: [
        ("a small step both ways (the gradient's reach)", 0, "arg-max"),
        ("a large step up only", 1, "one-sided"),
        ("steps of ±1000 and a tolerance of 10⁻³", 2, "tolerance so loose"),
        ("the bounding box of the measured pixels", 3, "holes"),
        ("the mask transposed", 4, "swapped"),
        ("a pixel counted when any output changes", 5, "exactly 0"),
        ("each probe left in place (not restored)", 6, "start each probe from `image`"),
    ])
    func receptiveFieldGraderRejectsMeasurements(name: String, variant: Int, hint: String) throws {
        let broken: MeasureReceptiveField = { network, image, row, column in
            let steps: [Double] = switch variant { case 0: [1e-3, -1e-3]; case 1: [1e6]; case 2: [1e3, -1e3]; default: [1e6, -1e6] }
            let y0 = try network(image)
            var x = image
            var mask = image.map { $0.map { _ in false } }
            for r in image.indices {
                for c in image[r].indices {
                    for step in steps {
                        x[r][c] = image[r][c] + step
                        let y = try network(x)
                        let changed = switch variant {
                        case 2: abs(y[row][column] - y0[row][column]) > 1e-3
                        case 5: y != y0
                        default: y[row][column] != y0[row][column]
                        }
                        if changed { mask[r][c] = true; break }
                    }
                    if variant != 6 { x[r][c] = image[r][c] }
                }
            }
            if variant == 3, let b = Chapter05Graders.box(mask) {
                for r in b.top..<(b.top + b.height) { for c in b.left..<(b.left + b.width) { mask[r][c] = true } }
            }
            if variant == 4 {
                return image.indices.map { r in image[r].indices.map { c in c < image.count && r < image[0].count && mask[c][r] } }
            }
            return mask
        }
        let report = try Chapter05Graders.receptiveFieldMeasurement(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    @Test("the receptive-field grader rejects broken recurrences and says why", arguments: [
        ("r₀ = 0", 0, "off by one"),
        ("each layer's own stride in its product", 1, "own"),
        ("the strides of the layers above", 2, "layers above"),
        ("dilation ignored", 3, "dilation ignored"),
        ("strides ignored", 4, "strides ignored"),
        ("d·k instead of d(k − 1)", 5, "not d·k·J"),
    ])
    func receptiveFieldGraderRejectsPredictions(name: String, variant: Int, hint: String) throws {
        let broken: PredictReceptiveField = { layers in
            var r = variant == 0 ? 0 : 1
            for (i, l) in layers.enumerated() {
                let below = layers[..<i].map(\.stride).reduce(1, *)
                let jump = switch variant {
                case 1: below * l.stride
                case 2: layers[(i + 1)...].map(\.stride).reduce(1, *)
                case 4: 1
                default: below
                }
                let span = switch variant { case 3: l.kernel - 1; case 5: l.dilation * l.kernel; default: l.dilation * (l.kernel - 1) }
                r += span * jump
            }
            return r
        }
        let report = try Chapter05Graders.receptiveFieldPrediction(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
