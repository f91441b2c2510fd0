// The char-LSTM of CharRNN.swift written with chapter 3's engine: only the
// forward pass, in the equations of LSTMCell.swift; the tape derives BPTT.
//
//   Q   = E·W_ihᵀ + b_ih + b_hh            [V, 4H]    every character's input projection
//   for t:  a = Q[tokens_t] + h·W_hhᵀ      [B, 4H]    gather rows of the table
//           i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o)
//           c = f ⊙ c + i ⊙ g;  h = o ⊙ tanh c
//   logits = [h_1 … h_T]·W_headᵀ + b_head  [T·B, V]
//   L      = mean cross-entropy
//
// The input projection is the model's table formulation (chapter 6's
// RecurrentLayer+EmbeddedInput.swift): E[id]·W_ihᵀ is row id of E·W_ihᵀ, so
// one product of V = 65 rows replaces one of T·B = 2,048, and the gather's
// backward scatter-adds each step's ∂a into the table's gradient, from which
// the product's backward gives ∂E and ∂W_ih (and the two bias adds ∂b_ih,
// ∂b_hh). The same sums, grouped differently.
//
// The cell is either the engine's elementwise operations, thirteen records
// per step (the version chapter 3 shows), or `fusedCell`: the engine's one
// fused LSTM-cell operation (Variable+LSTMCell.swift), the same derivatives
// in one pass forward and one backward.
//
// It shares the model's parameters and the trainer's batches, state, Adam
// and clipping, so one trainer can step either way: `stepWithEngine()`
// trains the same model as `step()`, to the same losses up to the order of
// Float sums (tested, both cells), at the cost measured in `backprop bench rnn`.

import AutomaticDifferentiation
import Backpropagation
import BackpropCore

extension CharRNN {
    /// The mean cross-entropy of one batch (time-major tokens and labels
    /// [T·B]) recorded on `tape`, from the carried state (nil: zeros); also
    /// the final state, detached. LSTM only.
    func engineLoss(tape: Tape<Float>, tokens: [Int], labels: [Int], batch b: Int, state: CarriedState?,
                    fusedCell: Bool = false) throws -> (loss: Variable<Float>, state: CarriedState) {
        precondition(config.cell == .lstm, "the engine's version is the LSTM's")
        let (h, steps) = (config.hiddenSize, tokens.count / b)
        let wih = tape.parameter(rnn.weightIH), whh = tape.parameter(rnn.weightHH)
        let bih = tape.parameter(rnn.biasIH), bhh = tape.parameter(rnn.biasHH)
        let q = try tape.parameter(embedding.weight).matmul(wih, .nt) + bih + bhh                  // [V, 4H]
        var hPrev = tape.constant(try Tensor(shape: [b, h], scalars: state?.h ?? [Float](repeating: 0, count: b * h)))
        var cPrev = tape.constant(try Tensor(shape: [b, h], scalars: state?.c ?? [Float](repeating: 0, count: b * h)))
        var outputs: [Variable<Float>] = []
        for t in 0..<steps {
            let a = try q.gather(rows: Array(tokens[(t * b)..<((t + 1) * b)])) + hPrev.matmul(whh, .nt)  // [B, 4H]
            if fusedCell {
                (hPrev, cPrev) = try Variable.lstmCell(gates: a, cell: cPrev)
            } else {
                func gate(_ k: Int) throws -> Variable<Float> { try a.slice(axis: 1, (k * h)..<((k + 1) * h)) }
                let (i, f, g, o) = (try gate(0).sigmoid(), try gate(1).sigmoid(), try gate(2).tanh(), try gate(3).sigmoid())
                cPrev = try f * cPrev + i * g
                hPrev = try o * cPrev.tanh()
            }
            outputs.append(hPrev)
        }
        let logits = try Variable.concatenated(outputs, axis: 0).matmul(tape.parameter(head.weight), .nt)
            + tape.parameter(head.bias)                                                              // [T·B, V]
        return (try logits.crossEntropy(targets: labels), CarriedState(h: hPrev.value.scalars, c: cPrev.value.scalars))
    }
}

extension CharRNNTrainer {
    /// One training step like `step()`, with the gradients from the engine
    /// (`CharRNN.engineLoss`) instead of the hand-written BPTT; with
    /// `fusedCell`, the cell is the engine's fused LSTM-cell operation.
    @discardableResult
    public func stepWithEngine(fusedCell: Bool = false) throws -> Double {
        let (x, y, startsEpoch) = batches.next()
        if startsEpoch { state = nil }
        optimizer.zeroGrad()
        let b = batches.batch, length = x.count / b
        let tape = Tape<Float>(backend: model.backend)
        let (loss, final) = try model.engineLoss(tape: tape, tokens: CharRNN.timeMajor(x, batch: b, length: length),
                                                 labels: CharRNN.timeMajor(y, batch: b, length: length), batch: b, state: state,
                                                 fusedCell: fusedCell)
        (lastTapeBytes, lastTapeDistinctBytes) = (tape.bytesHeld, tape.distinctBytesHeld)
        try loss.backward()
        state = final
        steps += 1
        let value = Double(loss.item)
        try TrainingError.requireFinite(value, "loss", step: steps)
        let norm = GradientClipping.clipGlobalNorm(model.parameters, maxNorm: clipNorm, backend: model.backend)
        try TrainingError.requireFinite(norm, "gradient", step: steps)
        optimizer.step()
        return value
    }
}
