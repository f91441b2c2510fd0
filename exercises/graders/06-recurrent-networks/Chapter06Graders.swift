// Graders for chapter 6's exercises. Expected values come from definitions,
// never from the code being graded: the RNN cell's gradients from centered
// finite differences of L = Σ dh·tanh(W_ih·x + W_hh·h_prev + b) and a
// hand-worked case; the LSTM step from its equations written gate by gate
// here, a hand-worked case and values printed by torch.nn.LSTMCell; clipping
// from its formula (a hand-worked case, the no-op case, all-zero gradients);
// the sampling distribution from a sort-and-softmax written here and
// hand-worked cases.

import BackpropCore
import ExerciseKit
import Foundation

public typealias RNNCellBackward = ([Double], [Double], [[Double]], [[Double]], [Double], [Double], [Double]) throws
    -> (dx: [Double], dhPrev: [Double], dWeightIH: [[Double]], dWeightHH: [[Double]], dBias: [Double])
public typealias LSTMStep = ([Double], [Double], [Double], [[Double]], [[Double]], [Double]) throws -> (h: [Double], c: [Double])
public typealias ClipGlobalNorm = ([[Double]], Double) throws -> (clipped: [[Double]], norm: Double)
public typealias SamplingProbabilities = ([Double], Double, Int?) throws -> [Double]

public enum Chapter06Graders {
    static func show(_ m: [[Double]]) -> String { Grade.show(m) }
    static func shape(_ m: [[Double]]) -> String { Grade.shape(m) }
    static func hasShape(_ m: [[Double]], _ rows: Int, _ cols: Int) -> Bool { Grade.hasShape(m, rows, cols) }
    static func close(_ a: [[Double]], _ b: [[Double]], _ tol: Double) -> Bool { Grade.close(a, b, tol) }

    public static func matrix(_ rng: inout SeededRandom, _ rows: Int, _ cols: Int, _ scale: Double = 1) -> [[Double]] {
        (0..<rows).map { _ in (0..<cols).map { _ in rng.uniform(-scale, scale) } }
    }

    public static func rows(_ flat: [Double], _ cols: Int) -> [[Double]] {
        Swift.stride(from: 0, to: flat.count, by: cols).map { Array(flat[$0..<($0 + cols)]) }
    }

    /// W·v for W given as rows.
    static func times(_ w: [[Double]], _ v: [Double]) -> [Double] {
        w.map { row in zip(row, v).map { $0 * $1 }.reduce(0, +) }
    }

    /// Wᵀ·v.
    static func transposeTimes(_ w: [[Double]], _ v: [Double]) -> [Double] {
        (0..<(w.first?.count ?? 0)).map { k in w.indices.map { w[$0][k] * v[$0] }.reduce(0, +) }
    }

    // MARK: - 6.1 RNN cell backward

    public struct RNNCase {
        var x, hPrev: [Double]
        var wih, whh: [[Double]]
        var b, dh: [Double]
        /// Hand-worked (dx, dhPrev, dWih, dWhh, db), when there is one.
        var handWorked: (dx: [Double], dhPrev: [Double], dWih: [[Double]], dWhh: [[Double]], db: [Double])?
        var note: String
    }

    public static var rnnCases: [RNNCase] {
        // x = 1, h_prev = 0.5, W_ih = 2, W_hh = −1, b = 0: a = 2 − 0.5 = 1.5;
        // dh = 1: da = 1 − tanh²(1.5); dx = 2·da, dh_prev = −da, dW_ih = da·1,
        // dW_hh = da·0.5, db = da.
        let da = 1 - tanh(1.5) * tanh(1.5)
        var cases = [RNNCase(x: [1], hPrev: [0.5], wih: [[2]], whh: [[-1]], b: [0], dh: [1],
                             handWorked: ([2 * da], [-da], [[da]], [[0.5 * da]], [da]),
                             note: "hand-worked (in = H = 1, a = 1.5)")]
        var rng = SeededRandom(seed: 5101)
        for (inputs, hidden) in [(3, 2), (2, 4), (1, 3)] {
            cases.append(RNNCase(
                x: (0..<inputs).map { _ in rng.uniform(-1, 1) }, hPrev: (0..<hidden).map { _ in rng.uniform(-1, 1) },
                wih: matrix(&rng, hidden, inputs), whh: matrix(&rng, hidden, hidden),
                b: (0..<hidden).map { _ in rng.uniform(-0.5, 0.5) }, dh: (0..<hidden).map { _ in rng.uniform(-2, 2) },
                note: "random, in = \(inputs), H = \(hidden)"))
        }
        return cases
    }

