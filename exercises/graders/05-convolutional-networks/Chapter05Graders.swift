// Graders for chapter 5's exercises. Expected values come from definitions,
// never from the code being graded: the output size from counting the window
// positions that fit in the padded input; the convolution from a loop over an
// explicitly zero-padded image (the self-tests check it against the book's
// NaiveConvolution, which is tested against PyTorch) and hand-worked cases;
// max pooling's backward pass from hand-worked cases (ties included) and
// centered finite differences; batch normalisation from its formula.

import BackpropCore
import ExerciseKit
import Foundation

public typealias ConvolutionOutputSize = (Int, Int, Int, Int, Int) throws -> Int
public typealias Convolve2D = ([[Double]], [[Double]], Int, Int) throws -> [[Double]]
public typealias MaxPoolBackward = ([[Double]], [[Double]], Int) throws -> [[Double]]
public typealias BatchNormForward = ([[Double]], [Double], [Double], Double) throws -> [[Double]]

public enum Chapter05Graders {
    static func show(_ m: [[Double]]) -> String { Grade.show(m) }
    static func shape(_ m: [[Double]]) -> String { Grade.shape(m) }
    static func hasShape(_ m: [[Double]], _ rows: Int, _ cols: Int) -> Bool { Grade.hasShape(m, rows, cols) }
    static func close(_ a: [[Double]], _ b: [[Double]], _ tol: Double) -> Bool { Grade.close(a, b, tol) }

    // MARK: - 5.1 Output size

    /// One output size question: input n, kernel k, stride s, padding p, dilation d.
    struct SizeCase: Sendable, CustomStringConvertible {
        var n, k, s, p, d: Int
        var description: String { "n = \(n), k = \(k), s = \(s), p = \(p), d = \(d)" }
    }

    /// Stride 2 on odd and even sizes (where rounding matters), dilation 2,
    /// padding 2, a window that only just fits, and ResNet's 7×7 stem.
    static let sizeCases: [SizeCase] = [
        SizeCase(n: 5, k: 3, s: 1, p: 0, d: 1),
        SizeCase(n: 28, k: 5, s: 1, p: 2, d: 1),
        SizeCase(n: 7, k: 3, s: 2, p: 0, d: 1),
        SizeCase(n: 5, k: 2, s: 2, p: 0, d: 1),
        SizeCase(n: 8, k: 3, s: 2, p: 1, d: 1),
        SizeCase(n: 6, k: 3, s: 4, p: 0, d: 1),
        SizeCase(n: 9, k: 3, s: 1, p: 0, d: 2),
        SizeCase(n: 11, k: 3, s: 2, p: 2, d: 2),
        SizeCase(n: 7, k: 3, s: 3, p: 1, d: 2),
        SizeCase(n: 3, k: 5, s: 1, p: 1, d: 1),
        SizeCase(n: 1, k: 1, s: 1, p: 0, d: 1),
        SizeCase(n: 224, k: 7, s: 2, p: 3, d: 1),
    ]

    /// The start positions (in the padded input, positions 0..<n + 2p) of the
    /// windows that fit: a window starting at t has taps t, t + d, …,
    /// t + d·(k − 1), and all of them must be inside. Starts are 0, s, 2s, ….
    static func windowStarts(_ c: SizeCase) -> [Int] {
        let padded = c.n + 2 * c.p
        var starts: [Int] = []
        for start in Swift.stride(from: 0, to: padded, by: c.s) {
            let taps = (0..<c.k).map { start + $0 * c.d }
            if taps.allSatisfy({ $0 < padded }) { starts.append(start) }
        }
        return starts
    }

