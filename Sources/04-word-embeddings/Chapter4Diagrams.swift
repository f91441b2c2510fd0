// Chapter 4's pictures of ideas, drawn from the real corpus with the
// chapter's own code:
// - 04-skipgram-example.svg: the first tokens of tinyshakespeare, which of
//   them subsampling keeps in the first epoch, one centre word with the window
//   it drew, its (centre, context) pairs and the K negatives the alias table
//   drew for each: the trainer's own draws (seed 42, one thread), replayed by
//   `SkipGramTrace` (a test checks the replay against the trainer bit for bit).
// - 04-sgns-step.svg: the two embedding tables and the rows one step of that
//   example reads and writes, with its scores computed on the tables the
//   figures' skip-gram run ends with (trained).
// - 04-noise-and-subsampling.svg: what subsampling and the unigram^¾ noise
//   distribution do to the real word counts: the ten most frequent words, and
//   the shares of four frequency bands in the text, in the subsampled text and
//   among the negatives (the alias table's exact probabilities).

import BackpropCore
import Figures
import Foundation

extension Chapter4Figures {
    /// The figures' skip-gram options: seed 42 and one thread, as in `trained`.
    static func figureOptions(seed: UInt64) -> Word2VecOptions {
        var o = Word2VecOptions(model: .sgns, seed: seed)
        o.threads = 1
        return o
    }

    /// The trace of the figures' skip-gram run and the centre drawn: the first
    /// centre word whose window b is 2 or 3, lies wholly inside the text (so
    /// it has context words on both sides) and reaches across a word that
    /// subsampling dropped.
    static func example(_ trainer: Word2VecTrainer) throws -> (trace: SkipGramTrace, centre: SkipGramTrace.Centre) {
        let trace = SkipGramTrace(trainer: trainer, centres: 200)
        let keptIndex = trace.kept.indices.filter { trace.kept[$0] }
        guard let centre = trace.centres.first(where: { c in
            (2...3).contains(c.window) && c.position >= c.window && c.position + c.window < keptIndex.count
                && keptIndex[c.position + c.window] - keptIndex[c.position - c.window] > 2 * c.window
        }) else {
            throw TrainingError.invalidOption(name: "seed", value: "\(trainer.options.seed)",
                                              reason: "no short window among the first 200 centre words")
        }
        return (trace, centre)
    }

