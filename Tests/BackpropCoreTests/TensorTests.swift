// Tensor construction, shape errors and the shape-checked operations.

import BackpropCore
import Foundation
import Testing

@Suite struct TensorTests {
    @Test func rowMajorLayout() throws {
        let t = try Tensor<Float>(rows: [[1, 2, 3], [4, 5, 6]])
        #expect(t.shape == [2, 3])
        #expect(t[1, 0] == 4 && t[0, 2] == 3)
        #expect(try t.transposed().scalars == [1, 4, 2, 5, 3, 6])
        #expect(t.rows([1, 0]).scalars == [4, 5, 6, 1, 2, 3])
        #expect(try t.reshaped([3, 2])[2, 1] == 6)
    }

    @Test func constructionErrorsNameTheProblem() {
        let count = #expect(throws: TensorError.self) { try Tensor<Float>(shape: [2, 3], scalars: [1, 2]) }
        #expect(count?.description == "tensor of shape [2, 3] needs 6 elements, got 2")
        #expect(throws: TensorError.self) { try Tensor<Float>(shape: [-1], scalars: []) }
        #expect(throws: TensorError.self) { try Tensor<Float>(rows: [[1, 2], [3]]) }
        #expect(throws: TensorError.self) { try Tensor<Float>(rows: [[1, 2]]).reshaped([3]) }
    }

    @Test("matmul shape errors name both shapes", arguments: MatmulLayout.allCases)
    func matmulShapeError(layout: MatmulLayout) throws {
        let a = try Tensor<Float>.zeros([2, 3]), b = try Tensor<Float>.zeros([4, 5])
        let error = #expect(throws: TensorError.self) { try Tensor.matmul(a, b, layout) }
        #expect(error?.description.contains("[2, 3]") == true && error?.description.contains("[4, 5]") == true)
        #expect(throws: TensorError.self) { try Tensor.matmul(Tensor<Float>([1, 2]), b, layout) }
    }

    /// [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]] (worked by hand), and
    /// the transposed layouts give the products of the transposes.
    @Test("matmul in all three layouts, both kernel sets", arguments: [Backend.naive, .simd])
    func matmulByHand(backend: Backend) throws {
        let a = try Tensor<Double>(rows: [[1, 2], [3, 4]]), b = try Tensor<Double>(rows: [[5, 6], [7, 8]])
        let k = backend
        #expect(try Tensor.matmul(a, b, .nn, backend: k).scalars == [19, 22, 43, 50])
        #expect(try Tensor.matmul(a, b, .tn, backend: k).scalars == [26, 30, 38, 44])  // Aᵀ·B
        #expect(try Tensor.matmul(a, b, .nt, backend: k).scalars == [17, 23, 39, 53])  // A·Bᵀ
    }

    @Test func elementwiseOperations() throws {
        let x = Tensor<Float>([1, -2, 3]), y = Tensor<Float>([4, 5, -6])
        #expect(try x.adding(y).scalars == [5, 3, -3])
        #expect(try x.multiplying(y).scalars == [4, -10, -18])
        #expect(try x.addingScaled(y, by: 0.5).scalars == [3, 0.5, 0])
        #expect(x.scaled(by: -1).scalars == [-1, 2, -3])
        #expect(x.mapped(.relu).scalars == [1, 0, 3])
        #expect(throws: TensorError.self) { try x.adding(Tensor<Float>([1])) }
        let m = try Tensor<Float>(rows: [[1, 2], [3, 4], [5, 6]])
        #expect(try m.addingRowVector(Tensor([10, 20])).scalars == [11, 22, 13, 24, 15, 26])
        #expect(try m.rowSums().scalars == [3, 7, 11])
        #expect(try m.columnSums().scalars == [9, 12])
        #expect(try m.rowMaxima().scalars == [2, 4, 6])
        #expect(throws: TensorError.self) { try m.addingRowVector(Tensor([1, 2, 3])) }
    }

    /// softmax(0, ln 3) = (1/4, 3/4); adding 1000 to a row must not change it
    /// (the max is subtracted first, so nothing overflows).
    @Test func softmaxIsStable() throws {
        let x = try Tensor<Double>(rows: [[0, log(3)], [1000, 1000 + log(3)]])
        let y = try x.softmaxRows()
        for row in 0..<2 {
            #expect(abs(y[row, 0] - 0.25) < 1e-12 && abs(y[row, 1] - 0.75) < 1e-12)
        }
    }
}

/// Tensor.isFinite (checked on every gradient of every training step) sums
/// x − x in four vector accumulators: one NaN or ±∞ anywhere — in the
/// vector body or the scalar tail, Float or Double — must make it false.
@Suite struct TensorIsFiniteTests {
    @Test("one non-finite value anywhere is found", arguments: [Float.nan, .infinity, -.infinity])
    func findsNonFinite(_ bad: Float) throws {
        for count in [1, 7, 31, 32, 33, 100] {
            #expect(try Tensor<Float>(shape: [count], repeating: 1e30).isFinite)
            for position in Set([0, count / 2, count - 1]) {
                var f = try Tensor<Float>(shape: [count], repeating: 2)
                f.scalars[position] = bad
                #expect(!f.isFinite, "Float n = \(count), at \(position)")
                var d = try Tensor<Double>(shape: [count], repeating: 2)
                d.scalars[position] = Double(bad)
                #expect(!d.isFinite, "Double n = \(count), at \(position)")
            }
        }
        #expect(try Tensor<Float>(shape: [0], repeating: 0).isFinite)
    }
}
