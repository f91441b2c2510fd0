// The figures of chapters/08-tokens-and-the-modern-llm.md, computed with the
// chapter's own code. The four diagrams train nothing (quick in a debug
// build; a test compares them with the committed files); the one plot trains
// BPEs on tinyshakespeare (`backprop figures --chapter 8`, release build):
//
//   08-bpe-merges.svg       BPE by hand and by the code: the corpus
//                           "aaabdaaabac" after each merge BPETrainer learns
//                           (the hand-worked example of BPETrainerTests), and
//                           a word built from its bytes into one token by
//                           GPT-2's merges, one merge per row, as
//                           BytePairMerger applies them (checked against encode)
//   08-rope-rotation.svg    RoPE on a head of width 8: each pair of features
//                           turning with the position at its own frequency;
//                           a query and a key whose dot product depends only
//                           on m − n; how far each pair of the chapter's
//                           model turns within its training context
//   08-gqa-sharing.svg      4 query heads reading 4, 2 or 1 key/value heads
//                           (the layer's own head mapping), with the KV cache
//                           per position of the chapter's model, computed by
//                           the formula and measured on a filled decoder cache
//   08-lora.svg             the frozen projection and the side path s·B A of
//                           the chapter's fine-tuning, its parameter counts
//                           read from the model, and merging checked
//   08-bpe-compression.svg  bytes per token on held-out Shakespeare against
//                           the vocabulary size, with and without GPT-2's
//                           pre-tokenization, and GPT-2's own tokenizer

import BackpropCore
import Backpropagation
import Figures
import Foundation

public enum Chapter8Figures {
    /// Figures that train nothing (quick in a debug build; checked by a test).
    public static func untrained() throws -> [(String, any Figure)] {
        [("08-bpe-merges.svg", try bpeMerges()), ("08-rope-rotation.svg", try ropeRotation()),
         ("08-gqa-sharing.svg", try gqaSharing()), ("08-lora.svg", try loraSidePath())]
    }

    /// Figures that train BPEs on all of tinyshakespeare (build with -c release).
    public static func trained() throws -> [(String, any Figure)] {
        [("08-bpe-compression.svg", try compressionPlot(split: try TextSplit.shakespeare()))]
    }

    /// The vocabulary of the chapter's model: its BPE's 256 bytes and merges, and the special token.
    static var chapterVocabulary: Int { (LlamaRunOptions().vocabularySize ?? 512) + BPETrainingOptions().specialTokens.count }

    static func grouped(_ n: Int) -> String { n.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US"))) }

    /// How a diagram shows a token's bytes: space as "␣", line feed as "⏎".
    static func shown(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: " ", with: "␣").replacingOccurrences(of: "\n", with: "⏎")
    }

    // MARK: - BPE, merge by merge

    /// The hand-worked corpus of BPETrainerTests.
    public static let handCorpus = "aaabdaaabac"

    /// The word built token by token in the second panel.
    public static let builtWord = " brother"

    /// The training text after each merge: merge k replaces every occurrence
    /// of its pair, left to right (what training does; the trainer's own
    /// count of tokens at the end is checked against the last row).
    static func trainingRows(_ text: String, merges: [BPETokenizer.Merge]) -> [[Int]] {
        var rows = [text.utf8.map(Int.init)]
        for (k, m) in merges.enumerated() {
            let row = rows.last!
            var out: [Int] = [], i = 0
            while i < row.count {
                if i + 1 < row.count, row[i] == m.left, row[i + 1] == m.right { out.append(256 + k); i += 2 } else { out.append(row[i]); i += 1 }
            }
            rows.append(out)
        }
        return rows
    }