    /// Exercise 5.1: each case against the number of window positions counted
    /// one by one, with a hint when the answer matches a known wrong formula.
    public static func convolutionOutputSize(_ candidate: ConvolutionOutputSize) throws -> GradeReport {
        var report = GradeReport()
        for c in sizeCases {
            let starts = windowStarts(c)
            let want = starts.count
            let got = try candidate(c.n, c.k, c.s, c.p, c.d)
            var hint = ""
            if got != want {
                let span = c.n + 2 * c.p - c.d * (c.k - 1) - 1
                let noDilation = (c.n + 2 * c.p - (c.k - 1) - 1) / c.s + 1
                let roundedUp = (span + c.s - 1) / c.s + 1
                if c.d > 1, got == noDilation {
                    hint = " — you ignored the dilation: with dilation d the taps are d apart, so the window spans "
                        + "d·(k − 1) + 1 positions, not k"
                } else if span % c.s != 0, got == roundedUp {
                    hint = " — you rounded up: a window that would stick out past the padded input does not count, "
                        + "so round down, ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1"
                } else if got == span / c.s || got == (c.n + 2 * c.p - c.k) / c.s {
                    hint = " — you are missing the + 1: the window at position 0 counts too, "
                        + "so n_out = ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1"
                }
            }
            let listed = starts.count <= 8 ? " (windows start at \(starts.map(String.init).joined(separator: ", ")) "
                + "of the \(c.n + 2 * c.p) padded positions)" : ""
            report.check(got == want, "for \(c) expected \(want)\(listed), got \(got)" + hint)
        }
        return report
    }

    // MARK: - 5.2 Convolution

    /// The grader's convolution: copy the image into a zero-padded array, then
    /// slide the kernel over it by s, from the top-left, while it fits. No flip.
    static func crossCorrelate(_ image: [[Double]], _ kernel: [[Double]], stride s: Int, padding p: Int) -> [[Double]] {
        let (h, w, kh, kw) = (image.count, image[0].count, kernel.count, kernel[0].count)
        var padded = [[Double]](repeating: [Double](repeating: 0, count: w + 2 * p), count: h + 2 * p)
        for r in 0..<h { for c in 0..<w { padded[r + p][c + p] = image[r][c] } }
        return Swift.stride(from: 0, through: h + 2 * p - kh, by: s).map { top in
            Swift.stride(from: 0, through: w + 2 * p - kw, by: s).map { left in
                var sum = 0.0
                for u in 0..<kh { for v in 0..<kw { sum += kernel[u][v] * padded[top + u][left + v] } }
                return sum
            }
        }
    }

    /// The kernel rotated by 180°: what true (flipped) convolution slides.
    static func flipped(_ kernel: [[Double]]) -> [[Double]] { kernel.reversed().map { $0.reversed() } }

    struct ConvolutionCase: Sendable {
        var image, kernel: [[Double]]
        var stride, padding: Int
        /// Hand-worked result, when there is one.
        var handWorked: [[Double]]?
    }

    /// Two hand-worked cases, then random ones with stride 2, padding 1 and 2,
    /// non-square images and a non-square kernel.
    static var convolutionCases: [ConvolutionCase] {
        let image = [[1.0, 2, 3], [4, 5, 6], [7, 8, 9]]
        // Stride 1, padding 0, 2×2 kernel [[1, 2], [3, 4]] on the 3×3 image:
        //   y[0][0] = 1·1 + 2·2 + 3·4 + 4·5 = 37    y[0][1] = 1·2 + 2·3 + 3·5 + 4·6 = 47
        //   y[1][0] = 1·4 + 2·5 + 3·7 + 4·8 = 67    y[1][1] = 1·5 + 2·6 + 3·8 + 4·9 = 77
        // (the flipped kernel [[4, 3], [2, 1]] would give 23 33 / 53 63).
        var cases = [ConvolutionCase(image: image, kernel: [[1, 2], [3, 4]], stride: 1, padding: 0,
                                     handWorked: [[37, 47], [67, 77]])]
        // Stride 2, padding 1, 3×3 kernel [[1, 2, 0], [0, 1, 0], [0, 0, −1]]:
        // output ⌊(3 + 2 − 3)/2⌋ + 1 = 2 per axis; window (i, j) covers image
        // rows 2i − 1 … 2i + 1 and columns 2j − 1 … 2j + 1 (outside = 0), so
        // y[i][j] = x[2i−1][2j−1] + 2·x[2i−1][2j] + x[2i][2j] − x[2i+1][2j+1]:
        //   y[0][0] = 0 + 0 + 1 − 5 = −4       y[0][1] = 0 + 0 + 3 − 0 = 3
        //   y[1][0] = 0 + 2·4 + 7 − 0 = 15     y[1][1] = 5 + 2·6 + 9 − 0 = 26
        cases.append(ConvolutionCase(image: image, kernel: [[1, 2, 0], [0, 1, 0], [0, 0, -1]], stride: 2, padding: 1,
                                     handWorked: [[-4, 3], [15, 26]]))
        var rng = SeededRandom(seed: 4202)
        for (h, w, kh, kw, s, p) in [(5, 5, 3, 3, 1, 0), (6, 7, 3, 3, 2, 1), (7, 6, 2, 3, 2, 1), (4, 5, 3, 3, 1, 2),
                                     (8, 8, 4, 4, 3, 1)] {
            let image = (0..<h).map { _ in (0..<w).map { _ in rng.uniform(-2, 2) } }
            let kernel = (0..<kh).map { _ in (0..<kw).map { _ in rng.uniform(-1, 1) } }
            cases.append(ConvolutionCase(image: image, kernel: kernel, stride: s, padding: p))
        }
        return cases
    }

