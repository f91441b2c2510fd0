// Chapter 8's figures: the committed diagrams (which train nothing) must be
// exactly what the code draws, every figure must render, and the numbers the
// diagrams print are checked here from their definitions, not from the code
// that draws them. (The measured plot over all of tinyshakespeare is checked
// with `swift run -c release backprop figures --check`; here it is drawn
// from a small text.)

import BackpropCore
import Datasets
import Figures
import Foundation
import Testing
@testable import TokensAndTheModernLLM

@Suite struct FigureFilesTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("chapters/figures")

    @Test("the committed untrained figures are what the code draws, and each renders an SVG")
    func committedUntrainedFiguresMatchTheCode() throws {
        let figures = try Chapter8Figures.untrained()
        #expect(figures.map(\.0) == ["08-bpe-merges.svg", "08-rope-rotation.svg", "08-gqa-sharing.svg", "08-lora.svg"])
        for (name, figure) in figures {
            let svg = figure.render()
            #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"), "\(name)")
            #expect(svg.contains("</svg>") && svg.count > 2_000, "\(name)")
            let committed = try? String(contentsOf: Self.dir.appendingPathComponent(name), encoding: .utf8)
            #expect(committed == svg, "chapters/figures/\(name) is stale: run `swift run backprop figures --chapter 8 --untrained`")
        }
    }

    @Test("the merge diagram replays training and encoding: aaabdaaabac ends as X d X a c, \" brother\" as GPT-2's id 3956")
    func mergeRows() throws {
        let (bpe, _) = try BPETrainer.train(Chapter8Figures.handCorpus, options: BPETrainingOptions(vocabularySize: 300, preTokenization: .none))
        let rows = Chapter8Figures.trainingRows(Chapter8Figures.handCorpus, merges: bpe.merges)
        // By hand (BPETrainerTests): aa → 256, ab → 257, (256, 257) → 258.
        #expect(rows == [[97, 97, 97, 98, 100, 97, 97, 97, 98, 97, 99], [256, 97, 98, 100, 256, 97, 98, 97, 99],
                         [256, 257, 100, 256, 257, 97, 99], [258, 100, 258, 97, 99]])
        let built = try Chapter8Figures.encodingRows(" brother", bpe: try Shared.gpt2().bpe)
        // Eight bytes, one merge per row, ending in the one token tiktoken gives (" brother" = 3956).
        #expect(built.first?.count == 8 && built.last == [3956])
        #expect(zip(built, built.dropFirst()).allSatisfy { $0.count == $1.count + 1 })
    }

    @Test("the compression plot renders: bytes per token rises with the vocabulary, 1 for bytes alone")
    func compressionPlotRenders() throws {
        let text = String(try BundledData.shakespeare().prefix(30_000))
        let plot = try Chapter8Figures.compressionPlot(split: TextSplit(text), sizes: [256, 300, 400])
        #expect(plot.series.count == 3)
        for s in plot.series.prefix(2) {
            #expect(s.y.first == 1)                                        // 256 tokens: one per byte
            #expect(zip(s.y, s.y.dropFirst()).allSatisfy { $0 < $1 })     // more merges, fewer tokens
        }
        #expect(plot.render().contains("</svg>"))
    }
}