    /// One word encoded by `bpe`, one merge per row: the adjacent pair whose
    /// merge has the lowest rank (the lowest merged id), leftmost on a tie,
    /// BytePairMerger's rule. The last row is checked against `bpe.encode`.
    static func encodingRows(_ word: String, bpe: ByteLevelBPE) throws -> [[UInt32]] {
        var symbols = Array(word.utf8).map { bpe.byteTokens[Int($0)] }
        var rows = [symbols]
        while symbols.count > 1 {
            var best = UInt32.max, at = -1
            for i in 0..<(symbols.count - 1) {
                if let z = bpe.merges.merged(symbols[i], symbols[i + 1]), z < best { (best, at) = (z, i) }
            }
            if at < 0 { break }
            symbols[at] = best
            symbols.remove(at: at + 1)
            rows.append(symbols)
        }
        guard symbols.map(Int.init) == bpe.encode(word) else {
            throw TokenizerError.invalid("bpeMerges: the replayed merges of \(word.debugDescription) differ from encode")
        }
        return rows
    }

    /// 08-bpe-merges.svg
    static func bpeMerges() throws -> Diagram {
        typealias D = Diagram
        let (bpe, report) = try BPETrainer.train(handCorpus, options: BPETrainingOptions(vocabularySize: 300, preTokenization: .none))
        let rows = trainingRows(handCorpus, merges: bpe.merges)
        guard rows.last!.count == report.tokens, rows.last! == bpe.encode(handCorpus) else {
            throw TokenizerError.invalid("bpeMerges: the replayed training differs from the trainer's")
        }
        let gpt2 = try GPT2Tokenizer.bundled()
        let built = try encodingRows(builtWord, bpe: gpt2.bpe)

        var d = Diagram(width: 980, height: 300 + Double(built.count) * 40,
                        title: "Byte-pair encoding: the most frequent pair becomes a new token, merge after merge")
        // Panel 1: training on the hand-worked corpus.
        let letters = ["Z", "Y", "X", "W", "V"]
        func name(_ id: Int) -> String { id < 256 ? String(UnicodeScalar(UInt8(id))) : letters[id - 256] }
        func spelled(_ id: Int) throws -> String { String(decoding: try bpe.bytes(of: id), as: UTF8.self) }
        d.add(D.label("Training on \"\(handCorpus)\" (no pre-tokenization): the merges BPETrainer learns, and the text after each",
                      x: 30, y: 52, fontSize: 13, anchor: .start, bold: true))
        let cell = 34.0, left = 150.0
        for (r, row) in rows.enumerated() {
            let y = 66 + Double(r) * 44
            d.add(D.label(r == 0 ? "bytes" : "after merge \(r - 1)", x: left - 12, y: y + 22, fontSize: 12, anchor: .end))
            let fresh = r == 0 ? -1 : 256 + r - 1
            d.add(D.grid(rows: 1, columns: row.count, x: left, y: y, cell: cell,
                         fill: { _, c in row[c] == fresh ? D.Ink.highlightFill : (row[c] >= 256 ? D.Ink.operationFill : nil) },
                         text: { _, c in name(row[c]) }, fontSize: 13))
            let note: String
            if r == 0 {
                let counts = report.mergeCounts
                note = "most frequent pair: a a (\(counts[0]) times; \"aaa\" holds two, overlapping)"
            } else {
                let m = bpe.merges[r - 1]
                note = "(\(name(m.left)), \(name(m.right))) → \(name(256 + r - 1)) = \"\(try spelled(256 + r - 1))\", id \(256 + r - 1), "
                    + "seen \(report.mergeCounts[r - 1])×;  \(row.count) tokens"
            }
            d.add(D.label(note, x: left + 11 * cell + 20, y: y + 22, color: r == 0 ? D.Ink.neutral : D.Ink.forward, fontSize: 12, anchor: .start))
        }
        let y1 = 66 + Double(rows.count) * 44
        d.add(D.label("Merge 1 is a tie at 2 between (Z, a) and (a, b); the rule takes the smaller ids, left first: (97, 98) = \"ab\". "
                      + "After merge 2 no pair occurs twice, so training stops.", x: 30, y: y1 + 4, fontSize: 11.5, anchor: .start))

        // Panel 2: encoding one word with GPT-2's merges.
        let top = y1 + 44
        d.add(D.label("Encoding \"\(builtWord)\" with GPT-2's 50,000 merges: the adjacent pair of lowest rank merges first, one merge per row",
                      x: 30, y: top, fontSize: 13, anchor: .start, bold: true))
        let wide = 80.0
        for (r, row) in built.enumerated() {
            let y = top + 14 + Double(r) * 40
            let texts = try row.map { shown(Array(try gpt2.bpe.bytes(of: Int($0)))) }
            var newIndex = -1
            if r > 0 {
                // The merged token is the one that was not in the previous row at its place.
                let previous = built[r - 1]
                newIndex = (0..<row.count).first { row[$0] != previous[$0] } ?? -1
            }
            d.add(D.label(r == 0 ? "bytes" : "merge \(r)", x: left - 12, y: y + 20, fontSize: 12, anchor: .end))
            for c in 0..<row.count {
                let x = left + Double(c) * wide
                d.add(.rect(x: x, y: y, width: wide - 6, height: 30,
                            style: .init(fill: c == newIndex ? D.Ink.highlightFill : D.Ink.dataFill, stroke: "#999999", strokeWidth: 0.8)))
                d.add(D.label(texts[c], x: x + (wide - 6) / 2, y: y + 14, fontSize: 13))
                d.add(D.label("\(row[c])", x: x + (wide - 6) / 2, y: y + 27, color: D.Ink.parameter, fontSize: 9.5))
            }
            if newIndex >= 0 {
                d.add(D.label("rank \(Int(row[newIndex]) - 256): \"\(texts[newIndex])\"", x: left + 8 * wide + 16, y: y + 20,
                              color: D.Ink.forward, fontSize: 12, anchor: .start))
            }
        }
        let bottom = top + 14 + Double(built.count) * 40
        d.add(D.label("Ids (purple) are GPT-2's: a byte's id comes from the byte-to-unicode table (space is Ġ, id 220), a merge's id is 256 + its rank.",
                      x: 30, y: bottom + 12, fontSize: 11.5, anchor: .start))
        d.add(D.label("The last row is what GPT2Tokenizer.encode returns, and tiktoken's id for \"\(builtWord)\".",
                      x: 30, y: bottom + 30, fontSize: 11.5, anchor: .start))
        d.height = bottom + 46
        return d
    }

