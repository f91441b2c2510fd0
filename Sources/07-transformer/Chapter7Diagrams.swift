// Chapter 7's pictures of ideas, computed with the chapter's own layers (no
// training; the trained model's attention is 07-attention-map.svg):
//
//   07-attention-mechanism.svg  one head of a seeded, untrained GPT reading
//                               "thou art": Q, Kᵀ, the scores QKᵀ/√d with the
//                               causal mask, the softmax rows P, V and Y = PV,
//                               one query's row followed through all of them
//   07-transformer-block.svg    the pre-norm block with the shape of every
//                               edge, as the block's own caches report them
//                               for the baby GPT's sizes, and
//                               the parameters of each sub-layer
//   07-kv-cache.svg             generation with the KV cache: at each step one
//                               new row of K and V is computed and appended,
//                               the earlier rows are reused (checked against
//                               the decoder's logits)

import BackpropCore
import Backpropagation
import Figures
import Foundation
import RecurrentNetworks

extension Chapter7Figures {
    /// Figures that train nothing (quick in a debug build; checked by a test).
    public static func untrained() throws -> [(String, any Figure)] {
        let vocabulary = try CharacterCorpus.shakespeare().vocabulary
        return [("07-attention-mechanism.svg", try attentionMechanism(vocabulary)),
                ("07-transformer-block.svg", try transformerBlock(vocabulary)),
                ("07-kv-cache.svg", try kvCache(vocabulary))]
    }

    /// How a diagram shows a character.
    static func shown(_ c: Character) -> String { c == " " ? "␣" : (c == "\n" ? "⏎" : String(c)) }

    /// 1 → "₁", 12 → "₁₂".
    static func sub(_ n: Int) -> String {
        String(String(n).map { Character(UnicodeScalar(0x2080 + UInt32($0.wholeNumberValue!))!) })
    }

    /// A light-to-dark blue for a probability in [0, 1].
    static func tint(_ p: Double) -> String {
        let q = min(max(p, 0), 1)
        let (r, g, b) = (255 - 145 * q, 255 - 100 * q, 255 - 39 * q)
        return String(format: "#%02X%02X%02X", Int(r.rounded()), Int(g.rounded()), Int(b.rounded()))
    }

