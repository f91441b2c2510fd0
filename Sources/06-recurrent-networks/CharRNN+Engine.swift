// The char-LSTM of CharRNN.swift written with chapter 3's engine: only the
// forward pass, in the equations of LSTMCell.swift; the tape derives BPTT.
//
//   e   = E[tokens]                        [T·B, E]   gather
//   p   = e·W_ihᵀ + b_ih                   [T·B, 4H]  one product for all steps
//   for t:  a = p_t + h·W_hhᵀ + b_hh       [B, 4H]
//           i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o)
//           c = f ⊙ c + i ⊙ g;  h = o ⊙ tanh c
//   logits = [h_1 … h_T]·W_headᵀ + b_head  [T·B, V]
//   L      = mean cross-entropy
//
// It shares the model's parameters and the trainer's batches, state, Adam
// and clipping, so one trainer can step either way: `stepWithEngine()`
// trains the same model as `step()`, to the same losses up to the order of
// Float sums (tested), at the cost measured in `backprop bench rnn`.

import AutomaticDifferentiation
import Backpropagation
import BackpropCore

extension CharRNN {
    /// The mean cross-entropy of one batch (time-major tokens and labels
    /// [T·B]) recorded on `tape`, from the carried state (nil: zeros); also
    /// the final state, detached. LSTM only.
    func engineLoss(tape: Tape<Float>, tokens: [Int], labels: [Int], batch b: Int,
                    state: CarriedState?) throws -> (loss: Variable<Float>, state: CarriedState) {
        precondition(config.cell == .lstm, "the engine's version is the LSTM's")
        let (h, steps) = (config.hiddenSize, tokens.count / b)
        let wih = tape.parameter(rnn.weightIH), whh = tape.parameter(rnn.weightHH)
        let bih = tape.parameter(rnn.biasIH), bhh = tape.parameter(rnn.biasHH)
        let p = try tape.parameter(embedding.weight).gather(rows: tokens).matmul(wih, .nt) + bih    // [T·B, 4H]
        var hPrev = tape.constant(try Tensor(shape: [b, h], scalars: state?.h ?? [Float](repeating: 0, count: b * h)))
        var cPrev = tape.constant(try Tensor(shape: [b, h], scalars: state?.c ?? [Float](repeating: 0, count: b * h)))
        var outputs: [Variable<Float>] = []
        for t in 0..<steps {
            let a = try p.slice(axis: 0, (t * b)..<((t + 1) * b)) + hPrev.matmul(whh, .nt) + bhh      // [B, 4H]
            func gate(_ k: Int) throws -> Variable<Float> { try a.slice(axis: 1, (k * h)..<((k + 1) * h)) }
            let (i, f, g, o) = (try gate(0).sigmoid(), try gate(1).sigmoid(), try gate(2).tanh(), try gate(3).sigmoid())
            cPrev = try f * cPrev + i * g
            hPrev = try o * cPrev.tanh()
            outputs.append(hPrev)
        }
        let logits = try Variable.concatenated(outputs, axis: 0).matmul(tape.parameter(head.weight), .nt)
            + tape.parameter(head.bias)                                                              // [T·B, V]
        return (try logits.crossEntropy(targets: labels), CarriedState(h: hPrev.value.scalars, c: cPrev.value.scalars))
    }
}

extension CharRNNTrainer {
    /// One training step like `step()`, with the gradients from the engine
    /// (`CharRNN.engineLoss`) instead of the hand-written BPTT.
    @discardableResult
    public func stepWithEngine() throws -> Double {
        let (x, y, startsEpoch) = batches.next()
        if startsEpoch { state = nil }
        optimizer.zeroGrad()
        let b = batches.batch, length = x.count / b
        let tape = Tape<Float>(backend: model.backend)
        let (loss, final) = try model.engineLoss(tape: tape, tokens: CharRNN.timeMajor(x, batch: b, length: length),
                                                 labels: CharRNN.timeMajor(y, batch: b, length: length), batch: b, state: state)
        lastTapeBytes = tape.bytesHeld
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