    // MARK: - RoPE

    /// 08-rope-rotation.svg
    static func ropeRotation() throws -> Diagram {
        typealias D = Diagram
        let d8 = 8, half = d8 / 2, positions = 8
        let rope = try RotaryEmbedding<Double>(headWidth: d8, positions: 64, backend: .naive)
        // One vector, the same at every position: each pair starts at (1, 0).
        var x = [Double](repeating: 0, count: d8)
        for i in 0..<half { x[i] = 1 }
        let input = try Tensor<Double>(shape: [1, positions, d8], scalars: Array((0..<positions).map { _ in x }.joined()))
        let rotated = try rope.forward(input, offset: 0).output.scalars
        func pair(_ p: Int, _ i: Int, _ v: [Double]) -> (Double, Double) { (v[p * d8 + i], v[p * d8 + i + half]) }

        var d = Diagram(width: 980, height: 820, title: "Rotary position embeddings: each pair of a query's or key's features turns with the position")
        d.add(D.label("1. The same vector at positions 0…\(positions - 1) of a head of width d = \(d8): pair i = (x[i], x[i + \(half)]) turns by p·θᵢ, "
                      + "θᵢ = 10000^(−2i/d)", x: 30, y: 52, fontSize: 13, anchor: .start, bold: true))
        let radius = 80.0
        for i in 0..<half {
            let cx = 130 + Double(i) * 240, cy = 175.0
            d.add(.circle(cx: cx, cy: cy, r: radius, style: .init(fill: "none", stroke: "#BBBBBB", strokeWidth: 1)))
            d.add(.line(x1: cx - radius - 8, y1: cy, x2: cx + radius + 8, y2: cy, style: .init(stroke: "#DDDDDD", strokeWidth: 0.8)))
            d.add(.line(x1: cx, y1: cy - radius - 8, x2: cx, y2: cy + radius + 8, style: .init(stroke: "#DDDDDD", strokeWidth: 0.8)))
            for p in 0..<positions {
                let (a, b) = pair(p, i, rotated)
                let px = cx + radius * a, py = cy - radius * b
                let shade = 0.25 + 0.75 * Double(p) / Double(positions - 1)
                d.add(.circle(cx: px, cy: py, r: 5, style: .init(fill: D.Ink.forward, stroke: "none", opacity: shade)))
                if i == 0 || p == positions - 1 {
                    d.add(D.label("\(p)", x: cx + (radius + 16) * a, y: cy - (radius + 16) * b + 4, fontSize: 10.5))
                }
            }
            let theta = rope.frequencies[i]
            d.add(D.label("pair \(i): θ\(sub(i)) = \(D.number(theta, digits: 4)) rad", x: cx, y: cy + radius + 30, fontSize: 12, bold: true))
            d.add(D.label("position 7: \(D.number(7 * theta * 180 / .pi, digits: 1))°", x: cx, y: cy + radius + 46, fontSize: 11))
        }

        // 2. Relative position: a query and a key at (m, n), full vectors, seeded.
        let top2 = 340.0
        d.add(D.label("2. ⟨R(m)q, R(n)k⟩ depends on m − n only: the same seeded q and k (d = \(d8)) placed at different positions",
                      x: 30, y: top2, fontSize: 13, anchor: .start, bold: true))
        var rng = SeededRandom(seed: 8)
        let q = (0..<d8).map { _ in rng.normal() }, k = (0..<d8).map { _ in rng.normal() }
        func at(_ v: [Double], _ p: Int) throws -> [Double] {
            try rope.forward(try Tensor<Double>(shape: [1, 1, d8], scalars: v), offset: p).output.scalars
        }
        let placements = [(2, 0), (5, 3), (9, 7), (40, 38), (5, 0), (9, 4)]
        let small = 52.0
        for (j, (m, n)) in placements.enumerated() {
            let qm = try at(q, m), kn = try at(k, n)
            let dot = zip(qm, kn).reduce(0) { $0 + $1.0 * $1.1 }
            let cx = 90 + Double(j) * 150, cy = top2 + 90
            d.add(.circle(cx: cx, cy: cy, r: small, style: .init(fill: "none", stroke: "#BBBBBB", strokeWidth: 1)))
            // Pair 0 of each, normalised to the circle.
            for (v, color, label) in [(qm, D.Ink.forward, "q"), (kn, D.Ink.backward, "k")] {
                let (a, b) = (v[0], v[half]), r = (a * a + b * b).squareRoot()
                d.add(D.arrow(from: SVGPoint(cx, cy), to: SVGPoint(cx + small * a / r, cy - small * b / r), color: color, width: 2))
                d.add(D.label(label, x: cx + (small + 10) * a / r, y: cy - (small + 10) * b / r + 4, color: color, fontSize: 11, bold: true))
            }
            d.add(D.label("m = \(m), n = \(n)", x: cx, y: cy + small + 24, fontSize: 12, bold: true))
            d.add(D.label("m − n = \(m - n)", x: cx, y: cy + small + 40, fontSize: 11.5))
            d.add(D.label("q·k = \(D.number(dot, digits: 6))", x: cx, y: cy + small + 56, color: m - n == 2 ? D.Ink.forward : D.Ink.neutral,
                          fontSize: 11.5))
        }
        d.add(D.label("Arrows: pair 0 of the rotated q (blue) and k (red). The full dot products (all four pairs) are equal whenever m − n is: "
                      + "rotations compose, R(m)ᵀR(n) = R(n − m).", x: 30, y: top2 + 225, fontSize: 11.5, anchor: .start))

        // 3. How far each pair of the chapter's model turns within its context.
        let top3 = top2 + 270
        let config = try LlamaConfig(vocabularySize: chapterVocabulary)
        let model = try RotaryEmbedding<Double>(headWidth: config.headWidth, positions: 1, base: config.ropeBase, backend: .naive)
        let span = Double(config.context - 1)
        d.add(D.label("3. The chapter's model (d = \(config.headWidth), context \(config.context) tokens): the angle pair i sweeps over positions "
                      + "0…\(config.context - 1), in turns", x: 30, y: top3, fontSize: 13, anchor: .start, bold: true))
        let barW = 48.0, baseY = top3 + 120, scale = 30.0
        for (i, theta) in model.frequencies.enumerated() {
            let turns = span * theta / (2 * .pi)
            let h = min(turns, 3) * scale
            let x = 40 + Double(i) * (barW + 4)
            d.add(.rect(x: x, y: baseY - h, width: barW, height: h,
                        style: .init(fill: turns >= 1 ? D.Ink.forward : D.Ink.highlightFill, stroke: D.Ink.neutral, strokeWidth: 0.6)))
            d.add(D.label(turns >= 3 ? "\(D.number(turns, digits: 1))↑" : D.number(turns, digits: turns < 0.01 ? 4 : 2),
                          x: x + barW / 2, y: baseY - h - 5, fontSize: 10))
            d.add(D.label("\(i)", x: x + barW / 2, y: baseY + 14, fontSize: 10.5))
        }
        d.add(.line(x1: 36, y1: baseY - scale, x2: 40 + 16 * (barW + 4), y2: baseY - scale,
                    style: .init(stroke: D.Ink.backward, strokeWidth: 1, dash: [4, 3])))
        d.add(D.label("one turn", x: 44 + 16 * (barW + 4), y: baseY - scale + 4, color: D.Ink.backward, fontSize: 11, anchor: .start))
        let complete = model.frequencies.filter { span * $0 >= 2 * .pi }.count
        d.add(D.label("pair i", x: 40 + 8 * (barW + 4), y: baseY + 30, fontSize: 11))
        d.add(D.label("Pairs 0…\(complete - 1) (blue) turn through every angle during training; pairs \(complete)…\(config.headWidth / 2 - 1) (yellow) "
                      + "see only part of their circle,", x: 30, y: baseY + 52, fontSize: 11.5, anchor: .start))
        d.add(D.label("so a distance longer than the context gives them angles the model was never trained on.",
                      x: 30, y: baseY + 70, fontSize: 11.5, anchor: .start))
        return d
    }

