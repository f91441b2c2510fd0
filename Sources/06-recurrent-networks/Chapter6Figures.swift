// The figures of chapters/06-recurrent-networks.md, made by the code
// (`swift run -c release backprop figures`). The two below train models, so
// they are checked with `backprop figures --check`, not in debug tests; the
// diagrams, which train nothing, are in Chapter6Diagrams.swift (`untrained()`,
// checked by FigureFilesTests).
//
//   06-gradient-norms.svg   ‖∂L/∂h_{T−k}‖ against k on the adding problem
//                           (T = 50) after training: RNN, LSTM and GRU
//   06-char-lstm-loss.svg   training and validation loss of the reference
//                           char-LSTM run (2,000 steps)

import BackpropCore
import Figures
import Foundation

public enum Chapter6Figures {
    public static func trained(seed: UInt64 = 42) throws -> [(String, any Figure)] {
        [("06-gradient-norms.svg", try gradientNorms(seed: seed)),
         ("06-char-lstm-loss.svg", try charLSTMLoss(seed: seed))]
    }

    /// Gradient norm against steps back, one series per cell.
    public static func gradientNorms(seed: UInt64 = 42, length: Int = 50) throws -> LinePlot {
        var series: [LinePlot.Series] = []
        for cell in CellKind.allCases {
            var o = MemoryTaskOptions(cell: cell, context: length, seed: seed)
            o.steps = 1500
            let r = try MemoryTask.run(o)
            series.append(.init(name: String(format: "%@ (test MSE %.4f)", cell.displayName, r.testMSE),
                                x: r.gradientNorms.indices.map(Double.init), y: r.gradientNorms, dashed: cell == .gru))
        }
        return LinePlot(title: "Adding problem, T = \(length): how much gradient reaches h(T−k)",
                        xLabel: "k (steps back from the end)", yLabel: "‖∂L/∂h(T−k)‖", series: series, logY: true)
    }

    /// Training loss (mean of each 50 steps) and validation loss every 200 steps.
    public static func charLSTMLoss(seed: UInt64 = 42) throws -> LinePlot {
        var o = CharRNNOptions(cell: .lstm, seed: seed)
        o.evaluationInterval = 200
        let run = try Chapter6.trainCharRNN(o)
        let chunk = 50
        let train = stride(from: 0, to: run.trainLosses.count, by: chunk).map { i -> (Double, Double) in
            let part = run.trainLosses[i..<min(i + chunk, run.trainLosses.count)]
            return (Double(i + part.count), part.reduce(0, +) / Double(part.count))
        }
        return LinePlot(
            title: String(format: "Char-LSTM: validation %.3f nats/char after %d steps", run.validationLoss, o.steps),
            xLabel: "step", yLabel: "cross-entropy (nats per character)",
            series: [.init(name: "train (mean of 50 steps)", x: train.map(\.0), y: train.map(\.1), dashed: true),
                     .init(name: "validation", x: run.validationCurve.map { Double($0.step) }, y: run.validationCurve.map(\.loss))])
    }
}

extension Chapter6 {
    /// `backprop tour`: a short char-LSTM run (hidden 128, 300 steps) and a sample.
    public static func tour(seed: UInt64) -> [(name: String, run: () throws -> RunSummary)] {
        [("char-LSTM, 300 steps", {
            var o = CharRNNOptions(cell: .lstm, seed: seed)
            o.model.hiddenSize = 128
            o.steps = 300
            let run = try trainCharRNN(o)
            var rng = SeededRandom(seed: seed)
            let sample = try run.model.generate(prompt: "ROMEO:", maxTokens: 120, sampling: try SamplingOptions(temperature: 0.8), rng: &rng)
            var summary = run.summary
            summary.details.append(("sample", .string("ROMEO:" + sample)))
            return summary
        })]
    }
}
