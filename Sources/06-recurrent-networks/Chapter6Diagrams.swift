// Chapter 6's pictures of ideas, computed with the chapter's own layers on
// real characters of tinyshakespeare (no training: seeded, untrained models).
//
//   06-unrolled-rnn.svg   an Elman RNN unrolled over the seven characters
//                         "Citizen": the same weights at every step, the loss
//                         of each next-character prediction, and BPTT's
//                         backward path with the size of the total gradient
//                         ‖δh_t‖ reaching each hidden state (from
//                         `backwardTimeMajor`'s observer)
//   06-lstm-cell.svg      one step of an LSTM cell (H = 3) reading 'i' after
//                         'F': the four gates, the cell state's additive path,
//                         and the gradient that path carries back, δcₜ₋₁ =
//                         δc̃_t ⊙ f_t, from the library's backward pass

import BackpropCore
import Backpropagation
import Figures
import Foundation

extension Chapter6Figures {
    /// Figures that train nothing (quick in a debug build; checked by a test).
    public static func untrained() throws -> [(String, any Figure)] {
        let corpus = try CharacterCorpus.shakespeare()
        return [("06-unrolled-rnn.svg", try unrolledRNN(corpus.vocabulary)),
                ("06-lstm-cell.svg", try lstmCell(corpus.vocabulary))]
    }

    /// How a diagram shows a character: visible stand-ins for space and newline.
    static func shown(_ c: Character) -> String { c == " " ? "␣" : (c == "\n" ? "⏎" : String(c)) }

    /// "(0.52, −0.13, 0.71)"
    static func vector<S: BinaryFloatingPoint>(_ v: ArraySlice<S>, digits: Int = 2) -> String {
        "(" + v.map { Diagram.number(Double($0), digits: digits) }.joined(separator: ", ") + ")"
    }

    /// An Elman RNN (E = 8, H = 16, seed 6) unrolled over "Citizen", each
    /// step predicting the next character of "First Citizen:".
    static func unrolledRNN(_ vocabulary: CharacterVocabulary) throws -> Diagram {
        typealias D = Diagram
        let text = Array("Citizen:")
        let inputs = try vocabulary.encode(String(text.dropLast())), targets = try vocabulary.encode(String(text.dropFirst()))
        let steps = inputs.count
        var rng = SeededRandom(seed: 6)
        let model = try CharRNN(CharRNNConfig(cell: .rnn, embeddingSize: 8, hiddenSize: 16), vocabulary: vocabulary, rng: &rng,
                                backend: .naive)
        // The model's own forward pass, one sequence (B = 1), then its backward.
        let (e, _) = try model.embedding.forward(try Embedding.ids(inputs), mode: .training)
        let cache = try model.rnn.forwardTimeMajor(e.scalars, batch: 1)
        let h = try Tensor(shape: [steps, 16], scalars: Array(cache.outputs))
        let (logits, headCache) = try model.head.forward(h, mode: .training)
        let (loss, dLogits) = try SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: targets, backend: .naive)
        let v = vocabulary.count
        let stepLoss = (0..<steps).map { t -> Double in
            let row = logits.scalars[(t * v)..<((t + 1) * v)].map(Double.init)
            let m = row.max()!
            return m + log(row.reduce(0) { $0 + exp($1 - m) }) - row[targets[t]]
        }
        let dh = try model.head.backward(dLogits, cache: headCache)
        var hiddenGradient = [Double](repeating: 0, count: steps + 1)
        let g = try model.rnn.backwardTimeMajor(dh.scalars, cache: cache) { t, d in
            hiddenGradient[t] = d.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        }
        hiddenGradient[0] = g.dh0.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let hNorm = (0...steps).map { t in
            cache.hs[(t * 16)..<((t + 1) * 16)].reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        }

