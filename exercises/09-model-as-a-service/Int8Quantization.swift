// Exercise 9.9 — int8 quantization and its error bound
// (chapters/09-model-as-a-service.md, "Smaller weights: int8 inference").
//
// Weight-only quantization stores a weight matrix W [rows][columns] as 8-bit
// integers with one float scale per row (per output channel), and keeps
// everything else in Float. Write the three pieces.
//
// 1. quantizeInt8: for each row w of W,
//
//        s = max_i |w_i| / 127                (computed in Float)
//        q_i = round(w_i / s), clamped to −127 … 127
//
//    with round to the nearest integer, halfway cases away from zero (2.5 → 3,
//    −2.5 → −3), computing w_i / s in Float. Symmetric: no offset, and −128 is
//    never a level. A row of zeros has s = 0 and q = 0: do not divide by
//    zero. Return the scales [rows] and the levels [rows][columns].
//
// 2. dequantizeInt8: ŵ_i = s · q_i, back to Float, row by row.
//
// 3. int8ErrorBound: for one row w and an input x of the same length, the
//    quantized product ŷ = Σ_i ŵ_i x_i differs from y = Σ_i w_i x_i. Derive
//    a bound B on |y − ŷ| from the largest error rounding can make on one
//    weight, and return it. B may use x, and the row only through its scale
//    s (two rows with the same scale and length get the same bound: it bounds
//    every row of that scale, it does not measure this one). It must hold in
//    exact arithmetic for every row and every x, and it must be tight: when
//    every weight's rounding error is as large as it can be and each x_i has
//    the sign that makes the errors add up, |y − ŷ| reaches it, or nearly.
//    (The float rounding of the sums themselves is not part of B.)
//
// The grader checks the levels and scales against the definition (ties in
// both directions, signs, a negative largest weight, rows of very different
// sizes, rows of zeros, a single column, random matrices), dequantization
// exactly, and the bound on random and adversarial rows and inputs (it must
// never be below the true error, computed in Double, by more than 10⁻⁴ of
// itself) and on a worst case it builds, where the true error must reach
// 99.9% of it.
//
// Replace the three `throw`s with your code, then run:
//   swift test --package-path exercises/09-model-as-a-service --filter Chapter09Exercises/int8Quantization

import ExerciseKit

public func quantizeInt8(_ weights: [[Float]]) throws -> (scales: [Float], levels: [[Int8]]) {
    throw NotAttempted()
}

public func dequantizeInt8(scales: [Float], levels: [[Int8]]) throws -> [[Float]] {
    throw NotAttempted()
}

public func int8ErrorBound(x: [Float], row: [Float]) throws -> Float {
    throw NotAttempted()
}