    /// The first tokens, subsampling, one window and its examples with their negatives.
    static func skipGramExample(_ trainer: Word2VecTrainer) throws -> Diagram {
        typealias D = Diagram
        let seed = trainer.options.seed
        let (trace, centre) = try example(trainer)
        let words = trainer.vocabulary.words, counts = trainer.vocabulary.counts
        let keep = Subsampler(counts: counts, threshold: trainer.options.sample).keepProbability
        // Corpus index of each kept position.
        let keptIndex = trace.kept.indices.filter { trace.kept[$0] }
        let first = centre.position - centre.window, last = centre.position + centre.window
        let shownTokens = min(trace.kept.count, keptIndex[last] + 2)
        let shownKept = keptIndex.prefix { $0 < shownTokens }.count

        let width = 980.0
        var d = Diagram(width: width, height: 326 + Double(centre.examples.count) * 46,
                        title: "One skip-gram example from the real text: subsampling, a window, positives and negatives")
        // 1. The tokens of the corpus and their keep probabilities.
        d.add(D.label("1. The first \(shownTokens) tokens of tinyshakespeare; subsampling keeps each with p_keep (t = \(D.number(trainer.options.sample, digits: 4))), "
                      + "drawn afresh every epoch; this is epoch 1", x: 20, y: 52, anchor: .start, bold: true))
        let step1 = (width - 40) / Double(max(shownTokens, 1)), box1 = min(step1 - 6, 90)
        var tokenCentre: [Double] = []
        for i in 0..<shownTokens {
            let w = Int(trainer.corpus[i])
            let x = 20 + Double(i) * step1
            tokenCentre.append(x + box1 / 2)
            d.add(D.box([words[w], "p = " + D.number(keep[w], digits: 2)], x: x, y: 64, width: box1, height: 38,
                        fill: trace.kept[i] ? D.Ink.dataFill : D.Ink.mutedFill, fontSize: 11))
            if !trace.kept[i] {
                d.add(D.label("dropped", x: x + box1 / 2, y: 116, color: D.Ink.backward, fontSize: 10.5))
            }
        }
        // 2. The subsampled text, the centre and its window.
        let y2 = 160.0
        d.add(D.label("2. The kept words are the text the windows run over. Centre word \(centre.position + 1) draws its window b "
                      + "uniformly from 1…\(trainer.options.window): b = \(centre.window)", x: 20, y: y2 - 14, anchor: .start, bold: true))
        let step2 = (width - 40) / Double(max(shownKept, 1)), box2 = min(step2 - 8, 90)
        var keptCentre: [Double] = []
        for p in 0..<shownKept {
            let x = 20 + Double(p) * step2
            keptCentre.append(x + box2 / 2)
            let inWindow = p >= first && p <= last
            let fill = p == centre.position ? D.Ink.highlightFill : D.Ink.dataFill
            d.add(D.box([words[Int(trace.sentence[p])]], x: x, y: y2, width: box2, height: 26, fill: fill,
                        stroke: inWindow && p != centre.position ? D.Ink.forward : D.Ink.neutral, fontSize: 11.5,
                        bold: p == centre.position))
            d.add(.line(x1: tokenCentre[keptIndex[p]], y1: 102, x2: x + box2 / 2, y2: y2, style: .init(stroke: "#BBBBBB", strokeWidth: 1)))
        }
        // The window's bracket under the kept words.
        let left = keptCentre[first] - box2 / 2, right = keptCentre[last] + box2 / 2
        d.add(bracket(from: left, to: right, y: y2 + 32, depth: 6, color: D.Ink.forward))
        let dropped = (keptIndex[first]...keptIndex[last]).filter { !trace.kept[$0] }.map { "‘\(words[Int(trainer.corpus[$0])])’" }
        d.add(D.label("window: \(centre.window) kept words on each side → \(centre.examples.count) (centre, context) pairs",
                      x: left, y: y2 + 50, color: D.Ink.forward, fontSize: 11.5, anchor: .start))
        if !dropped.isEmpty {
            d.add(D.label("with \(dropped.joined(separator: ", ")) dropped, it reaches \(dropped.count) token"
                          + (dropped.count == 1 ? "" : "s") + " farther into the original text",
                          x: left, y: y2 + 65, color: D.Ink.forward, fontSize: 11.5, anchor: .start))
        }
        // 3. The examples: the positive pair and its K negatives.
        let y3 = y2 + 94
        let centreWord = words[centre.word]
        d.add(D.label("3. Each pair is one example: the context word is the positive (label 1); the alias table draws K = \(trainer.options.negative) "
                      + "negatives (label 0) from unigram^¾", x: 20, y: y3, anchor: .start, bold: true))
        var skipped = false
        for (r, e) in centre.examples.enumerated() {
            let y = y3 + 28 + Double(r) * 46
            let distance = e.contextPosition - centre.position
            d.add(D.label("\(centreWord) → \(words[e.context])", x: 20, y: y + 18, fontSize: 12, anchor: .start, bold: true))
            d.add(D.label("distance \(distance > 0 ? "+" : "−")\(abs(distance))", x: 20, y: y + 33, fontSize: 10.5, anchor: .start))
            d.add(D.box([words[e.context], "id \(e.context)"], x: 190, y: y, width: 96, height: 38, fill: D.Ink.operationFill,
                        stroke: D.Ink.forward, fontSize: 11))
            for (k, n) in e.negatives.enumerated() {
                let x = 320 + Double(k) * 128
                let skip = n == e.context
                skipped = skipped || skip
                d.add(D.box([words[n], skip ? "= positive: skipped" : "id \(n)"], x: x, y: y, width: 116, height: 38,
                            fill: skip ? D.Ink.mutedFill : D.Ink.dataFill, fontSize: 11))
            }
        }
        d.add(D.label("positive (ℓ = 1)", x: 238, y: y3 + 22, color: D.Ink.forward, fontSize: 10.5))
        d.add(D.label("negatives (ℓ = 0), in the order drawn", x: 320 + 2.5 * 128, y: y3 + 22, fontSize: 10.5))
        let yNote = y3 + 28 + Double(centre.examples.count) * 46 + 8
        let notes = [
            "The trainer's own draws (seed \(seed), one thread), replayed by SkipGramTrace. Ids are frequency ranks (0 is ‘\(words[0])’): "
                + "frequent words are drawn",
            "more often, as unigram^¾ says, but rare ones still appear" + (skipped ? "; a draw equal to the positive is skipped." : ".")
                + " Every example trains the centre's input row against 1 + K output rows.",
        ]
        for (i, line) in notes.enumerated() {
            d.add(D.label(line, x: 20, y: yNote + 14 + Double(i) * 16, fontSize: 11, anchor: .start))
        }
        return d
    }