    /// Head 0 of block 1 of a seeded GPT (C = 8, 2 heads of d = 4) on "thou art".
    static func attentionMechanism(_ vocabulary: CharacterVocabulary, text: String = "thou art", query: Int = 5) throws -> Diagram {
        typealias D = Diagram
        let model = try GPT<Double>(config: try GPTConfig(vocabulary: vocabulary, context: 8, layers: 1, heads: 2, width: 8), seed: 5,
                                    backend: .naive)
        let tokens = try vocabulary.encode(text), t = tokens.count, c = model.config.width, heads = model.config.heads, d = c / heads
        let block = model.blocks[0]
        // The block's input, x = E[tokens] + P, then LN₁ and the fused projection: qkv [1, T, 3C].
        var x = try model.tokenEmbedding.forward(try Embedding.ids(tokens, shape: [1, t]), mode: .inference).output
        for i in 0..<(t * c) { x.scalars[i] += model.positionEmbedding.value.scalars[i] }
        let qkv = try block.attention.qkv.forward(try block.norm1.forward(x, mode: .inference).output, mode: .inference).output.scalars
        let (y, probabilities) = CausalAttention.forward(qkv, shape: AttentionShape(batch: 1, length: t, heads: heads, width: c), backend: .naive)
        // The same probabilities as the whole model's forward pass.
        let whole = try model.forward(tokens, batch: 1, length: t).cache.attentionProbabilities[0]
        precondition(zip(whole, probabilities).allSatisfy { abs($0 - $1) < 1e-12 }, "attentionMechanism: P differs from the model's")
        func q(_ i: Int, _ e: Int) -> Double { qkv[i * 3 * c + e] }
        func k(_ j: Int, _ e: Int) -> Double { qkv[j * 3 * c + c + e] }
        func v(_ j: Int, _ e: Int) -> Double { qkv[j * 3 * c + 2 * c + e] }
        func p(_ i: Int, _ j: Int) -> Double { probabilities[i * t + j] }
        let score = { (i: Int, j: Int) in (0..<d).reduce(0.0) { $0 + q(i, $1) * k(j, $1) } / Double(d).squareRoot() }
        let chars = Array(text).map(shown)
        let n = { (value: Double) in D.number(value, digits: 2) }

        var diagram = Diagram(width: 980, height: 800, title: "One attention head, step by step, on \"\(text)\" (a seeded, untrained GPT; d = \(d))")
        let cell = 34.0, top1 = 92.0, top2 = 448.0
        func matrix(_ title: String, x: Double, y: Double, rows: Int, columns: Int, rowLabels: [String]?, columnLabels: [String]?,
                    fill: @escaping (Int, Int) -> String?, text: @escaping (Int, Int) -> String?) {
            diagram.add(D.label(title, x: x + Double(columns) * cell / 2, y: y - (columnLabels == nil ? 12 : 28), fontSize: 12, bold: true))
            diagram.add(D.grid(rows: rows, columns: columns, x: x, y: y, cell: cell, fill: fill, text: text, fontSize: 9.5))
            for (r, label) in (rowLabels ?? []).enumerated() {
                diagram.add(D.label(label, x: x - 6, y: y + (Double(r) + 0.5) * cell + 4, fontSize: 12, anchor: .end, bold: r == query))
            }
            for (col, label) in (columnLabels ?? []).enumerated() {
                diagram.add(D.label(label, x: x + (Double(col) + 0.5) * cell, y: y - 8, fontSize: 12))
            }
        }
        let highlight = D.Ink.highlightFill, masked = D.Ink.mutedFill
        matrix("Q  [T, d]", x: 50, y: top1, rows: t, columns: d, rowLabels: chars, columnLabels: nil,
               fill: { r, _ in r == query ? highlight : nil }, text: { r, e in n(q(r, e)) })
        diagram.add(D.label("·", x: 215, y: top1 + 4 * cell + 6, fontSize: 22, bold: true))
        matrix("Kᵀ  [d, T]", x: 240, y: top1, rows: d, columns: t, rowLabels: nil, columnLabels: chars,
               fill: { _, _ in nil }, text: { e, j in n(k(j, e)) })
        diagram.add(D.label("÷ √\(d), mask →", x: 565, y: top1 + 4 * cell + 5, fontSize: 12))
        matrix("S = QKᵀ/√d, then Sᵢⱼ = −∞ for j > i", x: 640, y: top1, rows: t, columns: t, rowLabels: chars, columnLabels: chars,
               fill: { i, j in j > i ? masked : (i == query ? highlight : nil) }, text: { i, j in j > i ? "−∞" : n(score(i, j)) })
        diagram.add(D.label("row: query i,", x: 240, y: top1 + Double(d) * cell + 30, fontSize: 11, anchor: .start))
        diagram.add(D.label("column: key j", x: 240, y: top1 + Double(d) * cell + 46, fontSize: 11, anchor: .start))
        diagram.add(D.label("grey: masked (key after the query)", x: 240, y: top1 + Double(d) * cell + 68, fontSize: 11, anchor: .start))
        diagram.add(D.label("yellow: the query followed below", x: 240, y: top1 + Double(d) * cell + 84, fontSize: 11, anchor: .start))

        matrix("P = softmax of each row of S", x: 50, y: top2, rows: t, columns: t, rowLabels: chars, columnLabels: chars,
               fill: { i, j in j > i ? masked : tint(p(i, j)) }, text: { i, j in j > i ? "0" : n(p(i, j)) })
        diagram.add(.rect(x: 50, y: top2 + Double(query) * cell, width: Double(t) * cell, height: cell,
                          style: .init(fill: "none", stroke: "#E0A800", strokeWidth: 2.5)))
        diagram.add(D.label("×", x: 345, y: top2 + 4 * cell + 6, fontSize: 18, bold: true))
        matrix("V  [T, d]", x: 370, y: top2, rows: t, columns: d, rowLabels: nil, columnLabels: nil,
               fill: { j, _ in j <= query ? tint(p(query, j)) : nil }, text: { j, e in n(v(j, e)) })
        diagram.add(D.label("=", x: 530, y: top2 + 4 * cell + 6, fontSize: 18, bold: true))
        matrix("Y = PV  [T, d]", x: 555, y: top2, rows: t, columns: d, rowLabels: chars, columnLabels: nil,
               fill: { r, _ in r == query ? highlight : nil }, text: { r, e in n(y[r * c + e]) })

        // The followed query, in words and numbers.
        let notesX = 715.0
        let visible = (0...query).map { "\(chars[$0]) \(n(p(query, $0)))" }
        let lines: [(String, String)] = [
            ("Query '\(chars[query])' (position \(query)):", D.Ink.neutral),
            ("it may look at keys 0…\(query) only;", D.Ink.neutral),
            ("the mask zeroes '\(chars[(query + 1)...].joined(separator: "', '"))'.", D.Ink.neutral),
            ("", D.Ink.neutral),
            ("Its softmax row (sums to 1):", D.Ink.forward),
        ] + stride(from: 0, to: visible.count, by: 3).map { (visible[$0..<min($0 + 3, visible.count)].joined(separator: ", "), D.Ink.forward) } + [
            ("", D.Ink.neutral),
            ("Its output is the rows of V", D.Ink.neutral),
            ("weighted by that row (blue tint):", D.Ink.neutral),
            ("y\(sub(query)) = Σⱼ p\(sub(query))ⱼ vⱼ", D.Ink.neutral),
            ("   = (" + (0..<d).map { n(y[query * c + $0]) }.joined(separator: ", ") + ")", D.Ink.neutral),
        ]
        for (i, line) in lines.enumerated() {
            diagram.add(D.label(line.0, x: notesX, y: top2 + 6 + Double(i) * 17, color: line.1, fontSize: 11.5, anchor: .start))
        }
        diagram.add(D.label("Q, K and V are head 0's columns of LN₁(x)·W_qkvᵀ + b_qkv for x = token + position embeddings; P is the same "
                            + "as in the model's own forward pass.", x: 490, y: 770, fontSize: 11))
        diagram.add(D.label("Untrained, the pattern is arbitrary; trained, heads learn where to look (07-attention-map.svg).",
                            x: 490, y: 788, fontSize: 11))
        return diagram
    }

