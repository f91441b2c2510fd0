// Reference solution to exercise 6.7: the LSTM's elementwise step, forward
// and backward, recomputing the gates from z in the backward pass.

import ExerciseKit
import Foundation
import RecurrentNetworks

public struct MyLSTMCell: LSTMCellStep {
    public init() {}

    // 1/(1 + e^(−t)) is NaN-free: e^800 = ∞ gives 1/∞ = 0.
    func sigmoid(_ t: Double) -> Double { 1 / (1 + exp(-t)) }

    /// The four gates of unit j.
    func gates(_ z: [Double], _ j: Int, _ hidden: Int) -> (i: Double, f: Double, g: Double, o: Double) {
        (sigmoid(z[j]), sigmoid(z[hidden + j]), tanh(z[2 * hidden + j]), sigmoid(z[3 * hidden + j]))
    }

    public func forward(z: [Double], c: [Double]) throws -> (h: [Double], c: [Double]) {
        let hidden = c.count
        var h = [Double](repeating: 0, count: hidden), cNew = h
        for j in 0..<hidden {
            let (i, f, g, o) = gates(z, j, hidden)
            cNew[j] = f * c[j] + i * g
            h[j] = o * tanh(cNew[j])
        }
        return (h, cNew)
    }

    public func backward(z: [Double], c: [Double], dh: [Double], dc: [Double]) throws -> (dz: [Double], dc: [Double]) {
        let hidden = c.count
        var dz = [Double](repeating: 0, count: 4 * hidden), dcPrev = [Double](repeating: 0, count: hidden)
        for j in 0..<hidden {
            let (i, f, g, o) = gates(z, j, hidden)
            let tc = tanh(f * c[j] + i * g)
            // c′ reaches the loss through h′ and through the next step.
            let dcNew = dc[j] + dh[j] * o * (1 - tc * tc)
            dz[j] = dcNew * g * i * (1 - i)                    // c′ = f·c + i·g, i = σ(z_i)
            dz[hidden + j] = dcNew * c[j] * f * (1 - f)        // f = σ(z_f)
            dz[2 * hidden + j] = dcNew * i * (1 - g * g)       // g = tanh(z_g)
            dz[3 * hidden + j] = dh[j] * tc * o * (1 - o)      // h′ = o·tanh(c′), o = σ(z_o)
            dcPrev[j] = dcNew * f
        }
        return (dz, dcPrev)
    }
}
