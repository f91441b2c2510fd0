// The figures of chapters/07-transformer.md, made by the code
// (`swift run -c release backprop figures`): they train the baby GPT
// (about two minutes), so they are checked with `backprop figures --check`.

import BackpropCore
import Figures
import Foundation
import Backpropagation
import RecurrentNetworks

public enum Chapter7Figures {
    public static func trained(seed: UInt64 = 1337) throws -> [(String, any Figure)] {
        try figures(from: try Chapter7.run(GPTRunOptions(seed: seed)))
    }

    /// The figures of one training run (`backprop train gpt --figures DIR` with the
    /// default options draws the same ones).
    public static func figures(from run: GPTRun) throws -> [(String, any Figure)] {
        [("07-gpt-loss.svg", lossCurve(run.result)), ("07-attention-map.svg", try attentionMap(run.model))]
    }

    /// Training loss (per step, smoothed over 50 steps) and validation loss.
    static func lossCurve(_ result: GPTTrainingResult) -> LinePlot {
        let h = result.history
        var smoothed: [Double] = []
        var window: [Double] = []
        for p in h {
            window.append(p.trainLoss)
            if window.count > 50 { window.removeFirst() }
            smoothed.append(window.reduce(0, +) / Double(window.count))
        }
        let validation = h.filter { $0.validationLoss != nil }
        return LinePlot(
            title: String(format: "Baby GPT on tinyshakespeare: validation loss %.3f nats/char", result.validationLoss),
            xLabel: "iteration", yLabel: "cross-entropy (nats per character)",
            series: [.init(name: "train (mean of last 50 steps)", x: h.map { Double($0.iteration) }, y: smoothed, dashed: true),
                     .init(name: "validation", x: validation.map { Double($0.iteration) }, y: validation.map { $0.validationLoss! })])
    }

    /// The attention probabilities of one head of the last block on a line of text.
    static func attentionMap(_ model: GPT<Float>, text: String = "ROMEO:\nBut soft, what light", layer: Int? = nil, head: Int = 0) throws -> MatrixPlot {
        let tokens = Array(try model.config.vocabulary.encode(text).prefix(model.config.context))
        let (_, cache) = try model.forward(tokens, batch: 1, length: tokens.count)
        let l = layer ?? (model.config.layers - 1)
        let p = cache.attentionProbabilities[l]                              // [1, H, T, T]
        let t = tokens.count
        let values = (0..<t).map { i in (0..<t).map { j in Double(p[(head * t + i) * t + j]) } }
        let labels = text.prefix(t).map { $0 == "\n" ? "⏎" : ($0 == " " ? "␣" : String($0)) }
        return MatrixPlot(title: "Attention of head \(head) in block \(l + 1) (row: query position, column: key)",
                          values: values, rowLabels: labels, columnLabels: labels, rowTitle: "query", columnTitle: "key",
                          showValues: false, valueFormat: .decimals(2), range: 0...1, cellSize: 18)
    }
}