    /// Exercise 5.2: shape and values against the grader's own loop (or the
    /// hand-worked result), with hints for a flipped kernel, an ignored stride
    /// and ignored padding.
    public static func convolve2D(_ candidate: Convolve2D) throws -> GradeReport {
        var report = GradeReport()
        for c in convolutionCases {
            let want = c.handWorked ?? crossCorrelate(c.image, c.kernel, stride: c.stride, padding: c.padding)
            let (rows, cols) = (want.count, want[0].count)
            let setting = "for a \(shape(c.image)) image, a \(shape(c.kernel)) kernel, stride \(c.stride) and "
                + "padding \(c.padding)" + (c.handWorked == nil ? "" : " (image \(show(c.image)), kernel \(show(c.kernel)))")
            let got = try candidate(c.image, c.kernel, c.stride, c.padding)
            guard hasShape(got, rows, cols) else {
                var hint = ""
                let (h, w, kh, kw) = (c.image.count, c.image[0].count, c.kernel.count, c.kernel[0].count)
                let unstrided = (h + 2 * c.padding - kh + 1, w + 2 * c.padding - kw + 1)
                let unpadded = ((h - kh) / c.stride + 1, (w - kw) / c.stride + 1)
                if c.stride > 1, hasShape(got, unstrided.0, unstrided.1) {
                    hint = " — you ignored the stride: output (i, j) is the window whose top-left corner is at "
                        + "(i·s − p, j·s − p), so consecutive outputs are s positions apart"
                } else if c.padding > 0, hasShape(got, unpadded.0, unpadded.1) {
                    hint = " — you ignored the padding: pad the image with p zeros on every side first"
                }
                report.check(false, "\(setting) the output must be H_out × W_out = \(rows) × \(cols) "
                    + "(⌊(H + 2p − k)/s⌋ + 1 per axis), got \(shape(got))" + hint)
                continue
            }
            var hint = ""
            if !close(got, want, 1e-9),
               close(got, crossCorrelate(c.image, flipped(c.kernel), stride: c.stride, padding: c.padding), 1e-9) {
                hint = " — you flipped the kernel: deep-learning 'convolution' is cross-correlation, "
                    + "y[i][j] = Σ kernel[u][v]·x[i·s − p + u][j·s − p + v] with no flip"
            }
            report.check(close(got, want, 1e-9), "\(setting) expected \(show(want)), got \(show(got))" + hint)
        }
        return report
    }

    // MARK: - 5.3 Max pooling backward

    /// Where a window's gradient goes: the rule of max pooling and the
    /// mistakes the grader recognises.
    enum Routing: CaseIterable {
        /// All of dy to the first maximum in row-major order (the answer).
        case firstMax
        /// All of dy to the last maximum in row-major order (≥ instead of >).
        case lastMax
        /// All of dy to the first maximum in column-major order.
        case firstMaxByColumns
        /// dy copied to every tied maximum.
        case everyMax
        /// dy split equally among the tied maxima.
        case splitAmongMaxima
        /// dy to the (first) minimum.
        case firstMin
        /// dy/size² to every element of the window (average pooling's backward).
        case spreadEvenly
    }