    /// The pre-norm block of the baby GPT, run on one sequence of random
    /// inputs (a batch of 12 would take seconds in a debug build): every shape
    /// is read from the block's caches, its batch dimension written B.
    static func transformerBlock(_ vocabulary: CharacterVocabulary) throws -> Diagram {
        typealias D = Diagram
        let o = GPTRunOptions()
        let (b, t, c, heads) = (1, o.context, o.width, o.heads)
        var rng = SeededRandom(seed: 1)
        let block = try TransformerBlock<Float>(width: c, heads: heads, layers: o.layers, std: 1 / Double(c).squareRoot(), rng: &rng)
        let x = try Tensor<Float>(shape: [b, t, c], scalars: (0..<(b * t * c)).map { _ in Float(rng.normal()) })
        let (z, cache) = try block.forward(x, mode: .inference)
        guard case .library(let ac) = cache.attention.attention else {
            throw TrainingError.invalidOption(name: "attention", value: "replaced", reason: "the diagram reads the library's attention cache")
        }
        let shapes = (
            norm1: cache.norm1.shape, qkv: [b, t, ac.qkv.count / (b * t)],
            scores: [ac.shape.batch, heads, t, ac.probabilities.count / (b * heads * t)],
            attended: cache.attention.attended.shape, norm2: cache.normalized2.shape, hidden: cache.gelu.1.shape, out: z.shape)
        let d = ac.shape.headWidth
        func s(_ shape: [Int]) -> String { "[B, " + shape.dropFirst().map(String.init).joined(separator: ", ") + "]" }
        func count(_ names: [String]) -> String {
            let total = block.namedParameters.filter { names.contains($0.0) }.reduce(0) { $0 + $1.1.value.count }
            return total.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))
        }
        let total = block.parameters.reduce(0) { $0 + $1.value.count }

        // The two branches: (lines, height, parameters) per box, and the shape of each edge out of a box.
        let attention: [([String], Double, String?)] = [
            (["LN₁: normalise each row, × γ + β"], 32, "γ, β [\(c)]: \(count(["ln1.weight", "ln1.bias"]))"),
            (["Linear C → 3C (q, k, v of all heads)"], 32,
             "W_qkv [\(3 * c), \(c)] + b [\(3 * c)] = \(count(["attn.qkv.weight", "attn.qkv.bias"]))"),
            (["split into \(heads) heads: Q, K, V \(s([b, heads, t, d]))", "S = QKᵀ/√\(d), causal mask, softmax:",
              "P \(s(shapes.scores)); Y = PV, heads merged"], 62, nil),
            (["Linear C → C (output projection)"], 32, "W_o [\(c), \(c)] + b [\(c)] = \(count(["attn.proj.weight", "attn.proj.bias"]))"),
        ]
        let mlp: [([String], Double, String?)] = [
            (["LN₂"], 32, "γ, β [\(c)]: \(count(["ln2.weight", "ln2.bias"]))"),
            (["Linear C → 4C (W₁)"], 32, "W₁ [\(4 * c), \(c)] + b₁ [\(4 * c)] = \(count(["mlp.fc.weight", "mlp.fc.bias"]))"),
            (["GELU, elementwise"], 32, nil),
            (["Linear 4C → C (W₂)"], 32, "W₂ [\(c), \(4 * c)] + b₂ [\(c)] = \(count(["mlp.proj.weight", "mlp.proj.bias"]))"),
        ]
        func height(_ boxes: [([String], Double, String?)]) -> Double { boxes.reduce(0) { $0 + $1.1 } + 34 * Double(boxes.count - 1) }
        let top1 = 150.0, plus1 = top1 - 20 + height(attention) + 34, top2 = plus1 + 80, plus2 = top2 - 20 + height(mlp) + 34

        var diagram = Diagram(width: 960, height: plus2 + 110,
                              title: "The pre-norm Transformer block, with the shape of every edge (the baby GPT)")
        let stream = 270.0, branch = 390.0, boxW = 260.0, mid = branch + boxW / 2, shapeX = mid + 10, paramX = branch + boxW + 20
        func add(_ element: SVGElement) { diagram.add(element) }
        add(D.label("B sequences (\(o.training.batch) per training step), T = \(t) characters, C = \(c) channels, \(heads) heads of d = \(d)",
                    x: 480, y: 46, fontSize: 12))
        add(D.box(["x  \(s(x.shape))", "the residual stream"], x: stream - 90, y: 64, width: 180, height: 40, fill: D.Ink.dataFill, fontSize: 11.5))
        // The residual stream, top to bottom, with its two additions.
        add(.line(x1: stream, y1: 104, x2: stream, y2: plus1 - 12, style: .init(stroke: D.Ink.forward, strokeWidth: 4)))
        add(D.arrow(from: SVGPoint(stream, plus1 + 12), to: SVGPoint(stream, plus2 - 12), color: D.Ink.forward, width: 4, headLength: 12))
        for y in [plus1, plus2] {
            add(.circle(cx: stream, cy: y, r: 12, style: .init(fill: D.Ink.dataFill, stroke: D.Ink.neutral, strokeWidth: 1.3)))
            add(D.label("+", x: stream, y: y + 5, fontSize: 15, bold: true))
        }
        add(D.label("u = x + MHA(LN₁(x))", x: stream - 50, y: plus1 + 26, fontSize: 11.5, anchor: .end))
        add(D.label(s(shapes.norm1), x: stream - 50, y: plus1 + 42, fontSize: 11.5, anchor: .end))
        add(D.box(["z = u + MLP(LN₂(u))  \(s(shapes.out))"], x: stream - 130, y: plus2 + 34, width: 260, height: 32, fill: D.Ink.dataFill,
                  fontSize: 11.5))
        add(D.arrow(from: SVGPoint(stream, plus2 + 12), to: SVGPoint(stream, plus2 + 34), color: D.Ink.forward))

        // A branch: boxes down the right, each edge labelled with its shape.
        func branchPath(from top: Double, boxes: [([String], Double, String?)], edgeShapes: [String], into plus: Double, start: String) {
            add(D.arrow(from: SVGPoint(stream, top), to: SVGPoint(branch, top), color: D.Ink.forward))
            add(D.label(start, x: (stream + branch) / 2, y: top - 6, color: D.Ink.forward, fontSize: 10.5))
            var y = top - 20
            for (i, box) in boxes.enumerated() {
                add(D.box(box.0, x: branch, y: y, width: boxW, height: box.1, fontSize: 11.5))
                if let params = box.2 {
                    add(D.label(params, x: paramX, y: y + box.1 / 2 + 4, color: D.Ink.parameter, fontSize: 11, anchor: .start))
                }
                y += box.1
                if i < boxes.count - 1 {
                    add(D.arrow(from: SVGPoint(mid, y), to: SVGPoint(mid, y + 34), color: D.Ink.forward))
                    add(D.label(edgeShapes[i], x: shapeX, y: y + 21, color: D.Ink.forward, fontSize: 11, anchor: .start))
                    y += 34
                }
            }
            // Back into the stream.
            add(.line(x1: mid, y1: y, x2: mid, y2: plus, style: .init(stroke: D.Ink.forward, strokeWidth: 1.5)))
            add(D.arrow(from: SVGPoint(mid, plus), to: SVGPoint(stream + 12, plus), color: D.Ink.forward))
            add(D.label(edgeShapes.last!, x: shapeX, y: y + 21, color: D.Ink.forward, fontSize: 11, anchor: .start))
        }
        branchPath(from: top1, boxes: attention, edgeShapes: [s(shapes.norm1), s(shapes.qkv), s(shapes.attended), s(shapes.attended)],
                   into: plus1, start: "x")
        branchPath(from: top2, boxes: mlp, edgeShapes: [s(shapes.norm2), s(shapes.hidden), s(shapes.hidden), s(shapes.out)],
                   into: plus2, start: "u")
        add(D.label("attention: tokens talk to each other", x: paramX, y: top1 - 30, fontSize: 11.5, anchor: .start, bold: true))
        add(D.label("MLP: each token on its own", x: paramX, y: top2 - 30, fontSize: 11.5, anchor: .start, bold: true))
        add(D.label("parameters (purple): \(total.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))) per block",
                    x: paramX, y: plus2 + 55, color: D.Ink.parameter, fontSize: 11.5, anchor: .start))

        // Backward along the stream: the gradient is copied past each branch.
        add(D.arrow(from: SVGPoint(stream - 40, plus2 + 20), to: SVGPoint(stream - 40, 112), color: D.Ink.backward, dashed: true))
        let red = ["backward (red):", "dx = du + the attention", "branch's gradient;", "du = dz + the MLP", "branch's gradient:",
                   "the stream copies the", "gradient unchanged, and", "each branch adds its", "correction"]
        for (i, line) in red.enumerated() {
            add(D.label(line, x: 20, y: top2 + Double(i) * 16, color: D.Ink.backward, fontSize: 11, anchor: .start))
        }
        add(D.label("LayerNorms sit on the", x: 20, y: top1 + 60, fontSize: 11, anchor: .start))
        add(D.label("branches, never on the", x: 20, y: top1 + 76, fontSize: 11, anchor: .start))
        add(D.label("stream (pre-norm)", x: 20, y: top1 + 92, fontSize: 11, anchor: .start))
        return diagram
    }

    /// Generation with the KV cache on a seeded GPT: per step, the new token's
    /// q, k, v are computed and its k, v appended; the earlier rows are reused.
    static func kvCache(_ vocabulary: CharacterVocabulary) throws -> Diagram {
        let model = try GPT<Double>(config: try GPTConfig(vocabulary: vocabulary, context: 8, layers: 2, heads: 2, width: 8), seed: 5,
                                    backend: .naive)
        let text = "thou art"
        let tokens = try vocabulary.encode(text)
        // The cached decoder and a full forward pass give the same logits (as the tests check).
        var decoder = GPTDecoder(model: model)
        var cached: [[Double]] = []
        for token in tokens { cached.append(try decoder.append(token)) }
        let full = try model.forward(tokens, batch: 1, length: tokens.count).logits.scalars
        let v = vocabulary.count
        let agreement = (0..<tokens.count).map { i in zip(cached[i], full[(i * v)..<((i + 1) * v)]).map { abs($0 - $1) }.max()! }.max()!
        return kvCacheDiagram(text: text, model: model, agreement: agreement)
    }

    /// The drawing of `kvCache`: one column per generation step.
    static func kvCacheDiagram(text: String, model: GPT<Double>, agreement: Double) -> Diagram {
        typealias D = Diagram
        let chars = Array(text).map(shown), steps = chars.count, layers = model.config.layers
        var d = Diagram(width: 980, height: 450, title: "Generation with a KV cache: one new row of K and V per token, the rest reused")
        let column = 116.0, rowH = 15.0, stackW = 34.0, top = 132.0
        for step in 0..<steps {
            let x0 = 30 + Double(step) * column, centre = x0 + 48
            d.add(D.box(["'\(chars[step])'", "position \(step)"], x: x0 + 10, y: 44, width: 76, height: 38,
                        fill: D.Ink.highlightFill, fontSize: 11))
            d.add(D.arrow(from: SVGPoint(centre, 82), to: SVGPoint(centre, top - 20), color: D.Ink.forward))
            d.add(D.label("K", x: x0 + 10 + stackW / 2, y: top - 6, fontSize: 11, bold: true))
            d.add(D.label("V", x: x0 + 52 + stackW / 2, y: top - 6, fontSize: 11, bold: true))
            for left in [x0 + 10, x0 + 52] {
                for row in 0..<steps {
                    let fill = row < step ? D.Ink.mutedFill : (row == step ? D.Ink.highlightFill : D.Ink.dataFill)
                    d.add(.rect(x: left, y: top + Double(row) * rowH, width: stackW, height: rowH,
                                style: .init(fill: fill, stroke: row <= step ? "#999999" : "#DDDDDD", strokeWidth: 0.8,
                                             dash: row > step ? [2, 2] : nil)))
                    if row <= step {
                        d.add(D.label(row == step ? "new" : chars[row], x: left + stackW / 2, y: top + Double(row) * rowH + 11,
                                      fontSize: row == step ? 9 : 10))
                    }
                }
            }
            let bottom = top + Double(steps) * rowH
            d.add(D.label("q\(sub(step)) · k₀…k\(sub(step)):", x: centre, y: bottom + 20, color: D.Ink.forward, fontSize: 10.5))
            d.add(D.label("\(step + 1) score\(step == 0 ? "" : "s") per head", x: centre, y: bottom + 35, color: D.Ink.forward, fontSize: 10.5))
        }
        // What one step costs, at the baby GPT's size.
        let baby = try? GPTConfig(vocabulary: model.config.vocabulary)
        var y = 330.0
        let notes: [(String, String, Bool)] = [
            ("yellow: computed at this step (the new token's k and v, one row through every weight matrix), then appended", D.Ink.neutral, false),
            ("grey: read from the cache, never recomputed: the mask guarantees that earlier positions never see later ones, so their k, v never change",
             D.Ink.neutral, false),
            ("The cache holds such a K and V for each of the model's \(layers) blocks. Drawn from a seeded GPT (C = 8, 2 heads) fed \"\(text)\" "
                + "one character at a time:", D.Ink.neutral, false),
            ("its logits after every token match those of a full forward pass over the prefix "
                + (agreement == 0 ? "exactly (in Double)." : "to within \(String(format: "%.0e", agreement)) (in Double)."), D.Ink.neutral, false),
        ]
        for note in notes {
            d.add(D.label(note.0, x: 30, y: y, color: note.1, fontSize: 11.5, anchor: .start, bold: note.2))
            y += 19
        }
        if let baby {
            let (c, l, v, t) = (baby.width, baby.layers, baby.vocabulary.count, baby.context)
            let withCache = l * 12 * c * c + v * c + l * 2 * t * c
            let without = baby.forwardMultiplyAdds(length: t)
            func f(_ n: Int) -> String { n.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US"))) }
            d.add(D.label("At the baby GPT's size (C = \(c), L = \(l), context \(t)), the token at position \(t - 1) costs \(f(withCache)) "
                          + "multiply-adds with the cache,", x: 30, y: y + 8, color: D.Ink.forward, fontSize: 11.5, anchor: .start))
            d.add(D.label("against \(f(without)) for a full forward pass over the \(t) tokens: \(String(format: "%.0f", Double(without) / Double(withCache))) "
                          + "times less work per generated token.", x: 30, y: y + 27, color: D.Ink.forward, fontSize: 11.5, anchor: .start))
        }
        return d
    }
}
