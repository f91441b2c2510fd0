// Chapter 5's graders, continued: exercise 5.5, the backward pass of a
// multi-channel 2-D convolution. Expected gradients are centered finite
// differences of L = ⟨dy, conv(x, W, b)⟩, with conv the grader's own forward
// loop (the self-tests check it against the book's NaiveConvolution), and
// two hand-worked cases. The scatter loops below, with a mistake switched on,
// only name a wrong answer's likely mistake.

import BackpropCore
import ExerciseKit
import Foundation

/// (x, W, dy, stride, padding) → (dx, dW, db): x is C_in × H × W, W is
/// C_out × C_in × k × k, dy is C_out × H_out × W_out.
public typealias ConvolutionBackward = ([[[Double]]], [[[[Double]]]], [[[Double]]], Int, Int) throws
    -> (dx: [[[Double]]], dW: [[[[Double]]]], db: [Double])

extension Chapter05Graders {
    // MARK: - 5.5 Convolution backward

    /// y[o][i][j] = b[o] + Σ_c Σ_u Σ_v W[o][c][u][v] · x[c][i·s − p + u][j·s − p + v],
    /// x taken as 0 outside the image; H_out = ⌊(H + 2p − k)/s⌋ + 1.
    static func convolutionForward(_ x: [[[Double]]], _ w: [[[[Double]]]], _ b: [Double], stride s: Int,
                                   padding p: Int) -> [[[Double]]] {
        let (cin, h, wd, k) = (x.count, x[0].count, x[0][0].count, w[0][0].count)
        let (ho, wo) = ((h + 2 * p - k) / s + 1, (wd + 2 * p - k) / s + 1)
        return w.indices.map { o in
            (0..<ho).map { i in
                (0..<wo).map { j in
                    var sum = b[o]
                    for c in 0..<cin {
                        for u in 0..<k {
                            let r = i * s - p + u
                            guard r >= 0, r < h else { continue }
                            for v in 0..<k {
                                let col = j * s - p + v
                                guard col >= 0, col < wd else { continue }
                                sum += w[o][c][u][v] * x[c][r][col]
                            }
                        }
                    }
                    return sum
                }
            }
        }
    }

    /// Mistakes the grader recognises in a backward pass.
    enum ConvMistake: CaseIterable {
        /// dx scatters through the kernel rotated by 180°.
        case dxKernelRotated
        /// dx scatters through the kernel flipped upside down only.
        case dxKernelFlippedRows
        /// dx lands at i·s + u instead of i·s − p + u (dW right).
        case dxPaddingIgnored
        /// dW reads x[i·s + u] instead of x[i·s − p + u] (dx right).
        case dWPaddingIgnored
        /// Stride 1 used in dx and dW.
        case strideIgnored
        /// db divided by H_out·W_out.
        case dbMean
    }

