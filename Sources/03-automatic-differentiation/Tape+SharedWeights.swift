// A weight used many times on one tape: packed once, its gradient products
// batched into one. The first of the things a framework adds to the plain
// engine for speed (the chapter's "what frameworks add"), here because the
// char-LSTM written with the engine (chapter 6, CharRNN+Engine.swift) makes
// 64 products with the same W_hh per step, and its tape cost 2.8× the
// hand-written step without it.
//
// Forward: a leaf B used as the weight of `matmul` (layouts .nn and .nt)
// for the second time or later on a tape is multiplied through a packed copy
// (`PackedWeight`, BackpropCore), made once and kept until backward ends —
// instead of the core GEMM repacking all of B (1 MiB for W_hh) on every call.
// Backward: ∂A of those products uses a packed copy of B in the other
// orientation, and ∂B is not computed product by product. Every product
// t contributes Xₜᵀ·Yₜ to ∂B (X = g, Y = A for .nt; X = A, Y = g for .nn),
// and since
//
//     Σₜ Xₜᵀ·Yₜ = [X₁; X₂; …]ᵀ · [Y₁; Y₂; …]        (rows stacked)
//
// the tape keeps the pairs and, when the reverse sweep reaches B's own
// record (every use of B comes after it, so all pairs have arrived), makes
// one product of depth Σₜ mₜ: for W_hh one [1024 × 2048]·[2048 × 256]
// product instead of 64 of depth 32, each of which read and wrote all of
// ∂W_hh. The sums are the same numbers grouped differently (exactly as in
// chapter 6's hand-written BPTT).
//
// Only Float on the SIMD backend (`PackedWeight` is a SIMD kernel); the
// naive twin and Double tapes take the plain path, and a weight used once
// (every weight of the MLP) is untouched, so its results stay bit-identical
// to the hand-written model's.

import BackpropCore

extension Tape {
    /// Whether products on this tape may use packed weights (Float, SIMD).
    var packsWeights: Bool { backend == .simd && Scalar.self == Float.self }

    /// Counts one more use of `node` as the weight of a product; true if it
    /// is a leaf used before on this tape and the tape packs weights.
    func reusesWeight(_ node: Int?) -> Bool {
        guard let node, packsWeights, case .leaf = records[node].kind else { return false }
        weightUses[node, default: 0] += 1
        return weightUses[node]! > 1
    }

    /// Whether `node` is a weight used more than once (during backward).
    func isSharedWeight(_ node: Int?) -> Bool {
        guard let node, packsWeights else { return false }
        return weightUses[node, default: 0] > 1
    }

    /// The packed B' = Wᵀ (`transposed`, W stored [n, k]) or B' = W (W stored
    /// [k, n]) of the leaf `node` holding W, made on first request.
    func packedWeight(_ node: Int, _ w: Tensor<Scalar>, k: Int, n: Int, transposed: Bool) -> PackedWeight {
        let key = PackKey(node: node, transposed: transposed)
        if let packed = packedWeights[key] { return packed }
        let packed = w.withUnsafeBufferPointer { PackedWeight(Self.floats($0.baseAddress!), k: k, n: n, transposed: transposed) }
        packedWeights[key] = packed
        return packed
    }

    /// C [m, n] (+)= A [m, k]·B' through a packed weight: the rows in two
    /// halves, one on this thread and one on the spin team's helper.
    ///
    /// Why the spin team: each such product is small (for the char-LSTM
    /// [32 × 256]·[256 × 1024], 17 MFLOP) and a step makes 128
    /// of them, one after another, because every one depends on the one
    /// before. Dispatch's hand-off (`concurrentPerform`, which `PackedWeight`
    /// uses on its own) wakes a worker through the kernel each time, 5–20 µs;
    /// the spin team's helper waits spinning, so a hand-off is a cache-line
    /// transfer, and if it is not running (a loaded machine) the caller does
    /// both halves itself. This is chapter 6's split (halves of the batch,
    /// each on one core, `threads: 1`), made per product because the tape
    /// runs one operation at a time. Each element of C is the same sum
    /// whichever half computes it.
    static func multiply(_ packed: PackedWeight, _ a: UnsafePointer<Scalar>, m: Int, _ c: UnsafeMutablePointer<Scalar>,
                         accumulate: Bool) {
        let (a, c) = (floats(a), UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self))
        guard m >= 8, let team = SpinTeam.shared else { return packed.multiply(a, m: m, c, accumulate: accumulate) }
        let (k, n) = (packed.k, packed.n)
        let job = Halves((a, c))
        team.run(chunks: 2) { half in
            let (a, c) = job.value
            let r0 = half == 0 ? 0 : m / 2, rows = half == 0 ? m / 2 : m - m / 2
            packed.multiply(a + r0 * k, m: rows, c + r0 * n, accumulate: accumulate, threads: 1)
        }
    }

    /// Keeps the pair (X, Y) of a product whose contribution to ∂B of the
    /// shared weight `node` is Xᵀ·Y, for `flushWeightGradient`.
    func deferWeightGradient(_ node: Int, x: Tensor<Scalar>, y: Tensor<Scalar>) {
        deferredWeightGradients[node, default: []].append((x, y))
    }

    /// Adds Σₜ Xₜᵀ·Yₜ of the pairs kept for `node` into its gradient, as one
    /// product over the stacked rows (see the top of this file).
    func flushWeightGradient(_ node: Int) {
        guard let pairs = deferredWeightGradients.removeValue(forKey: node), let first = pairs.first else { return }
        let (p, q) = (first.x.shape[1], first.y.shape[1])
        let rows = pairs.reduce(0) { $0 + $1.x.shape[0] }
        let x = Self.stacked(pairs.map(\.x), rows: rows, columns: p), y = Self.stacked(pairs.map(\.y), rows: rows, columns: q)
        let packedY = PackedWeight(y, k: rows, n: q, transposed: false)
        y.deallocate()
        defer { x.deallocate() }
        accumulate(node) { out, acc in
            packedY.multiplyTransposed(x, lda: p, m: p, UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self),
                                       accumulate: acc)
        }
    }

    /// The rows of `parts` (each [mₜ, columns]) one under another, as Float.
    private static func stacked(_ parts: [Tensor<Scalar>], rows: Int, columns: Int) -> UnsafeMutablePointer<Float> {
        let out = UnsafeMutablePointer<Float>.allocate(capacity: rows * columns)
        var at = out
        for part in parts {
            part.withUnsafeBufferPointer { at.update(from: floats($0.baseAddress!), count: $0.count) }
            at += part.count
        }
        return out
    }

    @inline(__always)
    static func floats(_ p: UnsafePointer<Scalar>) -> UnsafePointer<Float> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
    }

    /// How many packed copies of weights the tape holds (for tests).
    public var packedWeightCount: Int { packedWeights.count }
}

/// Pointers shared by the two halves of a product, which write disjoint rows.
struct Halves<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A packed copy of a leaf: which leaf, and which orientation of it.
struct PackKey: Hashable {
    let node: Int
    let transposed: Bool
}