    static func rnnForward(_ x: [Double], _ hPrev: [Double], _ wih: [[Double]], _ whh: [[Double]], _ b: [Double])
        -> [Double]
    {
        zip(zip(times(wih, x), times(whh, hPrev)), b).map { tanh($0.0 + $0.1 + $1) }
    }

    /// The five gradients from a given da, optionally with the mistakes the
    /// grader recognises (W_hh not transposed, the outer products transposed).
    static func rnnGradients(_ c: RNNCase, da: [Double], untransposedHH: Bool = false)
        -> (dx: [Double], dhPrev: [Double], dWih: [[Double]], dWhh: [[Double]], db: [Double])
    {
        (transposeTimes(c.wih, da), untransposedHH ? times(c.whh, da) : transposeTimes(c.whh, da),
         da.map { d in c.x.map { d * $0 } }, da.map { d in c.hPrev.map { d * $0 } }, da)
    }

    /// Exercise 6.1: each gradient against finite differences of
    /// L = Σⱼ dhⱼ·hⱼ (or the hand-worked values), with hints for a missing
    /// or wrong tanh′ and an untransposed W_hh.
    public static func rnnCellBackward(_ candidate: RNNCellBackward, cases: [RNNCase] = rnnCases) throws -> GradeReport {
        var report = GradeReport()
        for c in cases {
            let (inputs, hidden) = (c.x.count, c.hPrev.count)
            let h = rnnForward(c.x, c.hPrev, c.wih, c.whh, c.b)
            func loss(_ x: [Double], _ hPrev: [Double], _ wih: [[Double]], _ whh: [[Double]], _ b: [Double]) -> Double {
                zip(c.dh, rnnForward(x, hPrev, wih, whh, b)).map { $0 * $1 }.reduce(0, +)
            }
            func numeric(_ v: [Double], _ f: @escaping ([Double]) -> Double) -> [Double] {
                GradientCheck.numericalGradient(of: { f($0.scalars) }, at: Tensor(v)).scalars
            }
            let want = c.handWorked ?? (
                numeric(c.x) { loss($0, c.hPrev, c.wih, c.whh, c.b) },
                numeric(c.hPrev) { loss(c.x, $0, c.wih, c.whh, c.b) },
                rows(numeric(c.wih.flatMap { $0 }) { loss(c.x, c.hPrev, rows($0, inputs), c.whh, c.b) }, inputs),
                rows(numeric(c.whh.flatMap { $0 }) { loss(c.x, c.hPrev, c.wih, rows($0, hidden), c.b) }, hidden),
                numeric(c.b) { loss(c.x, c.hPrev, c.wih, c.whh, $0) })
            let got = try candidate(c.x, c.hPrev, c.wih, c.whh, c.b, h, c.dh)
            let setting = "\(c.note): x = \(Grade.show(c.x)), h_prev = \(Grade.show(c.hPrev)), "
                + "W_ih = \(show(c.wih)), W_hh = \(show(c.whh)), b = \(Grade.show(c.b)), dh = \(Grade.show(c.dh))"
            let source = c.handWorked == nil ? " (finite differences of Σ dh·h)" : " (worked by hand)"
            // Hints: the same gradients from a wrong da or an untransposed W_hh.
            let daVariants: [([Double], String)] = [
                (c.dh, " — you left out tanh′: da = dh ⊙ (1 − h²), not dh"),
                (zip(c.dh, h).map { $0 * (1 - $1) }, " — tanh′(a) is 1 − h² (h squared), not 1 − h"),
                (zip(c.dh, h).map { $0 * (1 - tanh($1) * tanh($1)) },
                 " — you applied tanh to h again: h is already tanh(a), so tanh′(a) = 1 − h²"),
            ]
            func hint(_ pick: ((dx: [Double], dhPrev: [Double], dWih: [[Double]], dWhh: [[Double]], db: [Double]))
                -> [Double], _ value: [Double]) -> String
            {
                daVariants.first { Grade.close(pick(rnnGradients(c, da: $0.0)), value, 1e-6) }?.1 ?? ""
            }
            if got.dx.count == inputs {
                report.check(Grade.close(got.dx, want.dx, 1e-6), "\(setting): expected dx = W_ihᵀ·da ≈ "
                    + "\(Grade.show(want.dx))\(source), got \(Grade.show(got.dx))" + hint({ $0.dx }, got.dx))
            } else {
                report.check(false, "\(setting): dx must have in = \(inputs) entries, got \(got.dx.count)")
            }
            if got.dhPrev.count == hidden {
                var extra = hint({ $0.dhPrev }, got.dhPrev)
                let da = zip(c.dh, h).map { $0 * (1 - $1 * $1) }
                if extra.isEmpty, Grade.close(got.dhPrev, times(c.whh, da), 1e-6) {
                    extra = " — you used W_hh·da; the gradient flows back through the transpose, dh_prev = W_hhᵀ·da"
                }
                report.check(Grade.close(got.dhPrev, want.dhPrev, 1e-6), "\(setting): expected dh_prev = W_hhᵀ·da ≈ "
                    + "\(Grade.show(want.dhPrev))\(source), got \(Grade.show(got.dhPrev))" + extra)
            } else {
                report.check(false, "\(setting): dh_prev must have H = \(hidden) entries, got \(got.dhPrev.count)")
            }
            if hasShape(got.dWeightIH, hidden, inputs) {
                report.check(close(got.dWeightIH, want.dWih, 1e-6), "\(setting): expected dW_ih = da·xᵀ ≈ "
                    + "\(show(want.dWih))\(source), got \(show(got.dWeightIH))"
                    + hint({ $0.dWih.flatMap { $0 } }, got.dWeightIH.flatMap { $0 }))
            } else {
                report.check(false, "\(setting): dW_ih must be H × in = \(hidden) × \(inputs) like W_ih, got "
                    + shape(got.dWeightIH) + (hasShape(got.dWeightIH, inputs, hidden) && inputs != hidden
                        ? " — it is transposed: dW_ih[j][k] = daⱼ·xₖ (row j per hidden unit)" : ""))
            }
            if hasShape(got.dWeightHH, hidden, hidden) {
                var extra = hint({ $0.dWhh.flatMap { $0 } }, got.dWeightHH.flatMap { $0 })
                let da = zip(c.dh, h).map { $0 * (1 - $1 * $1) }
                if extra.isEmpty, hidden > 1, close(got.dWeightHH, c.hPrev.map { hk in da.map { hk * $0 } }, 1e-6) {
                    extra = " — dW_hh is transposed: dW_hh[j][k] = daⱼ·h_prevₖ (da·h_prevᵀ, not h_prev·daᵀ)"
                }
                report.check(close(got.dWeightHH, want.dWhh, 1e-6), "\(setting): expected dW_hh = da·h_prevᵀ ≈ "
                    + "\(show(want.dWhh))\(source), got \(show(got.dWeightHH))" + extra)
            } else {
                report.check(false, "\(setting): dW_hh must be H × H = \(hidden) × \(hidden), got \(shape(got.dWeightHH))")
            }
            if got.dBias.count == hidden {
                report.check(Grade.close(got.dBias, want.db, 1e-6), "\(setting): expected db = da ≈ "
                    + "\(Grade.show(want.db))\(source), got \(Grade.show(got.dBias))" + hint({ $0.db }, got.dBias))
            } else {
                report.check(false, "\(setting): db must have H = \(hidden) entries, got \(got.dBias.count)")
            }
        }
        return report
    }