    /// The backward pass as a scatter, with one mistake switched on; for hints.
    static func convolutionBackwardWith(_ mistake: ConvMistake, _ x: [[[Double]]], _ w: [[[[Double]]]],
                                        _ dy: [[[Double]]], stride: Int, padding p: Int)
        -> (dx: [[[Double]]], dW: [[[[Double]]]], db: [Double])
    {
        let (cin, h, wd, k) = (x.count, x[0].count, x[0][0].count, w[0][0].count)
        let s = mistake == .strideIgnored ? 1 : stride
        var dx = x.map { $0.map { $0.map { _ in 0.0 } } }
        var dW = w.map { $0.map { $0.map { $0.map { _ in 0.0 } } } }
        var db = [Double](repeating: 0, count: w.count)
        let (ho, wo) = ((h + 2 * p - k) / s + 1, (wd + 2 * p - k) / s + 1)
        for o in w.indices {
            for i in 0..<min(ho, dy[o].count) {
                for j in 0..<min(wo, dy[o][i].count) {
                    let g = dy[o][i][j]
                    db[o] += mistake == .dbMean ? g / Double(dy[o].count * dy[o][0].count) : g
                    for c in 0..<cin {
                        for u in 0..<k {
                            for v in 0..<k {
                                let (r, col) = (i * s - p + u, j * s - p + v)
                                if r >= 0, r < h, col >= 0, col < wd {
                                    if mistake != .dWPaddingIgnored { dW[o][c][u][v] += g * x[c][r][col] }
                                    if mistake != .dxPaddingIgnored {
                                        let tap: Double
                                        switch mistake {
                                        case .dxKernelRotated: tap = w[o][c][k - 1 - u][k - 1 - v]
                                        case .dxKernelFlippedRows: tap = w[o][c][k - 1 - u][v]
                                        default: tap = w[o][c][u][v]
                                        }
                                        dx[c][r][col] += g * tap
                                    }
                                }
                                let (r0, c0) = (i * s + u, j * s + v)
                                if r0 < h, c0 < wd {
                                    if mistake == .dWPaddingIgnored { dW[o][c][u][v] += g * x[c][r0][c0] }
                                    if mistake == .dxPaddingIgnored { dx[c][r0][c0] += g * w[o][c][u][v] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (dx, dW, db)
    }

    struct ConvBackwardCase: Sendable {
        var x: [[[Double]]], w: [[[[Double]]]], dy: [[[Double]]]
        var stride, padding: Int
        var handWorked: (dx: [[[Double]]], dW: [[[[Double]]]], db: [Double])?
        var note: String
    }

    /// Two hand-worked cases, then random ones: stride 2 with padding 1
    /// (odd and even kernels, non-square images), stride 3 that skips rows
    /// and columns, and padding 2.
    static var convBackwardCases: [ConvBackwardCase] {
        // 1×1 kernel, C_in = 2, C_out = 1: y = 2·x₀ − x₁ + b, so dx₀ = 2·dy,
        // dx₁ = −dy, dW[0][c] = Σ dy·x_c (= 1 − 2·2 + 3·0 + 0·4 = −3 and
        // 5 − 2·6 + 0 + 0 = −7), db = Σ dy = 1 − 2 + 3 = 2.
        let dy1: [[Double]] = [[1, -2], [3, 0]]
        var cases = [ConvBackwardCase(
            x: [[[1, 2], [0, 4]], [[5, 6], [-1, 8]]], w: [[[[2]], [[-1]]]], dy: [dy1], stride: 1, padding: 0,
            handWorked: (dx: [[[2, -4], [6, 0]], [[-1, 2], [-3, 0]]], dW: [[[[-3]], [[-10]]]], db: [2]),
            note: "hand-worked: a 1×1 kernel, 2 input channels, 1 output channel")]
        // 2×2 kernel [[1, 2], [3, 4]] on the 3×3 image 1…9, dy = [[1, −1], [2, 0]]:
        // dx is the sum of the kernel placed at each output position, scaled by
        // its dy: 1·k at (0,0), −1·k at (0,1), 2·k at (1,0):
        //   row 0: 1, 2 − 1, −2          = 1, 1, −2
        //   row 1: 3 + 2, 4 − 3 + 4, −4  = 5, 5, −4
        //   row 2: 6, 8, 0
        // dW[u][v] = Σ dy[i][j]·x[i + u][j + v]: (0,0) 1 − 2 + 8 = 7, (0,1) 2 − 3 + 10 = 9,
        // (1,0) 4 − 5 + 14 = 13, (1,1) 5 − 6 + 16 = 15; db = 1 − 1 + 2 = 2.
        cases.append(ConvBackwardCase(
            x: [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], w: [[[[1, 2], [3, 4]]]], dy: [[[1, -1], [2, 0]]],
            stride: 1, padding: 0,
            handWorked: (dx: [[[1, 1, -2], [5, 5, -4], [6, 8, 0]]], dW: [[[[7, 9], [13, 15]]]], db: [2]),
            note: "hand-worked: a 2×2 kernel on a 3×3 image"))
        var rng = SeededRandom(seed: 4505)
        for (cin, cout, h, wd, k, s, p) in [(2, 3, 5, 5, 3, 2, 1), (3, 2, 6, 5, 4, 2, 1), (1, 2, 7, 6, 3, 2, 1),
                                            (2, 2, 6, 6, 2, 3, 1), (2, 1, 4, 4, 3, 1, 2)] {
            let x = (0..<cin).map { _ in (0..<h).map { _ in (0..<wd).map { _ in rng.uniform(-2, 2) } } }
            let w = (0..<cout).map { _ in (0..<cin).map { _ in (0..<k).map { _ in (0..<k).map { _ in rng.uniform(-1, 1) } } } }
            let (ho, wo) = ((h + 2 * p - k) / s + 1, (wd + 2 * p - k) / s + 1)
            let dy = (0..<cout).map { _ in (0..<ho).map { _ in (0..<wo).map { _ in rng.uniform(-1, 1) } } }
            cases.append(ConvBackwardCase(x: x, w: w, dy: dy, stride: s, padding: p, handWorked: nil,
                                          note: "random: C_in = \(cin), C_out = \(cout), \(h)×\(wd) image, \(k)×\(k) "
                                              + "kernel"))
        }
        return cases
    }

    /// Centered finite differences of L = ⟨dy, conv(x, W, b)⟩ with respect to
    /// x, W and b (b = 0; L is linear in each, so the differences are exact up
    /// to rounding).
    static func convolutionGradientsByDifferences(_ c: ConvBackwardCase)
        -> (dx: [Double], dW: [Double], db: [Double])
    {
        let (cin, h, wd, cout, k) = (c.x.count, c.x[0].count, c.x[0][0].count, c.w.count, c.w[0][0].count)
        let (nx, nw) = (cin * h * wd, cout * cin * k * k)
        func unflatten(_ s: [Double]) -> ([[[Double]]], [[[[Double]]]], [Double]) {
            let x = (0..<cin).map { a in (0..<h).map { r in Array(s[(a * h * wd + r * wd)..<(a * h * wd + r * wd + wd)]) } }
            let w = (0..<cout).map { o in
                (0..<cin).map { a in
                    (0..<k).map { u in
                        let start = nx + ((o * cin + a) * k + u) * k
                        return Array(s[start..<(start + k)])
                    }
                }
            }
            return (x, w, Array(s[(nx + nw)...]))
        }
        let flat = c.x.flatMap { $0.flatMap { $0 } } + c.w.flatMap { $0.flatMap { $0.flatMap { $0 } } }
            + [Double](repeating: 0, count: cout)
        let numeric = GradientCheck.numericalGradient(
            of: { t in
                let (x, w, b) = unflatten(t.scalars)
                let y = convolutionForward(x, w, b, stride: c.stride, padding: c.padding)
                var sum = 0.0
                for o in y.indices { for i in y[o].indices { for j in y[o][i].indices { sum += c.dy[o][i][j] * y[o][i][j] } } }
                return sum
            },
            at: Tensor(flat), step: 1e-3).scalars
        return (Array(numeric[0..<nx]), Array(numeric[nx..<(nx + nw)]), Array(numeric[(nx + nw)...]))
    }

    /// Exercise 5.5: shapes, then dx, dW and db against finite differences
    /// (or the hand-worked values), with hints for the mistakes in ConvMistake.
    public static func convolutionBackward(_ candidate: ConvolutionBackward) throws -> GradeReport {
        var report = GradeReport()
        for c in convBackwardCases {
            let (cin, h, wd, cout, k) = (c.x.count, c.x[0].count, c.x[0][0].count, c.w.count, c.w[0][0].count)
            let want: (dx: [Double], dW: [Double], db: [Double])
            if let hand = c.handWorked {
                want = (hand.dx.flatMap { $0.flatMap { $0 } }, hand.dW.flatMap { $0.flatMap { $0.flatMap { $0 } } }, hand.db)
            } else {
                want = convolutionGradientsByDifferences(c)
            }
            let small = c.handWorked != nil
            let setting = "\(c.note), stride \(c.stride), padding \(c.padding)"
                + (small ? " (x = \(c.x), W = \(c.w), dy = \(c.dy))" : "")
            let got = try candidate(c.x, c.w, c.dy, c.stride, c.padding)
            let dxShapeOK = got.dx.count == cin && got.dx.allSatisfy { hasShape($0, h, wd) }
            let dWShapeOK = got.dW.count == cout && got.dW.allSatisfy { $0.count == cin && $0.allSatisfy { hasShape($0, k, k) } }
            report.check(dxShapeOK, "\(setting): dx must have x's shape \(cin) × \(h) × \(wd), got \(got.dx.count) "
                + "channels of \(got.dx.map(shape))")
            report.check(dWShapeOK, "\(setting): dW must have W's shape \(cout) × \(cin) × \(k) × \(k), got "
                + "\(got.dW.count) × \(got.dW.map(\.count))")
            report.check(got.db.count == cout, "\(setting): db must have one entry per output channel (\(cout)), got "
                + "\(got.db.count)")
            guard dxShapeOK, dWShapeOK, got.db.count == cout else { continue }

            let gotDx = got.dx.flatMap { $0.flatMap { $0 } }, gotDW = got.dW.flatMap { $0.flatMap { $0.flatMap { $0 } } }
            func hint(_ part: ((dx: [[[Double]]], dW: [[[[Double]]]], db: [Double])) -> [Double], _ gotPart: [Double])
                -> String
            {
                let known: [(ConvMistake, String)] = [
                    (.strideIgnored, " — you ignored the stride: output (i, j) reads input row i·s − p + u, so with "
                        + "s > 1 consecutive outputs are s rows apart"),
                    (.dbMean, " — db is a mean; b[o] is added to every output of channel o, so db[o] is the sum of "
                        + "dy[o] over all positions"),
                    (.dxKernelRotated, " — your dx uses the kernel rotated by 180° at each tap; the tap (u, v) that "
                        + "read x[c][i·s − p + u][j·s − p + v] sends back W[o][c][u][v]·dy[o][i][j] to that same "
                        + "element (the flip only appears when dx is written as a convolution over dy)"),
                    (.dxKernelFlippedRows, " — your dx flips the kernel along one axis only; flipping, if you write dx "
                        + "as a convolution over dy, reverses both u and v"),
                    (.dxPaddingIgnored, " — your dx ignores the padding: the tap (u, v) of output (i, j) read input "
                        + "element (i·s − p + u, j·s − p + v), so that is where its gradient goes"),
                    (.dWPaddingIgnored, " — your dW ignores the padding: dW[o][c][u][v] sums dy[o][i][j] times the "
                        + "input element that tap read, x[c][i·s − p + u][j·s − p + v] (0 in the padding)"),
                ]
                for (mistake, text) in known {
                    let alternative = part(convolutionBackwardWith(mistake, c.x, c.w, c.dy, stride: c.stride,
                                                                   padding: c.padding))
                    if Grade.close(gotPart, alternative, 1e-6) { return text }
                }
                return ""
            }
            if !Grade.close(gotDx, want.dx, 1e-6) {
                report.check(false, "\(setting): expected dx ≈ \(Grade.show(want.dx)) (flattened channel by channel, "
                    + "row by row; \(small ? "worked by hand" : "finite differences")), got \(Grade.show(gotDx))"
                    + hint({ $0.dx.flatMap { $0.flatMap { $0 } } }, gotDx))
            }
            if !Grade.close(gotDW, want.dW, 1e-6) {
                report.check(false, "\(setting): expected dW ≈ \(Grade.show(want.dW)) (flattened in o, c, u, v order; "
                    + "\(small ? "worked by hand" : "finite differences")), got \(Grade.show(gotDW))"
                    + hint({ $0.dW.flatMap { $0.flatMap { $0.flatMap { $0 } } } }, gotDW))
            }
            if !Grade.close(got.db, want.db, 1e-6) {
                report.check(false, "\(setting): expected db ≈ \(Grade.show(want.db)), got \(Grade.show(got.db))"
                    + hint({ $0.db }, got.db))
            }
        }
        return report
    }
}