    /// The two tables and the rows one SGNS step reads and writes, with the
    /// scores of the example on the trained tables.
    static func sgnsStep(_ trainer: Word2VecTrainer, result: Word2VecResult) throws -> Diagram {
        typealias D = Diagram
        let seed = trainer.options.seed
        let (_, centre) = try example(trainer)
        let words = trainer.vocabulary.words
        let v = trainer.vocabulary.count, dim = trainer.options.dimension
        let e = centre.examples[0]
        let h = try result.embeddings.vector(words[centre.word]).map(Double.init)
        func outputRow(_ w: Int) -> [Double] { (0..<dim).map { Double(result.outputVectors[w * dim + $0]) } }
        let targets = [(e.context, 1.0)] + e.usedNegatives.map { ($0, 0.0) }
        let scores = targets.map { t in zip(outputRow(t.0), h).reduce(0) { $0 + $1.0 * $1.1 } }
        let reference = NegativeSampling.example(hidden: h, positive: outputRow(e.context), negatives: e.usedNegatives.map(outputRow))
        let gradientNorm = reference.hidden.reduce(0) { $0 + $1 * $1 }.squareRoot()

        var d = Diagram(width: 980, height: 480, title: "One SGNS step reads and writes 1 + (K + 1) rows of the two tables")
        let top = 70.0, tableH = 330.0, tableW = 70.0
        func rowY(_ id: Int) -> Double { top + (Double(id) + 0.5) / Double(v) * tableH }
        // The tables.
        let tables: [(x: Double, name: String)] = [(40, "input vectors v"), (860, "output vectors u")]
        for t in tables {
            d.add(.rect(x: t.x, y: top, width: tableW, height: tableH,
                        style: .init(fill: D.Ink.operationFill, stroke: D.Ink.neutral, strokeWidth: 1.2)))
            d.add(D.label(t.name, x: t.x + tableW / 2, y: top - 22, fontSize: 12, bold: true))
            d.add(D.label("\(grouped(v)) × \(dim)", x: t.x + tableW / 2, y: top - 8, fontSize: 11))
            d.add(D.label("ids 0 … \(grouped(v - 1)) ↓", x: t.x + tableW / 2, y: top + tableH + 15, fontSize: 10))
        }
        // The input row: read as h, written at the end.
        let cy = rowY(centre.word)
        d.add(.rect(x: 40, y: cy - 2, width: tableW, height: 4, style: .init(fill: D.Ink.forward)))
        d.add(D.label("v of ‘\(words[centre.word])’ (id \(centre.word))", x: 116, y: cy - 8, fontSize: 11, anchor: .start))
        d.add(D.box(["h = v_c, the centre ‘\(words[centre.word])’"], x: 170, y: 86, width: 220, height: 30, fill: D.Ink.highlightFill,
                    fontSize: 11.5))
        d.add(D.arrow(from: SVGPoint(110, cy + 2), to: SVGPoint(170, 108), color: D.Ink.forward))
        // The table of targets: one row per output vector.
        let columns: [(String, Double)] = [("output row", 430), ("ℓ", 530), ("s = u·h", 590), ("σ(s)", 665), ("σ(s) − ℓ", 745)]
        let tableTop = 150.0, rowH = 32.0
        for (name, x) in columns { d.add(D.label(name, x: x, y: tableTop - 8, fontSize: 11.5, bold: true)) }
        for (r, t) in targets.enumerated() {
            let y = tableTop + Double(r) * rowH
            let sigma = NegativeSampling.sigmoid(scores[r])
            d.add(.rect(x: 370, y: y, width: 430, height: rowH - 4,
                        style: .init(fill: r == 0 ? D.Ink.operationFill : D.Ink.dataFill, stroke: r == 0 ? D.Ink.forward : "#BBBBBB",
                                     strokeWidth: 1)))
            let cells = ["‘\(words[t.0])’ (id \(t.0))", D.number(t.1), D.number(scores[r], digits: 2), D.number(sigma, digits: 3),
                         D.number(sigma - t.1, digits: 3)]
            for (c, text) in cells.enumerated() {
                d.add(D.label(text, x: columns[c].1, y: y + 19, fontSize: 11.5))
            }
            // The output row this line reads and writes.
            let uy = rowY(t.0)
            d.add(.rect(x: 860, y: uy - 1.5, width: tableW, height: 3, style: .init(fill: r == 0 ? D.Ink.forward : D.Ink.neutral)))
            d.add(.line(x1: 800, y1: y + (rowH - 4) / 2, x2: 860, y2: uy, style: .init(stroke: r == 0 ? D.Ink.forward : "#888888",
                                                                                      strokeWidth: 1)))
        }
        d.add(D.arrow(from: SVGPoint(280, 116), to: SVGPoint(370, tableTop + 10), color: D.Ink.forward))
        let below = tableTop + Double(targets.count) * rowH + 18
        d.add(D.label("L = −log σ(s₀) − Σ log σ(−sₖ) = \(D.number(reference.loss, digits: 3)),   ‖∂L/∂h‖ = \(D.number(gradientNorm, digits: 3))",
                      x: 585, y: below, fontSize: 11.5))
        // The updates.
        let steps: [(String, String)] = [
            ("for each output row, in order: s = u·h,  g = α(ℓ − σ(s)),  e ← e + g·u,  u ← u + g·h   (writes the row)", D.Ink.backward),
            ("then  v_c ← v_c + e  (writes the input row): e = −α ∂L/∂h, so this is exactly SGD on L", D.Ink.backward),
        ]
        for (i, s) in steps.enumerated() {
            d.add(D.label(s.0, x: 150, y: below + 28 + Double(i) * 18, color: s.1, fontSize: 11.5, anchor: .start))
        }
        d.add(D.arrow(from: SVGPoint(146, below + 44), to: SVGPoint(112, cy + 4), color: D.Ink.backward, dashed: true))
        let positive = NegativeSampling.sigmoid(scores[0]), strongest = scores.dropFirst().map(NegativeSampling.sigmoid).max() ?? 0
        let verdict = positive > strongest
            ? "the real pair scores above every noise word"
            : "this pair scores no higher than its noise words (the model has not learned to expect it)"
        d.add(D.label("Scores on the tables the figures' run ends with (seed \(seed), one thread, \(trainer.options.epochs) epochs): "
                      + verdict + ",", x: 490, y: 448, fontSize: 11))
        d.add(D.label("so the step moves u of ‘\(words[e.context])’ by \(D.number(1 - positive, digits: 2))·αh, towards h, and each noise word by "
                      + "−σ(s)·αh, away. Rows go by frequency, id 0 at the top; the other \(grouped(2 * v - 1 - targets.count)) "
                      + "are untouched.", x: 490, y: 464, fontSize: 11))
        return d
    }

