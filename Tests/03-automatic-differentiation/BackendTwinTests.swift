// The engine on the naive and the SIMD kernels computes the same values
// and gradients (Float). The twins differ in summation order, FMA rounding
// and the SIMD polynomial exp behind softmax, sigmoid and GELU (relative
// error ~1e-7 by VectorMath's bounds), so results agree to a few Float
// ulps; 1e-5 relative (to max(1, |x|)) is asserted.

import AutomaticDifferentiation
import BackpropCore
import TestSupport
import Testing

@Suite struct BackendTwinTests {
    nonisolated(unsafe) static let cases: [(String, [[Int]], ([Variable<Float>]) throws -> Variable<Float>)] = [
        ("matmul nn, broadcast add, relu", [[9, 17], [17, 11], [11]], { try ($0[0].matmul($0[1]) + $0[2]).relu() }),
        ("matmul tn, tanh", [[17, 9], [17, 11]], { try $0[0].matmul($0[1], .tn).tanh() }),
        ("matmul nt, sigmoid", [[9, 17], [11, 17]], { try $0[0].matmul($0[1], .nt).sigmoid() }),
        ("gelu, multiply", [[7, 13], [7, 13]], { try $0[0].gelu() * $0[1] }),
        ("exp, sums", [[6, 5, 4]], { try $0[0].exp().sum(axis: 1) }),
        ("softmax", [[8, 19]], { try ($0[0] * 4).softmax() }),
        ("log-softmax, column broadcast", [[8, 19], [8, 1]], { try ($0[0] * $0[1]).logSoftmax() }),
        ("cross-entropy", [[16, 10]], { try ($0[0] * 3).crossEntropy(targets: (0..<16).map { $0 % 10 }) }),
        ("subtract, mean over axis 0", [[12, 33], [33]], { try ($0[0] - $0[1]).mean(axis: 0) }),
        // a weight shared by several products: on .simd packed once, ∂W one batched product (Tape+SharedWeights.swift)
        ("a weight shared by three nt products", [[5, 17], [7, 17], [3, 17], [19, 17]], {
            try Variable.concatenated([$0[0].matmul($0[3], .nt), $0[1].matmul($0[3], .nt), $0[2].matmul($0[3], .nt).tanh()], axis: 0)
        }),
        ("a weight shared by nn products, chained, and used elsewhere", [[6, 21], [21, 21], [21]], {
            let h = try $0[0].matmul($0[1]).tanh().matmul($0[1]).sigmoid().matmul($0[1])
            return try h + ($0[1] * $0[1]).sum(axis: 0) + $0[2]
        }),
        ("a square weight used in both layouts", [[4, 16], [16, 16]], {
            try $0[0].matmul($0[1], .nt).matmul($0[1]).matmul($0[1], .nt)
        }),
        // the fused LSTM cell, H = 20: two vectors of eight lanes and a tail of four
        ("fused LSTM cell, two steps", [[5, 80], [5, 80], [5, 20]], {
            let s1 = try Variable.lstmCell(gates: $0[0] * 2, cell: $0[2])
            let s2 = try Variable.lstmCell(gates: $0[1], cell: s1.c)
            return try Variable.concatenated([s2.h, s2.c, s1.h], axis: 1)
        }),
    ]

    @Test("each operation gives the same values and gradients on .naive and .simd", arguments: 0..<cases.count)
    func twins(index: Int) throws {
        let (name, shapes, f) = Self.cases[index]
        var results: [[Tensor<Float>]] = []
        for backend in Backend.allCases {
            let tape = Tape<Float>(backend: backend)
            let leaves = shapes.enumerated().map { tape.variable(randomTensor($1, seed: 20 &+ UInt64($0)).converted(to: Float.self)) }
            let y = try f(leaves)
            try y.backward(seed: randomTensor(y.shape, seed: 99).converted())
            results.append([y.value] + leaves.map { $0.grad! })
        }
        for (i, (a, b)) in zip(results[0], results[1]).enumerated() {
            #expect(maxRelativeDifference(a, b) < 1e-5, "\(name): \(i == 0 ? "output" : "gradient of input \(i - 1)")")
        }
    }
}