    /// 1 → "₁", 12 → "₁₂".
    static func sub(_ n: Int) -> String {
        String(String(n).map { Character(UnicodeScalar(0x2080 + UInt32($0.wholeNumberValue!))!) })
    }

    // MARK: - Grouped-query attention

    /// 08-gqa-sharing.svg
    static func gqaSharing() throws -> Diagram {
        typealias D = Diagram
        let base = try LlamaConfig(vocabularySize: chapterVocabulary)
        var d = Diagram(width: 980, height: 530, title: "Query heads sharing key/value heads: multi-head, grouped-query and multi-query attention")
        let panelW = 320.0
        for (j, (kvHeads, name)) in [(base.heads, "multi-head (MHA)"), (base.kvHeads, "grouped-query (GQA)"), (1, "multi-query (MQA)")].enumerated() {
            let config = try LlamaConfig(vocabularySize: chapterVocabulary, context: base.context, layers: base.layers, width: base.width, heads: base.heads,
                                         kvHeads: kvHeads)
            var rng = SeededRandom(seed: 1)
            let attention = try GroupedQueryAttention<Float>(width: config.width, heads: config.heads, kvHeads: kvHeads,
                                                              positions: config.context, rng: &rng)
            // The KV cache measured: a decoder's cache after a prefill of 16 tokens.
            let model = try Llama<Float>(config: config, seed: 1)
            var cache = model.makeDecodingCache(cached: true)
            _ = try model.prefill(Array(0..<16), cache: &cache)
            let measured = cache.storedScalars * MemoryLayout<Float>.stride / cache.count
            let formula = config.kvCacheScalars(length: 1) * 4

            let x0 = 20 + Double(j) * panelW, centre = x0 + panelW / 2 - 10
            d.add(D.label("\(name): H = \(config.heads), H_kv = \(kvHeads)", x: centre, y: 60, fontSize: 13, bold: true))
            let qW = 62.0, qGap = 10.0, qLeft = centre - (Double(config.heads) * (qW + qGap) - qGap) / 2
            let kvW = 62.0, kvGap = Double(config.heads) * (qW + qGap) / Double(kvHeads) - kvW
            let kvLeft = centre - (Double(kvHeads) * (kvW + kvGap) - kvGap) / 2
            for h in 0..<config.heads {
                let g = attention.kvHead(forQueryHead: h)
                let qx = qLeft + Double(h) * (qW + qGap) + qW / 2, kx = kvLeft + Double(g) * (kvW + kvGap) + kvW / 2
                d.add(.line(x1: qx, y1: 120, x2: kx, y2: 190, style: .init(stroke: D.Ink.forward, strokeWidth: 1.6)))
                d.add(D.box(["q\(sub(h))"], x: qx - qW / 2, y: 86, width: qW, height: 34, fill: D.Ink.operationFill, fontSize: 12))
            }
            for g in 0..<kvHeads {
                let kx = kvLeft + Double(g) * (kvW + kvGap)
                d.add(D.box(["k\(sub(g)), v\(sub(g))"], x: kx, y: 190, width: kvW, height: 34, fill: D.Ink.highlightFill, fontSize: 12))
            }
            let kvParams = attention.key.weight.value.count + attention.value.weight.value.count
            let lines: [(String, String)] = [
                ("query head h reads kv head ⌊h / \(config.heads / kvHeads)⌋", D.Ink.neutral),
                ("W_k, W_v: \(grouped(kvParams)) parameters per block", D.Ink.parameter),
                ("KV cache per position (Float):", D.Ink.neutral),
                ("2·L·H_kv·d·4 = 2·\(config.layers)·\(kvHeads)·\(config.headWidth)·4 = \(grouped(formula)) B", D.Ink.forward),
                ("measured in a filled decoder cache: \(grouped(measured)) B", D.Ink.forward),
                ("for a full context of \(config.context): \(D.number(Double(formula * config.context) / 1024, digits: 0)) KiB", D.Ink.neutral),
            ]
            for (i, line) in lines.enumerated() {
                d.add(D.label(line.0, x: centre, y: 262 + Double(i) * 20, color: line.1, fontSize: 11.5))
            }
            if j > 0 {
                d.add(.line(x1: x0 - 5, y1: 45, x2: x0 - 5, y2: 390, style: .init(stroke: "#DDDDDD", strokeWidth: 1)))
            }
        }
        let notes = [
            "The chapter's model: L = \(base.layers) blocks, C = \(base.width), H = \(base.heads) query heads of d = \(base.headWidth). "
                + "Each query head keeps its own W_q rows and its own attention pattern;",
            "the heads of a group share the keys and values they read. Generation stores only the H_kv heads, so the cache, and the "
                + "memory read at every step,",
            "shrink by the factor H/H_kv.",
            "Lines follow GroupedQueryAttention.kvHead(forQueryHead:); the measured bytes are LlamaKVCache.storedScalars after a prefill "
                + "of 16 tokens, × 4, ÷ positions.",
        ]
        for (i, note) in notes.enumerated() { d.add(D.label(note, x: 30, y: 430 + Double(i) * 20, fontSize: 11.5, anchor: .start)) }
        return d
    }