    /// Subsampling and the noise distribution on the real counts.
    static func noiseAndSubsampling(_ trainer: Word2VecTrainer) throws -> Diagram {
        typealias D = Diagram
        let words = trainer.vocabulary.words, counts = trainer.vocabulary.counts
        let total = Double(trainer.vocabulary.tokenCount)
        let keep = Subsampler(counts: counts, threshold: trainer.options.sample).keepProbability
        let noise = AliasTable.unigram(counts: counts).probabilities()
        let text = counts.map { Double($0) / total }
        let keptMass = zip(counts, keep).map { Double($0) * $1 }
        let keptTotal = keptMass.reduce(0, +)
        let subsampled = keptMass.map { $0 / keptTotal }
        let series: [(String, [Double], String)] = [
            ("in the text", text, D.Ink.forward), ("after subsampling (expected)", subsampled, "#8FB3E3"),
            ("among the negatives", noise, "#E08E0B"),
        ]

        var d = Diagram(width: 980, height: 440, title: "Subsampling and the unigram^¾ noise both shift weight from frequent words to rare ones")
        // Left: the ten most frequent words.
        let left = 60.0, plotW = 480.0, top = 70.0, plotH = 260.0, bottom = top + plotH
        let top10 = Array(0..<10)
        let yMax = (top10.map { max(text[$0], noise[$0]) }.max()! * 100).rounded(.up) / 100 + 0.005
        func y(_ share: Double) -> Double { bottom - share / yMax * plotH }
        d.add(D.label("The 10 most frequent words: share of tokens", x: left + plotW / 2, y: top - 14, fontSize: 12, bold: true))
        for tick in stride(from: 0.0, through: yMax + 1e-9, by: 0.01) {
            d.add(.line(x1: left, y1: y(tick), x2: left + plotW, y2: y(tick), style: .init(stroke: "#E3E3E3", strokeWidth: 1)))
            d.add(D.label(D.number(tick * 100) + "%", x: left - 6, y: y(tick) + 4, fontSize: 10, anchor: .end))
        }
        let group = plotW / 10, bar = (group - 12) / 3
        for (i, w) in top10.enumerated() {
            let x0 = left + Double(i) * group + 6
            for (k, s) in series.enumerated() {
                d.add(.rect(x: x0 + Double(k) * bar, y: y(s.1[w]), width: bar, height: bottom - y(s.1[w]),
                            style: .init(fill: s.2, crispEdges: true)))
            }
            d.add(D.label(words[w], x: x0 + 1.5 * bar, y: bottom + 15, fontSize: 11.5, bold: true))
            d.add(D.label(D.number(keep[w], digits: 2), x: x0 + 1.5 * bar, y: bottom + 30, fontSize: 10.5))
        }
        d.add(.line(x1: left, y1: bottom, x2: left + plotW, y2: bottom, style: .init(stroke: D.Ink.neutral, strokeWidth: 1)))
        d.add(D.label("p_keep", x: left - 6, y: bottom + 30, fontSize: 10.5, anchor: .end))
        // Legend.
        for (k, s) in series.enumerated() {
            let x = left + [0.0, 110, 320][k]
            d.add(.rect(x: x, y: bottom + 46, width: 12, height: 12, style: .init(fill: s.2)))
            d.add(D.label(s.0, x: x + 18, y: bottom + 56, fontSize: 11, anchor: .start))
        }
        // Right: the shares of four frequency bands, stacked.
        let bands: [(String, Range<Int>)] = [("ranks 1–10", 0..<10), ("11–100", 10..<100), ("101–1,000", 100..<1000),
                                             ("1,001–\(grouped(words.count))", 1000..<words.count)]
        let shades = ["#2B3A55", "#5C6F91", "#9AAAC8", "#D5DCEA"]
        let rightX = 610.0, stackW = 64.0, gap = 22.0
        d.add(D.label("Shares of four frequency bands", x: rightX + 1.5 * (stackW + gap) - gap / 2 + 50, y: top - 14, fontSize: 12, bold: true))
        for (k, s) in series.enumerated() {
            let x = rightX + Double(k) * (stackW + gap)
            var base = bottom
            for (b, band) in bands.enumerated() {
                let share = band.1.reduce(0) { $0 + s.1[$1] }
                let hgt = share * plotH
                d.add(.rect(x: x, y: base - hgt, width: stackW, height: hgt, style: .init(fill: shades[b], stroke: D.Ink.dataFill,
                                                                                          strokeWidth: 1)))
                if hgt > 13 {
                    d.add(.text(D.number(share * 100, digits: 0) + "%", x: x + stackW / 2, y: base - hgt / 2 + 4, anchor: .middle,
                                style: .init(fill: b < 2 ? D.Ink.dataFill : D.Ink.neutral, fontSize: 11)))
                }
                base -= hgt
            }
            d.add(.rect(x: x, y: bottom + 8, width: stackW, height: 5, style: .init(fill: s.2)))
            let lines = ["text", "subsampled", "negatives"]
            d.add(D.label(lines[k], x: x + stackW / 2, y: bottom + 28, fontSize: 11))
        }
        for (b, band) in bands.enumerated() {
            let y0 = top + 10 + Double(b) * 20
            d.add(.rect(x: rightX + 3 * (stackW + gap), y: y0, width: 12, height: 12, style: .init(fill: shades[b])))
            d.add(D.label(band.0, x: rightX + 3 * (stackW + gap) + 18, y: y0 + 10, fontSize: 11, anchor: .start))
        }
        d.add(D.label("p_keep = min(1, √(t/f) + t/f), t = \(D.number(trainer.options.sample, digits: 4));  P_n(w) ∝ count(w)^¾, "
                      + "the alias table's exact probabilities.  \(grouped(words.count)) words, "
                      + "\(grouped(Int(total))) tokens.",
                      x: 490, y: 426, fontSize: 11))
        return d
    }
}

/// 12345 as "12,345", the same on every machine (no locale).
private func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
        out.append(ch)
    }
    return (n < 0 ? "−" : "") + out
}

/// A square bracket opening downwards under [from, to] at height y: ⎣___⎦.
private func bracket(from: Double, to: Double, y: Double, depth: Double, color: String) -> SVGElement {
    .polyline(points: [SVGPoint(from, y - depth), SVGPoint(from, y), SVGPoint(to, y), SVGPoint(to, y - depth)],
              style: .init(stroke: color, strokeWidth: 1.5))
}
