// Grader for exercise 6.7: the student's LSTM cell (its elementwise step,
// forward and backward, as an `LSTMCellStep`) inside the book's character
// model. In order, stopping at the first stage that fails:
//   1. forward: (h′, c′) against the gates written out here (6.2's
//      `lstmReference` with W = 0, so z = b), a hand-worked case and
//      pre-activations of ±800;
//   2. backward: (dz, dc) against centered finite differences of
//      L = Σ dh·h′ + Σ dc·c′ through that reference, and finite values at ±800;
//   3. training: a CharRNN (embedding 4, LSTM 8, the naive kernels) with the
//      student's cell plugged in (`RecurrentLayer.useCell`) trains on the
//      first 10,000 characters of tinyshakespeare for 150 steps, seed 6,
//      and must reach a validation loss of at most 3.0 nats per character.
// The analytic variants below only name a wrong answer's likely mistake;
// they are never the expected values.

import BackpropCore
import ExerciseKit
import Foundation
import RecurrentNetworks

extension Chapter06Graders {
    /// The settings of the training stage, stated in the exercise.
    public struct CellTraining: Sendable {
        public var prefix = 10_000, embedding = 4, hidden = 8, context = 8, batch = 4
        public var steps = 150, learningRate = 0.03, seed: UInt64 = 6
        /// The validation loss (nats per character) a correct cell must reach.
        public var target = 3.0
        public init() {}
    }

    /// (h′, c′) from z and c, gate by gate (6.2's reference with W = 0, b = z).
    static func cellReference(_ z: [Double], _ c: [Double], blocks: [Int] = [0, 1, 2, 3], cellTanh: Bool = true,
                              candidateSigmoid: Bool = false) -> (h: [Double], c: [Double]) {
        let hidden = c.count
        return lstmReference([], [Double](repeating: 0, count: hidden), c, [[Double]](repeating: [], count: 4 * hidden),
                             [[Double]](repeating: [Double](repeating: 0, count: hidden), count: 4 * hidden), z,
                             blocks: blocks, cellTanh: cellTanh, candidateSigmoid: candidateSigmoid)
    }

    /// The mistakes in a cell's backward pass the grader recognises.
    enum CellBackwardMistake: CaseIterable {
        case incomingDCIgnored, noPathFromH, forgetGateMissing, tanhPrimeOneMinusTanh, outputGateFromC

        var hint: String {
            switch self {
            case .incomingDCIgnored:
                return " — the incoming dc (the gradient reaching c′ from the next step) is missing: c′ feeds both "
                    + "h′ and the next step, so the gradient at c′ is dc + dh ⊙ o ⊙ (1 − tanh²c′)"
            case .noPathFromH:
                return " — the path from h′ = o ⊙ tanh(c′) into c′ is missing: add dh ⊙ o ⊙ (1 − tanh²c′) to dc"
            case .forgetGateMissing:
                return " — the gradient passed to c (the previous cell state) is the gradient at c′ times f, "
                    + "since c′ = f ⊙ c + i ⊙ g"
            case .tanhPrimeOneMinusTanh:
                return " — tanh′(c′) is 1 − tanh²(c′), not 1 − tanh(c′)"
            case .outputGateFromC:
                return " — ∂h′/∂o is tanh(c′), not c′"
            }
        }
    }