        var d = Diagram(width: 1000, height: 560, title: "An Elman RNN unrolled over \"Citizen\": one cell, the same weights at every step")
        let left = 150.0, column = 122.0, cellW = 100.0, cellY = 228.0, cellH = 66.0
        let lossY = 64.0, lossH = 48.0, charY = 436.0, busY = 340.0
        func centre(_ t: Int) -> Double { left + Double(t) * column + cellW / 2 }
        // h₀ and the state arrows between the cells.
        d.add(D.box(["h₀ = 0"], x: 30, y: cellY + 13, width: 80, height: 40, fill: D.Ink.dataFill))
        d.add(D.label("‖δh₀‖ = \(D.number(hiddenGradient[0], digits: 3))", x: 70, y: cellY + cellH + 12, color: D.Ink.backward, fontSize: 11))
        for t in 0..<steps {
            let x0 = left + Double(t) * column, cx = centre(t)
            let from = t == 0 ? 110.0 : x0 - column + cellW
            d.add(D.arrow(from: SVGPoint(from, cellY + 24), to: SVGPoint(x0, cellY + 24), color: D.Ink.forward))
            d.add(D.arrow(from: SVGPoint(x0, cellY + 42), to: SVGPoint(from, cellY + 42), color: D.Ink.backward, dashed: true))
            d.add(D.box([], x: x0, y: cellY, width: cellW, height: cellH))
            d.add(D.label("tanh(·)", x: cx, y: cellY + 17, fontSize: 10.5))
            d.add(D.label("‖h\(sub(t + 1))‖ = \(D.number(hNorm[t + 1], digits: 2))", x: cx, y: cellY + 37, color: D.Ink.forward, fontSize: 11))
            d.add(D.label("‖δh\(sub(t + 1))‖ = \(D.number(hiddenGradient[t + 1], digits: 3))", x: cx, y: cellY + 56, color: D.Ink.backward,
                          fontSize: 11))
            // The head and the loss of this step's prediction.
            let target = shown(text[t + 1])
            d.add(D.box(["target '\(target)'", "L\(sub(t + 1)) = \(D.number(stepLoss[t], digits: 2))"], x: x0 + 4, y: lossY,
                        width: cellW - 8, height: lossH, fill: D.Ink.highlightFill, fontSize: 11))
            d.add(D.arrow(from: SVGPoint(cx - 12, cellY), to: SVGPoint(cx - 12, lossY + lossH), color: D.Ink.forward))
            d.add(D.arrow(from: SVGPoint(cx + 12, lossY + lossH), to: SVGPoint(cx + 12, cellY), color: D.Ink.backward, dashed: true))
            d.add(D.label("head", x: cx - 16, y: lossY + lossH + 46, color: D.Ink.forward, fontSize: 10, anchor: .end))
            d.add(D.label("dy\(sub(t + 1))", x: cx + 16, y: lossY + lossH + 46, color: D.Ink.backward, fontSize: 10, anchor: .start))
            // The input character, its embedding, and the shared parameters.
            let c = text[t]
            d.add(D.box(["'\(shown(c))'", "id \(inputs[t])"], x: x0 + 20, y: charY, width: cellW - 40, height: 44, fill: D.Ink.dataFill,
                        fontSize: 12))
            d.add(D.arrow(from: SVGPoint(cx - 14, charY), to: SVGPoint(cx - 14, cellY + cellH), color: D.Ink.forward))
            d.add(D.label("x\(sub(t + 1)) = E[\(inputs[t])]", x: cx - 18, y: charY - 14, color: D.Ink.forward, fontSize: 10, anchor: .end))
            d.add(D.arrow(from: SVGPoint(cx + 22, busY), to: SVGPoint(cx + 22, cellY + cellH), color: D.Ink.parameter, width: 1.2))
        }
        let lastBus = centre(steps - 1) + 22
        d.add(.line(x1: 70, y1: busY, x2: lastBus, y2: busY, style: .init(stroke: D.Ink.parameter, strokeWidth: 2)))
        d.add(.line(x1: 70, y1: busY, x2: 70, y2: busY + 20, style: .init(stroke: D.Ink.parameter, strokeWidth: 2)))
        d.add(D.box(["W_ih, W_hh,", "b_ih, b_hh:", "one copy for", "every step"], x: 20, y: busY + 20, width: 100, height: 68,
                    fill: D.Ink.dataFill, stroke: D.Ink.parameter, fontSize: 10.5))