    /// The backward pass of non-overlapping size × size max pooling by the
    /// given routing rule; positions in no window get 0.
    static func route(_ x: [[Double]], _ dy: [[Double]], size k: Int, _ rule: Routing) -> [[Double]] {
        var dx = x.map { $0.map { _ in 0.0 } }
        for i in 0..<(x.count / k) {
            for j in 0..<(x[0].count / k) {
                let rowMajor = (0..<k).flatMap { u in (0..<k).map { v in (i * k + u, j * k + v) } }
                let window = rule == .firstMaxByColumns
                    ? (0..<k).flatMap { v in (0..<k).map { u in (i * k + u, j * k + v) } } : rowMajor
                let top = window.map { x[$0.0][$0.1] }.max()!
                let bottom = window.map { x[$0.0][$0.1] }.min()!
                let maxima = window.filter { x[$0.0][$0.1] == top }
                var targets: [((Int, Int), Double)]
                switch rule {
                case .firstMax, .firstMaxByColumns: targets = [(maxima.first!, 1)]
                case .lastMax: targets = [(maxima.last!, 1)]
                case .everyMax: targets = maxima.map { ($0, 1) }
                case .splitAmongMaxima: targets = maxima.map { ($0, 1 / Double(maxima.count)) }
                case .firstMin: targets = [(window.first(where: { x[$0.0][$0.1] == bottom })!, 1)]
                case .spreadEvenly: targets = window.map { ($0, 1 / Double(k * k)) }
                }
                for ((h, w), share) in targets { dx[h][w] += share * dy[i][j] }
            }
        }
        return dx
    }

    /// y = max over each window, the forward pass, for finite differences.
    static func maxPool(_ x: [[Double]], size k: Int) -> [[Double]] {
        (0..<(x.count / k)).map { i in
            (0..<(x[0].count / k)).map { j in
                (0..<k).flatMap { u in (0..<k).map { v in x[i * k + u][j * k + v] } }.max()!
            }
        }
    }

    struct PoolCase: Sendable {
        var x, dy: [[Double]]
        var size: Int
        var handWorked: [[Double]]?
        var why: String
        var hasTie: Bool
    }

    /// Hand-worked cases (one with ties, one with rows and columns left over,
    /// one with only negative values), then tie-free random inputs checked
    /// against finite differences.
    static var poolCases: [PoolCase] {
        var cases = [
            // Windows {1, 3, 4, 2} → 4, {2, 0, 1, 5} → 5, {0, 1, 2, 3} → 3, {7, 6, 8, 4} → 8.
            PoolCase(x: [[1, 3, 2, 0], [4, 2, 1, 5], [0, 1, 7, 6], [2, 3, 8, 4]], dy: [[10, 20], [30, 40]], size: 2,
                     handWorked: [[0, 0, 0, 0], [10, 0, 0, 20], [0, 0, 0, 0], [0, 30, 40, 0]],
                     why: "each window's gradient goes to its maximum and nowhere else", hasTie: false),
            // Window 1 has 3 twice (first at row 0), window 2 is all zeros (as
            // after a ReLU: the first element wins), window 3 has 6 at (0, 5)
            // and (1, 4): row-major order meets (0, 5) first.
            PoolCase(x: [[3, 1, 0, 0, 1, 6], [3, 2, 0, 0, 6, 2]], dy: [[5, 7, 9]], size: 2,
                     handWorked: [[5, 0, 7, 0, 0, 9], [0, 0, 0, 0, 0, 0]],
                     why: "on a tie the whole gradient goes to the first maximum in row-major order (as PyTorch)",
                     hasTie: true),
            // 5×5 with size 2: two windows per axis, row 4 and column 4 (all 9s)
            // belong to no window and get 0. Windows → 3 at (1,1), 4 at (1,2), 5 at (2,0), 7 at (3,3).
            PoolCase(x: [[1, 2, 0, 1, 9], [0, 3, 4, 2, 9], [5, 1, 1, 0, 9], [2, 2, 3, 7, 9], [9, 9, 9, 9, 9]],
                     dy: [[1, -2], [0.5, 3]], size: 2,
                     handWorked: [[0, 0, 0, 0, 0], [0, 1, -2, 0, 0], [0.5, 0, 0, 0, 0], [0, 0, 0, 3, 0], [0, 0, 0, 0, 0]],
                     why: "rows and columns left over after the last whole window (here row 4 and column 4) get 0",
                     hasTie: false),
            // Size 3, all values negative except one: the maximum of window 1 is −0.5.
            PoolCase(x: [[-1, -5, -2, 0.5, -3, -4], [-3, -0.5, -4, -1, -2, -6], [-2, -6, -7, -8, -9, -1.5]],
                     dy: [[2, -1]], size: 3,
                     handWorked: [[0, 0, 0, -1, 0, 0], [0, 2, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]],
                     why: "the maximum of a window of negative numbers is negative (do not start the search at 0)",
                     hasTie: false),
        ]
        var rng = SeededRandom(seed: 4303)
        for (h, w, k) in [(4, 4, 2), (6, 7, 2), (6, 6, 3), (7, 9, 3)] {
            // Distinct values at least 0.27 apart, so x ± h never changes a window's maximum.
            let ladder = rng.permutation(h * w).map { 0.37 * Double($0) - 5 + rng.uniform(0, 0.1) }
            let x = (0..<h).map { r in Array(ladder[(r * w)..<(r * w + w)]) }
            let dy = (0..<(h / k)).map { _ in (0..<(w / k)).map { _ in rng.uniform(-2, 2) } }
            cases.append(PoolCase(x: x, dy: dy, size: k, handWorked: nil,
                                  why: "centered finite differences of Σ dy·maxpool(x) (no ties)", hasTie: false))
        }
        return cases
    }