    // MARK: - LoRA

    /// 08-lora.svg
    static func loraSidePath() throws -> Diagram {
        typealias D = Diagram
        let rank = 4, alpha = 8.0
        let config = try LlamaConfig(vocabularySize: chapterVocabulary)
        let model = try Llama<Double>(config: config, seed: 1, backend: .naive)
        let total = model.parameterCount
        try model.addLoRA(rank: rank, alpha: alpha, targets: [.query, .value], seed: 1)
        let trainable = model.loraParameters.reduce(0) { $0 + $1.parameter.value.count }
        let attention = model.blocks[0].attention
        let adapter = attention.adapters[.query]!
        let (n, m) = (adapter.inputs, adapter.outputs)
        let valueAdapter = attention.adapters[.value]!

        // Merging keeps the function: give B seeded values, compare W x + s·B A x with (W + s·B A) x.
        var rng = SeededRandom(seed: 2)
        let w = attention.query.weight.value
        let b = try Tensor<Double>(shape: adapter.b.value.shape, scalars: adapter.b.value.scalars.map { _ in 0.01 * rng.normal() })
        let probe = try LoRAAdapter<Double>(a: adapter.a.value, b: b, alpha: alpha, backend: .naive)
        let x = try Tensor<Double>(shape: [3, n], scalars: (0..<(3 * n)).map { _ in rng.normal() })
        let side = try Tensor.matmul(x, w, .nt, backend: .naive).adding(try probe.forward(x).output, backend: .naive)
        let merged = try Tensor.matmul(x, try w.adding(try probe.update(), backend: .naive), .nt, backend: .naive)
        let gap = zip(side.scalars, merged.scalars).map { abs($0 - $1) }.max()!

        var d = Diagram(width: 980, height: 560, title: "LoRA: a frozen projection W and a trainable low-rank side path s·B A")
        // x on the left, two paths, a sum, y on the right.
        let midY = 200.0
        d.add(D.box(["x  [n, \(n)]"], x: 30, y: midY - 20, width: 110, height: 40, fill: D.Ink.dataFill, fontSize: 12))
        // Frozen W.
        d.add(D.arrow(from: SVGPoint(140, midY), to: SVGPoint(250, 110), color: D.Ink.forward))
        d.add(D.box(["W  [\(m), \(n)]", "frozen: \(grouped(m * n)) scalars"], x: 250, y: 80, width: 230, height: 60, fill: D.Ink.mutedFill, fontSize: 12))
        d.add(D.arrow(from: SVGPoint(480, 110), to: SVGPoint(688, midY - 12), color: D.Ink.forward))
        d.add(D.label("x Wᵀ", x: 590, y: 140, color: D.Ink.forward, fontSize: 12))
        // Side path.
        d.add(D.arrow(from: SVGPoint(140, midY), to: SVGPoint(200, 290), color: D.Ink.parameter))
        d.add(D.box(["A  [\(rank), \(n)]", "\(grouped(rank * n)), random"], x: 200, y: 265, width: 140, height: 50, fill: D.Ink.operationFill, fontSize: 12))
        d.add(D.arrow(from: SVGPoint(340, 290), to: SVGPoint(390, 290), color: D.Ink.parameter))
        d.add(D.label("r = \(rank)", x: 365, y: 280, color: D.Ink.parameter, fontSize: 11))
        d.add(D.box(["B  [\(m), \(rank)]", "\(grouped(m * rank)), zero at first"], x: 390, y: 265, width: 150, height: 50, fill: D.Ink.operationFill, fontSize: 12))
        d.add(D.arrow(from: SVGPoint(540, 290), to: SVGPoint(580, 290), color: D.Ink.parameter))
        d.add(D.box(["× s = α/r = \(D.number(adapter.scale))"], x: 580, y: 272, width: 110, height: 36, fill: D.Ink.dataFill, fontSize: 12))
        d.add(D.arrow(from: SVGPoint(690, 280), to: SVGPoint(702, midY + 14), color: D.Ink.parameter))
        d.add(.circle(cx: 705, cy: midY, r: 14, style: .init(fill: D.Ink.dataFill, stroke: D.Ink.neutral, strokeWidth: 1.3)))
        d.add(D.label("+", x: 705, y: midY + 5, fontSize: 16, bold: true))
        d.add(D.arrow(from: SVGPoint(719, midY), to: SVGPoint(790, midY), color: D.Ink.forward))
        d.add(D.box(["y  [n, \(m)]"], x: 790, y: midY - 20, width: 110, height: 40, fill: D.Ink.dataFill, fontSize: 12))
        d.add(D.label("y = x Wᵀ + s·(x Aᵀ) Bᵀ", x: 845, y: midY + 46, fontSize: 12))
        d.add(D.label("trainable: r(in + out) = \(grouped(rank * (n + m)))", x: 370, y: 345, color: D.Ink.parameter, fontSize: 12))
        d.add(D.label("instead of in·out = \(grouped(n * m))", x: 370, y: 363, color: D.Ink.parameter, fontSize: 12))

        let lines: [(String, String)] = [
            ("The chapter's fine-tuning: r = \(rank), α = \(D.number(alpha)), adapters on W_q (\(m) × \(n)) and W_v (\(valueAdapter.outputs) × \(n)) "
                + "of all \(config.layers) blocks:", D.Ink.neutral),
            ("\(config.layers) × (\(grouped(adapter.a.value.count + adapter.b.value.count)) + \(grouped(valueAdapter.a.value.count + valueAdapter.b.value.count))) "
                + "= \(grouped(trainable)) trainable scalars of \(grouped(total)) (\(String(format: "%.1f", 100 * Double(trainable) / Double(total)))%); "
                + "AdamW's two moments shrink by the same factor.", D.Ink.parameter),
            ("B = 0 at the start, so the adapted model begins as the base model; A is random so that B's first gradient is not zero.", D.Ink.neutral),
            ("Serving: merge once, W′ = W + s·B A, and drop the side path. For W_q of block 1 with a seeded B, x W′ᵀ and x Wᵀ + s·(x Aᵀ)Bᵀ differ by at most "
                + String(format: "%.0e", gap) + " (Double).", D.Ink.forward),
        ]
        for (i, line) in lines.enumerated() { d.add(D.label(line.0, x: 30, y: 420 + Double(i) * 24, color: line.1, fontSize: 11.5, anchor: .start)) }
        return d
    }