        let notes: [(String, String)] = [
            ("forward (blue), left to right: each hₜ = tanh(W_ih xₜ + b_ih + W_hh hₜ₋₁ + b_hh) feeds the head (logits of the next character) "
                + "and the next step", D.Ink.forward),
            ("backward (red, dashed), right to left: δhₜ = dyₜ + δqₜ₊₁·W_hh, the gradient from step t’s own loss plus the one "
                + "from every later step", D.Ink.backward),
            ("the weights' gradients are sums over the steps: δW_hh = Σₜ δqₜᵀ hₜ₋₁, δW_ih = Σₜ δpₜᵀ xₜ (one model, seven uses)",
             D.Ink.parameter),
            ("An untrained Elman RNN (E = 8, H = 16, seed 6) on the first line of tinyshakespeare: L = mean of L₁…L₇ = "
                + "\(D.number(Double(loss), digits: 3)), near ln 65 = \(D.number(log(65.0), digits: 3)), as it should be before training.",
             D.Ink.neutral),
        ]
        for (i, note) in notes.enumerated() {
            d.add(D.label(note.0, x: 20, y: 506 + Double(i) * 15, color: note.1, fontSize: 11, anchor: .start))
        }
        return d
    }

    /// One LSTM step (E = 4, H = 3, seed 7) reading 'i' with the state left
    /// by 'F', its loss the next character 'r' of "First"; every vector is
    /// the library's, the gradients from its backward pass.
    static func lstmCell(_ vocabulary: CharacterVocabulary) throws -> Diagram {
        typealias D = Diagram
        var rng = SeededRandom(seed: 7)
        let hidden = 3
        let model = try CharRNN(CharRNNConfig(cell: .lstm, embeddingSize: 4, hiddenSize: hidden), vocabulary: vocabulary, rng: &rng,
                                backend: .naive)
        let tokens = try vocabulary.encode("Fir")
        // Step 1 ('F') leaves the state (h₁, c₁); step 2 ('i') is the one drawn.
        let (e1, _) = try model.embedding.forward(try Embedding.ids([tokens[0]]), mode: .inference)
        let first = try model.rnn.forwardTimeMajor(e1.scalars, batch: 1)
        let (hPrev, cPrev) = (first.finalH, first.finalC!)
        let (x, _) = try model.embedding.forward(try Embedding.ids([tokens[1]]), mode: .training)
        let step = try model.rnn.forwardTimeMajor(x.scalars, batch: 1, h0: hPrev, c0: cPrev)
        let gates = step.gates                                                   // i, f, g, o: [4H]
        let (c, tanhC, h) = (step.finalC!, step.tanhC, step.finalH)
        // Backward from the loss of the next character: δh_t from the head, δc_t = 0 (the last step).
        let hTensor = try Tensor(shape: [1, hidden], scalars: h)
        let (logits, headCache) = try model.head.forward(hTensor, mode: .training)
        let (loss, dLogits) = try SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: [tokens[2]], backend: .naive)
        let dh = try model.head.backward(dLogits, cache: headCache)
        let back = try model.rnn.backwardTimeMajor(dh.scalars, cache: step)
        let dcPrev = back.dc0!
        // δc̃ = δc_t + δh_t ⊙ o ⊙ (1 − tanh² c_t), the sum of both paths into c_t (δc_t = 0 here).
        func block(_ k: Int) -> [Float] { Array(gates[(k * hidden)..<((k + 1) * hidden)]) }
        let o = block(3)
        let dcTotal: [Float] = (0..<hidden).map { j -> Float in
            let squashed: Float = 1 - tanhC[j] * tanhC[j]
            return dh.scalars[j] * o[j] * squashed
        }
        func v(_ a: [Float], digits: Int = 2) -> String { vector(a[...], digits: digits) }
        let ig = (0..<hidden).map { block(0)[$0] * block(2)[$0] }
        let fc = (0..<hidden).map { block(1)[$0] * cPrev[$0] }

        var d = Diagram(width: 980, height: 560, title: "One step of an LSTM cell: four gates and an additive cell state (H = 3)")
        let beltY = 96.0
        // The cell state's path across the top: cₜ₋₁ → ⊗ f → ⊕ i⊙g → c_t.
        d.add(D.box(["cₜ₋₁", v(cPrev)], x: 20, y: beltY - 24, width: 140, height: 48, fill: D.Ink.dataFill, fontSize: 11))
        d.add(D.box(["cₜ", v(c)], x: 800, y: beltY - 24, width: 150, height: 48, fill: D.Ink.highlightFill, fontSize: 11))
        for (a, b) in [(160.0, 370.0), (394.0, 580.0), (604.0, 800.0)] {
            d.add(D.arrow(from: SVGPoint(a, beltY), to: SVGPoint(b, beltY), color: D.Ink.forward, width: 3))
        }
        d.add(operation("×", x: 382, y: beltY))
        d.add(operation("+", x: 592, y: beltY))
        d.add(D.label("f ⊙ cₜ₋₁ = \(v(fc))", x: 487, y: beltY - 17, color: D.Ink.forward, fontSize: 11))
        d.add(D.label("the cell state: one multiply and one add per step, no weight matrix", x: 480, y: beltY - 42, fontSize: 11.5, bold: true))
        // Backward along the belt.
        d.add(D.arrow(from: SVGPoint(800, beltY + 40), to: SVGPoint(160, beltY + 40), color: D.Ink.backward, dashed: true))
        d.add(D.label("δc̃ₜ = \(v(dcTotal, digits: 3))", x: 790, y: beltY + 58, color: D.Ink.backward, fontSize: 11, anchor: .end))
        d.add(D.label("δcₜ₋₁ = δc̃ₜ ⊙ f = \(v(dcPrev, digits: 3))", x: 20, y: beltY + 58, color: D.Ink.backward, fontSize: 11,
                      anchor: .start))

        // The inputs and the pre-activations.
        let bottom = 440.0
        d.add(D.box(["xₜ = E['i']", v(x.scalars, digits: 2)], x: 20, y: bottom, width: 200, height: 44, fill: D.Ink.dataFill, fontSize: 11))
        d.add(D.box(["hₜ₋₁", v(hPrev)], x: 240, y: bottom, width: 150, height: 44, fill: D.Ink.dataFill, fontSize: 11))
        d.add(D.box(["a = xₜ W_ihᵀ + b_ih + hₜ₋₁ W_hhᵀ + b_hh   [4H = 12]"], x: 20, y: 370, width: 560, height: 32, fontSize: 11))
        d.add(D.arrow(from: SVGPoint(120, bottom), to: SVGPoint(120, 402), color: D.Ink.forward))
        d.add(D.arrow(from: SVGPoint(315, bottom), to: SVGPoint(315, 402), color: D.Ink.forward))
        d.add(D.box(["W_ih [12, 4], W_hh [12, 3]", "b_ih, b_hh [12]"], x: 410, y: bottom, width: 170, height: 44, fill: D.Ink.dataFill,
                    stroke: D.Ink.parameter, fontSize: 10.5))
        d.add(D.arrow(from: SVGPoint(495, bottom), to: SVGPoint(495, 402), color: D.Ink.parameter))
        // The four gates: (name, formula, block, x, activation's colour).
        let gateBoxes: [(String, String, Int, Double)] = [
            ("i = σ(a_i)", "input gate", 0, 20), ("f = σ(a_f)", "forget gate", 1, 160),
            ("g = tanh(a_g)", "candidate", 2, 300), ("o = σ(a_o)", "output gate", 3, 440),
        ]
        let gateY = 270.0
        for (name, role, k, x0) in gateBoxes {
            d.add(D.box([name, v(block(k)), role], x: x0, y: gateY, width: 130, height: 60, fontSize: 11))
            d.add(D.arrow(from: SVGPoint(x0 + 65, 370), to: SVGPoint(x0 + 65, gateY + 60), color: D.Ink.forward))
        }
        // f to the belt's ×; i and g to their own ×, then up to the +.
        d.add(D.arrow(from: SVGPoint(225, gateY), to: SVGPoint(378, beltY + 13), color: D.Ink.forward))
        d.add(operation("×", x: 592, y: 200))
        d.add(D.arrow(from: SVGPoint(85, gateY), to: SVGPoint(580, 204), color: D.Ink.forward))
        d.add(D.arrow(from: SVGPoint(365, gateY), to: SVGPoint(584, 210), color: D.Ink.forward))
        d.add(D.arrow(from: SVGPoint(592, 188), to: SVGPoint(592, beltY + 12), color: D.Ink.forward))
        d.add(D.label("i ⊙ g = \(v(ig))", x: 582, y: 172, color: D.Ink.forward, fontSize: 11, anchor: .end))
        // c_t → tanh → × o → h_t.
        d.add(.line(x1: 875, y1: beltY + 24, x2: 875, y2: 190, style: .init(stroke: D.Ink.forward, strokeWidth: 1.5)))
        d.add(D.box(["tanh cₜ", v(Array(tanhC))], x: 800, y: 190, width: 150, height: 44, fontSize: 11))
        d.add(D.arrow(from: SVGPoint(875, 234), to: SVGPoint(875, 288), color: D.Ink.forward))
        d.add(operation("×", x: 875, y: 300))
        d.add(D.arrow(from: SVGPoint(570, gateY + 30), to: SVGPoint(863, 300), color: D.Ink.forward))
        d.add(D.arrow(from: SVGPoint(875, 312), to: SVGPoint(875, 370), color: D.Ink.forward))
        d.add(D.box(["hₜ = o ⊙ tanh cₜ", v(h)], x: 790, y: 370, width: 170, height: 44, fill: D.Ink.highlightFill, fontSize: 11))
        d.add(D.arrow(from: SVGPoint(875, 414), to: SVGPoint(875, 450), color: D.Ink.forward))
        d.add(D.label("to the head and to step t+1", x: 875, y: 464, fontSize: 10.5))
        d.add(D.label("loss of the next char 'r': \(D.number(Double(loss), digits: 3))", x: 875, y: 480, fontSize: 10.5))

        d.add(D.label("The gradient along the top path is multiplied only by f (≈ \(v(block(1)))): where a unit learns f ≈ 1, "
                      + "its gradient crosses many steps intact.", x: 20, y: 522, color: D.Ink.backward, fontSize: 11, anchor: .start))
        d.add(D.label("An untrained LSTM cell (E = 4, H = 3, seed 7) reading 'i' after 'F' from the start of tinyshakespeare; "
                      + "every vector is computed by LSTMCell's forward and backward.", x: 20, y: 540, fontSize: 11, anchor: .start))
        return d
    }

    /// A small circle with an operator in it (× or +).
    static func operation(_ symbol: String, x: Double, y: Double) -> SVGElement {
        .group([.circle(cx: x, cy: y, r: 12, style: .init(fill: Diagram.Ink.dataFill, stroke: Diagram.Ink.neutral, strokeWidth: 1.3)),
                Diagram.label(symbol, x: x, y: y + 5, fontSize: 15, bold: true)])
    }

    /// 1 → "₁", 12 → "₁₂".
    static func sub(_ n: Int) -> String {
        String(String(n).map { Character(UnicodeScalar(0x2080 + UInt32($0.wholeNumberValue!))!) })
    }
}
