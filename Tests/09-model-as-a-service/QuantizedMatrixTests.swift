// The int8 matrix: quantization by the definition (s_j = max|W_j|/127,
// q = round(W/s)), the per-weight bound |W − s q| ≤ s/2, the SIMD twin
// against the naive twin (shapes with tails, and big enough for two cores),
// and the output bound |y − ŷ| ≤ (s_j/2)‖x‖₁ on random inputs and on an
// adversarial input that reaches it.

import BackpropCore
import Foundation
import Testing
@testable import ModelAsAService

@Suite struct QuantizedMatrixTests {
    static func random(_ n: Int, seed: UInt64, scale: Double = 1) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in Float(rng.normal() * scale) }
    }

    @Test("scales and levels by the definition, worked by hand; a zero row has scale 0")
    func handWorked() throws {
        // row 0: max 1 → s = 1/127; 1 → 127, −0.4 → −50.8 → −51, 0.25 → 31.75 → 32
        // row 1: max 31.75 → s = 0.25; −31.75 → −127, 0.125 → 0.5 → 1 and −0.375 → −1.5 → −2 (ties away
        // from zero), 0.3 → 1.2 → 1
        let m = try QuantizedMatrix([1, -0.4, 0.25, 0, -31.75, 0.125, -0.375, 0.3, 0, 0, 0, 0], rows: 3, columns: 4)
        #expect(m.values == [127, -51, 32, 0, -127, 1, -2, 1, 0, 0, 0, 0])
        #expect(abs(m.scales[0] - 1.0 / 127) < 1e-9 && m.scales[1] == 0.25 && m.scales[2] == 0)
        #expect(m.byteCount == 12 + 3 * 4 && m.floatByteCount == 48)
    }

    @Test("typed errors: wrong count, a non-finite weight")
    func errors() {
        #expect(throws: QuantizationError.shape(expected: [2, 3], count: 5)) { try QuantizedMatrix([1, 2, 3, 4, 5], rows: 2, columns: 3) }
        #expect(throws: QuantizationError.nonFinite(row: 1, column: 0)) { try QuantizedMatrix([1, 2, .nan, 4], rows: 2, columns: 2) }
        #expect(throws: QuantizationError.unknownFormat("int4", known: ["float32", "int8"])) { try WeightFormat(parsing: "int4") }
    }

    @Test("every weight within s_j/2 of its dequantized value; levels in −127…127, each row reaching ±127")
    func perWeightBound() throws {
        let (rows, cols) = (37, 53)
        let w = Self.random(rows * cols, seed: 901, scale: 0.3)
        let m = try QuantizedMatrix(w, rows: rows, columns: cols)
        let wh = m.dequantized()
        for j in 0..<rows {
            let s = m.scales[j]
            #expect(abs(s - w[(j * cols)..<((j + 1) * cols)].map(abs).max()! / 127) <= 1e-7 * s)
            #expect(m.values[(j * cols)..<((j + 1) * cols)].map { abs(Int($0)) }.max() == 127)
            for i in 0..<cols { #expect(abs(w[j * cols + i] - wh[j * cols + i]) <= s / 2 * (1 + 1e-5)) }
        }
        #expect(m.values.allSatisfy { $0 >= -127 })
    }

    @Test("the SIMD twin equals the naive twin up to the order of float sums",
          arguments: [(1, 1), (3, 33), (5, 7), (13, 37), (64, 16), (128, 128), (384, 128), (128, 512), (65, 200)])
    func twinsAgree(rows: Int, cols: Int) throws {
        let m = try QuantizedMatrix(Self.random(rows * cols, seed: UInt64(rows * 1000 + cols)), rows: rows, columns: cols)
        let x = Self.random(cols, seed: 902), b = Self.random(rows, seed: 903)
        let (fast, slow) = (m.multiply(x, bias: b), m.multiplyNaive(x, bias: b))
        for j in 0..<rows {
            // Two float sums of the same n terms differ by at most 2·n·2⁻²⁴·Σ|terms| (plus the scale and bias roundings).
            let terms = (0..<cols).reduce(Float(0)) { $0 + abs(Float(m.values[j * cols + $1]) * x[$1]) }
            let tolerance = 2 * Float(cols + 2) * 0x1p-24 * (m.scales[j] * terms + abs(b[j])) + 1e-30
            #expect(abs(fast[j] - slow[j]) <= tolerance, "row \(j): \(fast[j]) vs \(slow[j])")
        }
    }

    @Test("the batched product (a prefill's rows, through the GEMM) equals the naive twin row by row")
    func rowsAgree() throws {
        let (rows, cols, m) = (96, 40, 7)
        let w = try QuantizedMatrix(Self.random(rows * cols, seed: 907), rows: rows, columns: cols)
        let x = Self.random(m * cols, seed: 908), b = Self.random(rows, seed: 909)
        let batched = w.multiply(rows: x, bias: b)
        for r in 0..<m {
            let xr = Array(x[(r * cols)..<((r + 1) * cols)]), slow = w.multiplyNaive(xr, bias: b)
            for j in 0..<rows {
                let terms = (0..<cols).reduce(Float(0)) { $0 + abs(Float(w.values[j * cols + $1]) * xr[$1]) }
                #expect(abs(batched[r * rows + j] - slow[j]) <= 2 * Float(cols + 2) * 0x1p-24 * (w.scales[j] * terms + abs(b[j])))
            }
        }
    }

    /// |y_j − ŷ_j| against (s_j/2)‖x‖₁ plus the float rounding of ŷ's sum
    /// (n·2⁻²⁴·s_j·Σ|q x|, doubled for safety); y in Double from W itself.
    static func checkBound(_ w: [Float], _ x: [Float], rows: Int, cols: Int) throws -> [(error: Double, bound: Double)] {
        let m = try QuantizedMatrix(w, rows: rows, columns: cols)
        let yh = m.multiply(x)
        let l1 = x.reduce(0.0) { $0 + abs(Double($1)) }
        return (0..<rows).map { j in
            let y = (0..<cols).reduce(0.0) { $0 + Double(w[j * cols + $1]) * Double(x[$1]) }
            let rounding = 2 * Double(cols) * 0x1p-24 * (0..<cols).reduce(0.0) { $0 + abs(Double(m.scales[j]) * Double(m.values[j * cols + $1]) * Double(x[$1])) }
            let bound = Double(m.scales[j]) / 2 * l1
            #expect(abs(y - Double(yh[j])) <= bound + rounding, "row \(j)")
            return (abs(y - Double(yh[j])), bound)
        }
    }

    @Test("|y_j − ŷ_j| ≤ (s_j/2)‖x‖₁ on random inputs", arguments: [(8, 128), (96, 384), (128, 512)])
    func outputBoundRandom(rows: Int, cols: Int) throws {
        _ = try Self.checkBound(Self.random(rows * cols, seed: 904, scale: 0.1), Self.random(cols, seed: 905, scale: 3), rows: rows, cols: cols)
    }

    @Test("an adversarial input reaches the bound: weights halfway between levels, x_i against each error's sign")
    func outputBoundAdversarial() throws {
        // s = 2⁻⁷ exactly: W_j0 = 127·s, the others (k + ½)·s, so W/s = k + ½ exactly and
        // rounding away from zero errs by s/2: W − s q = −s/2 for W > 0, +s/2 for W < 0.
        // x_i = −1 for W > 0 and +1 for W < 0 adds every error: y − ŷ = (n − 1)·s/2, bound n·s/2.
        let (rows, cols) = (4, 64), s: Float = 0x1p-7
        var rng = SeededRandom(seed: 906)
        var w = [Float](), x = [Float](repeating: 0, count: cols)
        for _ in 0..<rows {
            w.append(127 * s)
            for _ in 1..<cols { w.append((Float(Int(rng.uniform(-126, 126).rounded(.down))) + 0.5) * s) }
        }
        let row0 = Array(w[0..<cols])
        x[0] = 1
        for i in 1..<cols { x[i] = row0[i] > 0 ? -1 : 1 }
        let results = try Self.checkBound(row0, x, rows: 1, cols: cols)
        let expected = Double(cols - 1) * Double(s) / 2
        #expect(abs(results[0].error - expected) <= 1e-6 && results[0].bound == Double(cols) * Double(s) / 2)
        _ = try QuantizedMatrix(w, rows: rows, columns: cols)   // all rows quantize (the same construction)
    }
}