    // MARK: - Compression

    /// Bytes per token on `split.heldOut` for BPEs of each size, with and
    /// without pre-tokenization, and GPT-2's tokenizer. One training run per
    /// mode: training is greedy, so the first k merges of the largest BPE are
    /// the BPE of 256 + k tokens.
    public static func compressionPlot(split: TextSplit, sizes: [Int] = [256, 320, 384, 512, 768, 1024, 1536, 2048, 3072, 4352]) throws -> LinePlot {
        var series: [LinePlot.Series] = []
        let bytes = Double(split.heldOut.utf8.count)
        for mode in PreTokenization.allCases {
            let (largest, _) = try BPETrainer.train(split.train, options: BPETrainingOptions(vocabularySize: sizes.max()!, preTokenization: mode))
            var x: [Double] = [], y: [Double] = []
            for size in sizes where size - 256 <= largest.merges.count {
                let bpe = try BPETokenizer(merges: Array(largest.merges.prefix(size - 256)), specialTokens: largest.specialTokens, preTokenization: mode)
                x.append(Double(size))
                y.append(bytes / Double(bpe.encode(split.heldOut).count))
            }
            series.append(.init(name: mode == .gpt2 ? "BPE, GPT-2's pre-tokenization" : "BPE, no pre-tokenization", x: x, y: y))
        }
        let gpt2 = bytes / Double(try GPT2Tokenizer.bundled().encode(split.heldOut).count)
        let xs = [Double(sizes.min()!), Double(sizes.max()!)]
        series.append(.init(name: String(format: "GPT-2's 50,257 tokens: %.2f", gpt2), x: xs, y: [gpt2, gpt2], dashed: true))
        return LinePlot(title: "Compression on held-out Shakespeare: BPEs trained on the first 90%", xLabel: "vocabulary size (256 bytes + merges)",
                        yLabel: "UTF-8 bytes per token", series: series, width: 820, height: 420)
    }
}
