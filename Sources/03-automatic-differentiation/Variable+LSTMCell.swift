// The LSTM cell as one operation on the tape: what frameworks add for
// recurrent models (PyTorch's fused LSTM cell, cuDNN's and oneDNN's LSTM).
//
//   (h′, c′) = lstmCell(a, c)     a [B, 4H] the step's gate pre-activations
//                                  (i, f, g, o blocks), c [B, H] the cell state
//   i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o)
//   c′ = f ⊙ c + i ⊙ g,   h′ = o ⊙ tanh c′
//
// Written with the engine's own operations the cell is four slices, three
// sigmoids, two tanh, three products and a sum: thirteen records, each a
// pass over memory that allocates its output and saves its inputs, and as
// many again in backward. Here it is one record whose forward is one pass
// (LSTMCellKernels.swift) and whose backward closure computes ∂a and ∂c from
// ∂h′ and ∂c′ in one pass, from what the forward saved: the activated gates
// [B, 4H], c and tanh c′ [B, H] (chapter 6's hand-written cell keeps the
// same three). The derivatives are the composition's, term by term (the
// header of LSTMCellKernels.swift); the gradient checks hold the operation
// to finite differences and to the unfused composition.
//
// The operation has two outputs. The tape records it once, with the
// outputs' gradients stacked [∂h′; ∂c′] (Tape.record(_:outputs:…)), and h′
// and c′ as two light records feeding their parts of the stack; an output
// that no later operation uses (the last step's c′) contributes zeros.

import BackpropCore

extension Variable {
    /// One LSTM step from the gate pre-activations `gates` [B, 4H] (blocks
    /// i, f, g, o, PyTorch's order) and the cell state `cell` [B, H]: the new
    /// hidden state h′ and cell state c′, each [B, H].
    /// - Throws: `AutodiffError` unless gates is [B, 4H] and cell is [B, H]
    ///   on the same tape.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func lstmCell(gates a: Variable, cell c: Variable) throws -> (h: Variable, c: Variable) {
        try a.sameTape(c, operation: "lstmCell")
        guard a.shape.count == 2, a.shape[1] % 4 == 0, c.shape == [a.shape[0], a.shape[1] / 4] else {
            throw AutodiffError.shapeMismatch(operation: "lstmCell", lhs: a.shape, rhs: c.shape,
                                              reason: "needs gate pre-activations [B, 4H] and a cell state [B, H]")
        }
        let (rows, hidden, backend) = (a.shape[0], a.shape[1] / 4, a.backend)
        let state = [rows, hidden], n = rows * hidden
        var act: Tensor<Scalar>?, tanhC: Tensor<Scalar>?, h: Tensor<Scalar>?
        let cNew = a.value.withUnsafeBufferPointer { pa in
            c.value.withUnsafeBufferPointer { pc in
                Tensor<Scalar>.filled(state) { pcNew in
                    act = Tensor.filled(a.shape) { pact in
                        tanhC = Tensor.filled(state) { ptc in
                            h = Tensor.filled(state) { ph in
                                guard n > 0 else { return }
                                LSTMCellKernels.forward(backend: backend, rows: rows, hidden: hidden, a: pa.baseAddress!,
                                                        cPrev: pc.baseAddress!, act: pact, c: pcNew, tanhC: ptc, h: ph)
                            }
                        }
                    }
                }
            }
        }
        let (savedAct, savedTanhC, cPrev, na, nc) = (act!, tanhC!, c.value, a.node, c.node)
        let outputs = a.tape.record("lstmCell", outputs: [h!, cNew], inputs: [a, c], saved: [savedAct, cPrev, savedTanhC]) { tape, g in
            // g = [∂h′; ∂c′] stacked
            guard n > 0 else { return }
            var dcPrev: Tensor<Scalar>?
            let da = g.withUnsafeBufferPointer { pg in
                savedAct.withUnsafeBufferPointer { pact in
                    cPrev.withUnsafeBufferPointer { pc in
                        savedTanhC.withUnsafeBufferPointer { ptc in
                            Tensor<Scalar>.filled([rows, 4 * hidden]) { pda in
                                dcPrev = Tensor.filled(state) { pdc in
                                    LSTMCellKernels.backward(backend: tape.backend, rows: rows, hidden: hidden,
                                                             dh: pg.baseAddress!, dc: pg.baseAddress! + n, act: pact.baseAddress!,
                                                             cPrev: pc.baseAddress!, tanhC: ptc.baseAddress!, da: pda, dcPrev: pdc)
                                }
                            }
                        }
                    }
                }
            }
            try tape.accumulate(na, da)
            if nc != nil { try tape.accumulate(nc, dcPrev!) }
        }
        return (outputs[0], outputs[1])
    }
}
