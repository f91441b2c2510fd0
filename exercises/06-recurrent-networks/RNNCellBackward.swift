// Exercise 6.1 — the backward pass of one Elman RNN cell
// (chapters/06-recurrent-networks.md, "Backpropagation through time").
//
// One step of an Elman RNN with a tanh non-linearity maps the input x (`in`
// entries) and the previous hidden state h_prev (H entries) to
//
//   a = W_ih·x + W_hh·h_prev + b          (H entries, the pre-activation)
//   h = tanh(a)                            (H entries, the new hidden state)
//
// where W_ih is H × in and W_hh is H × H (PyTorch's layout: one row per hidden
// unit; PyTorch's b_ih + b_hh is the single bias b here). You are given the
// forward pass's output h (so you need not recompute tanh) and the upstream
// gradient dh = ∂L/∂h. Return
//
//   da       = dh ⊙ (1 − h²)                (tanh′(a) = 1 − tanh(a)², elementwise)
//   dx       = W_ihᵀ·da                     (in)      dxₖ     = Σⱼ W_ih[j][k]·daⱼ
//   dh_prev  = W_hhᵀ·da                     (H)       dh_prevₖ = Σⱼ W_hh[j][k]·daⱼ
//   dW_ih    = da·xᵀ                        (H × in)  dW_ih[j][k] = daⱼ·xₖ
//   dW_hh    = da·h_prevᵀ                   (H × H)   dW_hh[j][k] = daⱼ·h_prevₖ
//   db       = da                           (H)
//
// dh_prev is what backpropagation through time hands to the previous step
// (added there to that step's own dh). Note the transposes: W_hh is square,
// so W_hh·da has the right shape too, but it is the wrong answer.
//
// Worked example (in = H = 1): x = 1, h_prev = 0.5, W_ih = 2, W_hh = −1,
// b = 0 → a = 1.5, h = tanh(1.5) ≈ 0.905148; with dh = 1,
// da = 1 − h² ≈ 0.180707, dx = 2·da, dh_prev = −da, dW_ih = da·1,
// dW_hh = da·0.5, db = da.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/06-recurrent-networks --filter Chapter06Exercises/rnnCellBackward

import ExerciseKit

public func rnnCellBackward(
    x: [Double], hPrev: [Double], weightIH: [[Double]], weightHH: [[Double]], bias: [Double],
    h: [Double], dh: [Double]
) throws -> (dx: [Double], dhPrev: [Double], dWeightIH: [[Double]], dWeightHH: [[Double]], dBias: [Double]) {
    throw NotAttempted()
}