    /// (dz, dc) written out analytically, with `mistake` made (nil: none).
    /// Used only to recognise a wrong answer, never as the expected values.
    static func cellBackwardVariant(_ z: [Double], _ c: [Double], _ dh: [Double], _ dc: [Double],
                                    _ mistake: CellBackwardMistake?) -> (dz: [Double], dc: [Double]) {
        let hidden = c.count
        func sigmoid(_ t: Double) -> Double { t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t)) }
        var dz = [Double](repeating: 0, count: 4 * hidden), dcPrev = [Double](repeating: 0, count: hidden)
        for j in 0..<hidden {
            let (i, f, g, o) = (sigmoid(z[j]), sigmoid(z[hidden + j]), tanh(z[2 * hidden + j]), sigmoid(z[3 * hidden + j]))
            let cNew = f * c[j] + i * g, tc = tanh(cNew)
            let slope = mistake == .tanhPrimeOneMinusTanh ? 1 - tc : 1 - tc * tc
            let incoming = mistake == .incomingDCIgnored ? 0 : dc[j]
            let total = incoming + (mistake == .noPathFromH ? 0 : dh[j] * o * slope)
            dz[j] = total * g * i * (1 - i)
            dz[hidden + j] = total * c[j] * f * (1 - f)
            dz[2 * hidden + j] = total * i * (1 - g * g)
            dz[3 * hidden + j] = dh[j] * (mistake == .outputGateFromC ? cNew : tc) * o * (1 - o)
            dcPrev[j] = mistake == .forgetGateMissing ? total : total * f
        }
        return (dz, dcPrev)
    }

    struct CellCase {
        var z, c, dh, dc: [Double]
        var note: String
    }

    static var cellCases: [CellCase] {
        var rng = SeededRandom(seed: 6707)
        func v(_ n: Int, _ s: Double) -> [Double] { (0..<n).map { _ in rng.uniform(-s, s) } }
        var cases = [CellCase(z: [0, log(3), log(2), -log(3)], c: [2], dh: [1], dc: [0.5],
                              note: "hand-worked forward (z = [0, ln 3, ln 2, −ln 3], c = 2: c′ = 1.8, h′ = tanh(1.8)/4)")]
        for hidden in [2, 3, 5] {
            cases.append(CellCase(z: v(4 * hidden, 2.5), c: v(hidden, 1.5), dh: v(hidden, 1), dc: v(hidden, 1),
                                  note: "random, H = \(hidden)"))
        }
        return cases
    }

    /// Exercise 6.7: forward, then backward, then training (see the top of
    /// this file); `training` can shorten the run (the self-tests do).
    public static func lstmCellInModel(_ cell: any LSTMCellStep, training: CellTraining = CellTraining()) throws -> GradeReport {
        var report = GradeReport()
        // 1. Forward.
        let saturated = CellCase(z: [800, -800, -800, 800, 800, -800, 800, -800], c: [0.5, -1.5], dh: [1, -1], dc: [0.5, 0.5],
                                 note: "saturated gates, |z| = 800")
        for c in cellCases + [saturated] {
            let want = c.note.hasPrefix("hand") ? ([tanh(1.8) / 4], [1.8]) : cellReference(c.z, c.c)
            let got = try cell.forward(z: c.z, c: c.c)
            let setting = "forward, \(c.note)" + (c.c.count <= 2 ? ": z = \(Grade.show(c.z)), c = \(Grade.show(c.c))" : "")
            guard got.h.count == c.c.count, got.c.count == c.c.count else {
                report.check(false, "\(setting): h′ and c′ must have H = \(c.c.count) entries (z has 4H = \(c.z.count)), "
                    + "got \(got.h.count) and \(got.c.count)")
                continue
            }
            let ok = Grade.close(got.h, want.0, 1e-9) && Grade.close(got.c, want.1, 1e-9)
            var hint = ""
            if !ok {
                func matches(_ r: (h: [Double], c: [Double])) -> Bool { Grade.close(got.h, r.h, 1e-9) && Grade.close(got.c, r.c, 1e-9) }
                if (got.h + got.c).contains(where: { !$0.isFinite }) {
                    hint = " — NaN or ∞: e^800 overflows; σ(t) = 1/(1 + e^(−t)) gives 1/∞ = 0, e^t/(1 + e^t) gives ∞/∞"
                } else if matches(cellReference(c.z, c.c, blocks: [0, 1, 3, 2])) {
                    hint = " — you used the gate order i, f, o, g; the library (and PyTorch) stacks i, f, g, o"
                } else if matches(cellReference(c.z, c.c, cellTanh: false)) {
                    hint = " — h′ = o ⊙ tanh(c′): the tanh on the cell state is missing"
                } else if matches(cellReference(c.z, c.c, candidateSigmoid: true)) {
                    hint = " — the candidate g is tanh(z_g), not σ(z_g)"
                }
            }
            report.check(ok, "\(setting): expected h′ = \(Grade.show(want.0)), c′ = \(Grade.show(want.1)); got "
                + "h′ = \(Grade.show(got.h)), c′ = \(Grade.show(got.c))" + hint)
        }
        guard report.passed else { return report }

        // 2. Backward, against finite differences of the reference forward pass.
        for c in cellCases {
            func loss(_ z: [Double], _ cPrev: [Double]) -> Double {
                let (h, cNew) = cellReference(z, cPrev)
                return zip(c.dh, h).map { $0 * $1 }.reduce(0, +) + zip(c.dc, cNew).map { $0 * $1 }.reduce(0, +)
            }
            let wantDz = GradientCheck.numericalGradient(of: { loss($0.scalars, c.c) }, at: Tensor(c.z)).scalars
            let wantDc = GradientCheck.numericalGradient(of: { loss(c.z, $0.scalars) }, at: Tensor(c.c)).scalars
            let got: (dz: [Double], dc: [Double])
            do {
                got = try cell.backward(z: c.z, c: c.c, dh: c.dh, dc: c.dc)
            } catch is NotAttempted {
                report.check(false, "your forward pass is right; backward still throws NotAttempted")
                return report
            }
            let setting = "backward, \(c.note): z = \(Grade.show(c.z)), c = \(Grade.show(c.c)), dh = \(Grade.show(c.dh)), "
                + "dc = \(Grade.show(c.dc))"
            guard got.dz.count == c.z.count, got.dc.count == c.c.count else {
                report.check(false, "\(setting): dz must have 4H = \(c.z.count) entries and dc H = \(c.c.count), got "
                    + "\(got.dz.count) and \(got.dc.count)")
                continue
            }
            let mistake = CellBackwardMistake.allCases.first { m in
                let r = cellBackwardVariant(c.z, c.c, c.dh, c.dc, m)
                return Grade.close(got.dz, r.dz, 1e-6) && Grade.close(got.dc, r.dc, 1e-6)
            }
            let hint = mistake?.hint ?? ""
            report.check(Grade.close(got.dz, wantDz, 1e-6), "\(setting): expected dz ≈ \(Grade.show(wantDz)) (finite "
                + "differences of Σ dh·h′ + Σ dc·c′; blocks i, f, g, o), got \(Grade.show(got.dz))" + hint)
            report.check(Grade.close(got.dc, wantDc, 1e-6), "\(setting): expected dc ≈ \(Grade.show(wantDc)) (finite "
                + "differences), got \(Grade.show(got.dc))" + hint)
        }
        let big = try cell.backward(z: saturated.z, c: saturated.c, dh: saturated.dh, dc: saturated.dc)
        report.check((big.dz + big.dc).allSatisfy(\.isFinite), "backward, \(saturated.note): dz and dc must be finite, "
            + "got dz = \(Grade.show(big.dz)), dc = \(Grade.show(big.dc))")
        guard report.passed else { return report }

        // 3. Training inside the character model.
        let t = training
        let corpus = try CharacterCorpus.shakespeare(prefix: t.prefix)
        var options = CharRNNOptions(cell: .lstm, seed: t.seed)
        options.model = CharRNNConfig(cell: .lstm, embeddingSize: t.embedding, hiddenSize: t.hidden)
        options.context = t.context
        options.batch = t.batch
        options.steps = max(t.steps, 1)
        options.learningRate = t.learningRate
        var rng = SeededRandom(seed: t.seed)
        let model = try CharRNN(options.model, vocabulary: corpus.vocabulary, rng: &rng, backend: .naive)
        try model.rnn.useCell(cell)
        let trainer = try CharRNNTrainer(model: model, train: corpus.train, options: options)
        for _ in 0..<t.steps { try trainer.step() }
        let validation = try model.evaluate(corpus.validation, batch: 8, length: 16)
        let setting = "training a CharRNN (embedding \(t.embedding), LSTM \(t.hidden) with your cell) on the first "
            + "\(t.prefix) characters of tinyshakespeare for \(t.steps) steps (batch \(t.batch), context \(t.context), "
            + "Adam \(t.learningRate), seed \(t.seed))"
        checkValidationLoss(&report, validation, target: t.target, setting: setting, corpus: corpus, library: "the library's cell reaches 2.73")
        return report
    }

    /// Records a failure unless a validation loss reached `target`, with the
    /// scale to read it by: the loss of predicting each character by its
    /// frequency in the training part (add-one counts) and of uniform guessing.
    public static func checkValidationLoss(_ report: inout GradeReport, _ loss: Double, target: Double, setting: String,
                                           corpus: CharacterCorpus, library: String) {
        var counts = [Double](repeating: 1, count: corpus.vocabulary.count)
        for token in corpus.train { counts[token] += 1 }
        let total = counts.reduce(0, +)
        let unigram = corpus.validation.map { -log(counts[$0] / total) }.reduce(0, +) / Double(corpus.validation.count)
        report.check(loss.isFinite && loss <= target, "\(setting): the validation loss must reach "
            + String(format: "%.2f", target) + " nats per character or less, got " + String(format: "%.4f", loss)
            + " (\(library); predicting each character by its frequency gives " + String(format: "%.2f", unigram)
            + ", uniform guessing ln \(corpus.vocabulary.count) = " + String(format: "%.2f", log(Double(corpus.vocabulary.count))) + ")")
    }
}