    // MARK: - 6.2 LSTM step

    /// The LSTM step written gate by gate: each gate has its own block of
    /// rows in W_ih, W_hh and b at `blocks[gate]` (0 = the first H rows, …),
    /// gates listed as i, f, g, o. `cellTanh: false` gives h = o ⊙ c,
    /// `candidateSigmoid` squashes g with σ instead of tanh (hint variants).
    static func lstmReference(
        _ x: [Double], _ hPrev: [Double], _ cPrev: [Double], _ wih: [[Double]], _ whh: [[Double]], _ b: [Double],
        blocks: [Int] = [0, 1, 2, 3], cellTanh: Bool = true, candidateSigmoid: Bool = false
    ) -> (h: [Double], c: [Double]) {
        let hidden = hPrev.count
        func preactivation(_ gate: Int, _ j: Int) -> Double {
            let row = blocks[gate] * hidden + j
            var z = b[row]
            for k in x.indices { z += wih[row][k] * x[k] }
            for k in hPrev.indices { z += whh[row][k] * hPrev[k] }
            return z
        }
        // σ(t) written so that neither branch overflows.
        func sigmoid(_ t: Double) -> Double { t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t)) }
        var h = [Double](), c = [Double]()
        for j in 0..<hidden {
            let inputGate = sigmoid(preactivation(0, j))
            let forgetGate = sigmoid(preactivation(1, j))
            let candidate = candidateSigmoid ? sigmoid(preactivation(2, j)) : tanh(preactivation(2, j))
            let outputGate = sigmoid(preactivation(3, j))
            let cell = forgetGate * cPrev[j] + inputGate * candidate
            c.append(cell)
            h.append(outputGate * (cellTanh ? tanh(cell) : cell))
        }
        return (h, c)
    }

    struct LSTMCase {
        var x, hPrev, cPrev: [Double]
        var wih, whh: [[Double]]
        var b: [Double]
        var expected: (h: [Double], c: [Double])?
        var note: String
    }

    static var lstmCases: [LSTMCase] {
        // z = b = [0, ln 3, ln 2, −ln 3]: i = 1/2, f = 3/4, g = tanh(ln 2) = 3/5,
        // o = 1/4; c = 3/4·2 + 1/2·3/5 = 1.8, h = tanh(1.8)/4.
        var cases = [LSTMCase(
            x: [0.7], hPrev: [-0.3], cPrev: [2], wih: [[0], [0], [0], [0]], whh: [[0], [0], [0], [0]],
            b: [0, log(3), log(2), -log(3)], expected: ([tanh(1.8) / 4], [1.8]),
            note: "hand-worked (W = 0, so z = b = [0, ln 3, ln 2, −ln 3])")]
        // torch.manual_seed(502); cell = torch.nn.LSTMCell(3, 2).double();
        // x, h, c = torch.randn(1, 3), torch.randn(1, 2), torch.randn(1, 2) (float64);
        // b = cell.bias_ih + cell.bias_hh; printed h1, c1 = cell(x, (h, c)) (torch 2.x).
        cases.append(LSTMCase(
            x: [1.146617034846942, -0.2618309356073566, -1.597515629688701],
            hPrev: [-0.31113899347045604, -0.8302960259666642], cPrev: [-0.5476997475062373, 0.36878979095578973],
            wih: [[0.41806596517562866, 0.6957230567932129, -0.5378881692886353],
                  [0.5791741609573364, -0.02655748650431633, -0.46142056584358215],
                  [-0.13423164188861847, -0.07309199124574661, 0.09943284094333649],
                  [0.1720738559961319, 0.699752926826477, 0.6371393203735352],
                  [0.30451518297195435, 0.18929843604564667, -0.039668697863817215],
                  [0.5634679794311523, -0.2662624716758728, -0.5292848944664001],
                  [-0.44889259338378906, 0.327185720205307, -0.7066643238067627],
                  [-0.339167982339859, 0.5078002214431763, -0.36985552310943604]],
            whh: [[0.4440312087535858, -0.3826659917831421], [0.36702704429626465, -0.6455961465835571],
                  [0.322908490896225, 0.16786432266235352], [0.10128781199455261, -0.05434945598244667],
                  [-0.5916973352432251, 0.6735005378723145], [-0.5598689317703247, -0.6016234159469604],
                  [-0.3980323076248169, 0.5399062037467957], [0.06667226552963257, 0.12296266853809357]],
            b: [0.32955918461084366, 0.044742755591869354, -0.7058092653751373, 0.41514265537261963,
                0.45222512632608414, -0.39822886884212494, -0.30336257815361023, 0.029855310916900635],
            expected: ([0.10512554808545992, 0.3669854957070144], [0.2249410066897903, 0.9568772038541822]),
            note: "torch.nn.LSTMCell(3, 2), seed 502"))
        var rng = SeededRandom(seed: 5202)
        for (inputs, hidden) in [(2, 3), (4, 2)] {
            cases.append(LSTMCase(
                x: (0..<inputs).map { _ in rng.uniform(-1, 1) }, hPrev: (0..<hidden).map { _ in rng.uniform(-1, 1) },
                cPrev: (0..<hidden).map { _ in rng.uniform(-2, 2) }, wih: matrix(&rng, 4 * hidden, inputs),
                whh: matrix(&rng, 4 * hidden, hidden), b: (0..<(4 * hidden)).map { _ in rng.uniform(-1, 1) },
                note: "random, in = \(inputs), H = \(hidden)"))
        }
        // Saturated gates: pre-activations of ±800 (e^800 overflows to ∞).
        cases.append(LSTMCase(
            x: [1], hPrev: [0, 0], cPrev: [0.5, -1.5], wih: [[800], [-800], [-800], [800], [800], [-800], [800], [-800]],
            whh: [[Double]](repeating: [0, 0], count: 8), b: [Double](repeating: 0, count: 8),
            note: "saturated gates, |z| = 800 (i = (1, 0), f = (0, 1), g = (1, −1), o = (1, 0))"))
        return cases
    }

    /// Exercise 6.2: h and c against the gate-by-gate equations, the
    /// hand-worked case and PyTorch's values, with hints for the CS231n gate
    /// order (i, f, o, g), a missing tanh on c, σ for g, and overflow.
    public static func lstmStep(_ candidate: LSTMStep) throws -> GradeReport {
        var report = GradeReport()
        for c in lstmCases {
            let hidden = c.hPrev.count
            let want = c.expected ?? lstmReference(c.x, c.hPrev, c.cPrev, c.wih, c.whh, c.b)
            let setting = "\(c.note): x = \(Grade.show(c.x)), h_prev = \(Grade.show(c.hPrev)), "
                + "c_prev = \(Grade.show(c.cPrev))" + (c.x.count * hidden <= 2 ? ", W_ih = \(show(c.wih)), "
                    + "W_hh = \(show(c.whh)), b = \(Grade.show(c.b))" : "")
            let got = try candidate(c.x, c.hPrev, c.cPrev, c.wih, c.whh, c.b)
            guard got.h.count == hidden, got.c.count == hidden else {
                report.check(false, "\(setting): h and c must have H = \(hidden) entries each (W_ih has 4H = "
                    + "\(4 * hidden) rows), got \(got.h.count) and \(got.c.count)")
                continue
            }
            let ok = Grade.close(got.h, want.h, 1e-9) && Grade.close(got.c, want.c, 1e-9)
            var hint = ""
            if !ok {
                func matches(_ r: (h: [Double], c: [Double])) -> Bool {
                    Grade.close(got.h, r.h, 1e-9) && Grade.close(got.c, r.c, 1e-9)
                }
                if (got.h + got.c).contains(where: { !$0.isFinite }) {
                    hint = " — NaN or ∞: with z = ±800, e^z overflows; write σ(z) = 1/(1 + e^(−z)) (e^(−z) = ∞ "
                        + "gives 1/∞ = 0, no NaN) rather than e^z/(1 + e^z), which gives ∞/∞"
                } else if matches(lstmReference(c.x, c.hPrev, c.cPrev, c.wih, c.whh, c.b, blocks: [0, 1, 3, 2])) {
                    hint = " — you used the gate order i, f, o, g; PyTorch stacks i, f, g, o (g is the third block)"
                } else if matches(lstmReference(c.x, c.hPrev, c.cPrev, c.wih, c.whh, c.b, cellTanh: false)) {
                    hint = " — h = o ⊙ tanh(c): you left out the tanh on the cell state"
                } else if matches(lstmReference(c.x, c.hPrev, c.cPrev, c.wih, c.whh, c.b, candidateSigmoid: true)) {
                    hint = " — the candidate g is squashed with tanh (values in (−1, 1)), not σ"
                } else if Grade.close(got.c, want.c, 1e-9) {
                    hint = " — c is right, so look at h = o ⊙ tanh(c)"
                }
            }
            report.check(ok, "\(setting): expected h = \(Grade.show(want.h)), c = \(Grade.show(want.c)); got "
                + "h = \(Grade.show(got.h)), c = \(Grade.show(got.c))" + hint)
        }
        return report
    }
}
