// Every operation of the tensor engine against centered finite differences
// in Double: L = Σ f(inputs) ⊙ R for a fixed random R (backward seeded with
// R), differentiated by the tape and numerically with respect to every
// input. Broadcasting in several patterns, every axis of sum and mean, a
// value used twice and a graph with shared subexpressions included.

import AutomaticDifferentiation
import BackpropCore
import Foundation
import TestSupport
import Testing

typealias V = Variable<Double>

/// Checks every input's gradient of Σ f(inputs) ⊙ R. Inputs are seeded
/// uniform in [−1, 1). Centered differences with h = 1e-6 carry ~1e-10
/// absolute error here, so each gradient must agree to 1e-6 relative, or
/// to 1e-8 absolute where the gradient itself is tiny.
func checkGradients(_ name: String, _ shapes: [[Int]], backend: Backend = .naive, seed: UInt64 = 1,
                    _ f: ([V]) throws -> V) throws {
    let inputs = shapes.enumerated().map { randomTensor($1, seed: seed &+ UInt64($0)) }
    let tape = Tape<Double>(backend: backend)
    let leaves = inputs.map { tape.variable($0) }
    let y = try f(leaves)
    let r = randomTensor(y.shape, seed: 777)
    try y.backward(seed: r)
    for (i, x) in inputs.enumerated() {
        let analytic = try #require(leaves[i].grad, "\(name): input \(i) got no gradient")
        let report = try GradientCheck.check({ probe in
            var values = inputs
            values[i] = probe
            let t = Tape<Double>(backend: backend)
            return try f(values.map { t.constant($0) }).value.multiplying(r).sum()
        }, at: x, analytic: analytic)
        let absolute = zip(analytic.scalars, report.numericGradient.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(report.passes(1e-6) || absolute < 1e-8, "\(name), input \(i): \(report)")
    }
}

@Suite struct GradientCheckTests {
    nonisolated(unsafe) static let cases: [(String, [[Int]], ([V]) throws -> V)] = [
        ("add, equal shapes", [[3, 4], [3, 4]], { try $0[0] + $0[1] }),
        ("add, row vector [3,4]+[4]", [[3, 4], [4]], { try $0[0] + $0[1] }),
        ("add, row vector first [4]+[3,4]", [[4], [3, 4]], { try $0[0] + $0[1] }),
        ("add, column [3,4]+[3,1]", [[3, 4], [3, 1]], { try $0[0] + $0[1] }),
        ("add, outer [1,4]+[3,1]", [[1, 4], [3, 1]], { try $0[0] + $0[1] }),
        ("add, rank 3 [2,3,4]+[3,1]", [[2, 3, 4], [3, 1]], { try $0[0] + $0[1] }),
        ("add, scalar []+[2,3]", [[], [2, 3]], { try $0[0] + $0[1] }),
        ("subtract, [3,4]-[4]", [[3, 4], [4]], { try $0[0] - $0[1] }),
        ("subtract, [2,1,4]-[3,1]", [[2, 1, 4], [3, 1]], { try $0[0] - $0[1] }),
        ("multiply, equal shapes", [[3, 4], [3, 4]], { try $0[0] * $0[1] }),
        ("multiply, [3,4]*[4]", [[3, 4], [4]], { try $0[0] * $0[1] }),
        ("multiply, [2,3,4]*[2,1,4]", [[2, 3, 4], [2, 1, 4]], { try $0[0] * $0[1] }),
        ("divide, [3,4]/[4]", [[3, 4], [4]], { try $0[0] / ($0[1] + 2.5) }),
        ("divide, equal shapes", [[2, 3], [2, 3]], { try $0[0] / ($0[1] - 2) }),
        ("scale, add constant, negate", [[2, 3]], { -(3 * $0[0] + 1) / 4 }),
        ("matmul nn", [[3, 4], [4, 5]], { try $0[0].matmul($0[1], .nn) }),
        ("matmul tn", [[4, 3], [4, 5]], { try $0[0].matmul($0[1], .tn) }),
        ("matmul nt", [[3, 4], [5, 4]], { try $0[0].matmul($0[1], .nt) }),
        ("sum of all", [[2, 3, 4]], { $0[0].sum() }),
        ("mean of all", [[2, 3, 4]], { $0[0].mean() }),
        ("sum axis 0", [[2, 3, 4]], { try $0[0].sum(axis: 0) }),
        ("sum axis 1", [[2, 3, 4]], { try $0[0].sum(axis: 1) }),
        ("sum axis 2", [[2, 3, 4]], { try $0[0].sum(axis: 2) }),
        ("sum axis -1, kept", [[3, 4]], { try $0[0].sum(axis: -1, keepingDimension: true) }),
        ("sum axis 0 of a matrix", [[3, 4]], { try $0[0].sum(axis: 0) }),
        ("mean axis 0", [[2, 3, 4]], { try $0[0].mean(axis: 0) }),
        ("mean axis 1", [[2, 3, 4]], { try $0[0].mean(axis: 1) }),
        ("mean axis 2, kept", [[2, 3, 4]], { try $0[0].mean(axis: 2, keepingDimension: true) }),
        ("exp", [[2, 3]], { $0[0].exp() }),
        ("log", [[2, 3]], { ($0[0] + 2).log() }),
        ("tanh", [[2, 3]], { $0[0].tanh() }),
        ("sigmoid", [[2, 3]], { $0[0].sigmoid() }),
        ("relu", [[2, 3]], { $0[0].relu() }),
        ("leaky relu", [[2, 3]], { $0[0].map(.leakyRelu(slope: 0.1)) }),
        ("gelu", [[2, 3]], { ($0[0] * 2).gelu() }),
        ("gelu (tanh form)", [[2, 3]], { $0[0].map(.geluTanh) }),
        ("power 3", [[2, 3]], { $0[0].power(3) }),
        ("power 2.5", [[2, 3]], { ($0[0] + 2).power(2.5) }),
        ("softmax", [[3, 5]], { try ($0[0] * 3).softmax() }),
        ("softmax, rank 3", [[2, 3, 4]], { try $0[0].softmax() }),
        ("log-softmax", [[3, 5]], { try ($0[0] * 3).logSoftmax() }),
        ("log-softmax, rank 3", [[2, 3, 4]], { try $0[0].logSoftmax() }),
        ("cross-entropy", [[4, 5]], { try ($0[0] * 3).crossEntropy(targets: [1, 0, 4, 1]) }),
        ("reshape", [[2, 6]], { try $0[0].reshaped([3, 4]) }),
        ("transpose", [[2, 5]], { try $0[0].transposed() }),
        ("transpose last two axes", [[2, 3, 4]], { try $0[0].transposed() }),
        ("gather rows, one repeated", [[5, 3]], { try $0[0].gather(rows: [4, 0, 4, 2]) }),
        ("concatenate along axis 1", [[2, 3], [2, 2]], { try V.concatenated([$0[0], $0[1]], axis: 1) }),
        ("concatenate along axis 0", [[2, 3], [1, 3]], { try V.concatenated([$0[0], $0[1]], axis: 0) }),
        ("concatenate rank 3, axis 1, a part used twice", [[2, 1, 3], [2, 2, 3]],
         { try V.concatenated([$0[0], $0[1], $0[0]], axis: 1) }),
        ("slice axis 1", [[2, 5, 3]], { try $0[0].slice(axis: 1, 1..<4) }),
        ("slice axis 0", [[4, 3]], { try $0[0].slice(axis: 0, 2..<4) }),
        ("dropout (a fixed seeded mask)", [[4, 5]], { var rng = SeededRandom(seed: 5); return try $0[0].dropout(0.3, rng: &rng) }),
        ("a value used twice: x·x + x", [[3, 4]], { try $0[0] * $0[0] + $0[0] }),
        ("shared subexpressions", [[3, 4], [4, 2]], { x in
            let s = try x[0].matmul(x[1]).tanh()
            return try (s * s).sum() + s.mean() + (s.sigmoid() * s).sum(axis: 0).sum()
        }),
        ("a small network with every kind of step", [[4, 3], [5, 3], [5], [5, 2]], { x in
            let h = try (x[0].matmul(x[1], .nt) + x[2]).tanh()           // [4, 5]
            let z = try h.matmul(x[3])                                     // [4, 2]
            let both = try V.concatenated([z, try z.slice(axis: 1, 0..<1)], axis: 1)  // [4, 3]
            return try both.logSoftmax().mean() + both.crossEntropy(targets: [0, 2, 1, 1])
        }),
        // the fused LSTM cell (Variable+LSTMCell.swift): both outputs, one output, two steps chained
        ("fused LSTM cell, h and c", [[3, 16], [3, 4]], { x in
            let s = try V.lstmCell(gates: x[0] * 2, cell: x[1])
            return try V.concatenated([s.h, s.c], axis: 1)
        }),
        ("fused LSTM cell, h only (c′ unused)", [[2, 12], [2, 3]], { try V.lstmCell(gates: $0[0] * 2, cell: $0[1]).h }),
        ("fused LSTM cells, two steps", [[2, 8], [2, 8], [2, 2]], { x in
            let s1 = try V.lstmCell(gates: x[0], cell: x[2])
            let s2 = try V.lstmCell(gates: x[1] + V.concatenated([s1.h, s1.c, s1.h, s1.h], axis: 1), cell: s1.c)
            return try V.concatenated([s2.h, s2.c, s1.h], axis: 1)
        }),
    ]

    @Test("each operation's backward matches centered finite differences (Double)", arguments: 0..<cases.count)
    func operation(index: Int) throws {
        let (name, shapes, f) = Self.cases[index]
        try checkGradients(name, shapes, f)
    }

    @Test("the SIMD backend's gradients pass the same check (Double)", arguments: [15, 17, 22, 34, 38, 42, 55])
    func simdBackend(index: Int) throws {
        let (name, shapes, f) = Self.cases[index]
        try checkGradients(name + " (simd)", shapes, backend: .simd, f)
    }
}