    /// Exercise 5.3: hand-worked cases and finite differences, with hints for
    /// average-pool backward, routing to the minimum, and the wrong tie rule.
    public static func maxPoolBackward(_ candidate: MaxPoolBackward) throws -> GradeReport {
        var report = GradeReport()
        for c in poolCases {
            let (h, w) = (c.x.count, c.x[0].count)
            let want: [[Double]]
            if let handWorked = c.handWorked {
                want = handWorked
            } else {
                let flat = GradientCheck.numericalGradient(
                    of: { t in
                        let x = (0..<h).map { r in Array(t.scalars[(r * w)..<(r * w + w)]) }
                        return zip(maxPool(x, size: c.size), c.dy).map { zip($0, $1).map { $0 * $1 }.reduce(0, +) }
                            .reduce(0, +)
                    },
                    at: Tensor(c.x.flatMap { $0 })).scalars
                want = (0..<h).map { r in Array(flat[(r * w)..<(r * w + w)]) }
            }
            let setting = "with size \(c.size) on x = \(show(c.x)) and dy = \(show(c.dy))"
            let got = try candidate(c.x, c.dy, c.size)
            guard hasShape(got, h, w) else {
                report.check(false, "\(setting): dx must have x's shape \(h) × \(w), got \(shape(got))")
                continue
            }
            var hint = ""
            if !close(got, want, 1e-6) {
                let known: [(Routing, String)] = [
                    (.spreadEvenly, " — you spread the gradient evenly over the window (that is average pooling's "
                        + "backward); max pooling sends all of dy to the window's maximum, 0 to the rest"),
                    (.firstMin, " — you routed the gradient to the window's minimum; it goes to the maximum"),
                    (.lastMax, " — on a tie you chose the last maximum; the gradient goes to the first one in "
                        + "row-major order (a later element must be strictly greater to take over: >, not ≥)"),
                    (.firstMaxByColumns, " — on a tie you chose the first maximum scanning column by column; "
                        + "scan each window row by row (row-major order)"),
                    (.everyMax, " — you gave dy to every tied maximum; all of it goes to the first one"),
                    (.splitAmongMaxima, " — you split dy among the tied maxima; all of it goes to the first one"),
                ]
                if let match = known.first(where: { close(got, route(c.x, c.dy, size: c.size, $0.0), 1e-6) }) {
                    hint = match.1
                }
            }
            report.check(close(got, want, 1e-6), "\(c.why): \(setting) expected dx = \(show(want)), got \(show(got))" + hint)
        }
        return report
    }
}
