// Refilling a KV cache after the window slides, without the work nobody reads.
//
// When a sequence outgrows the context, its window slides by half a context
// and the cache is refilled from the new window (KVCacheDecoding.swift):
// about T/2 + 1 positions through the whole model every T/2 generated
// tokens, as much work again as the decoding itself. The refill used to be
// the model's forward pass, which computes everything for every position.
// Only two things of it are read afterwards:
//
//   the cache     K, V of every position in every block  (the qkv product of each block)
//   the logits    after the window's last token          (one row through the head)
//
// So the last block needs its qkv for every position (its K and V), but
// its attention output, projection, MLP and residuals only for the last
// position, and the final LayerNorm and the tied head (h Eᵀ) only for that
// row too:
//
//   blocks 1 … L−1   every row, as in `forward`          [k·n, C]
//   block L          LN₁, qkv product on every row;      K, V → cache
//                    attention on every row (its causal mask makes the
//                    last row's output that of the full pass);
//                    then the last row of each window only: projection,
//                    residual, LN₂, MLP, residual         [k, C]
//   head             LN_f, h Eᵀ on those k rows           [k, V]
//
// For the baby GPT (4 blocks, 33 positions per refill) this skips 3/4 of
// the last block's weight products on 32 of the 33 rows, the
// final LayerNorm and logits of 32 rows, and every intermediate the
// training pass would keep for backward.
//
// Same numbers. Every step here is the kernel the forward pass uses (the
// layers' own `forward`, the packed GEMM for the products), and each of
// them computes a row from that row alone, in an order that does not depend
// on how many rows the product has (the GEMM sums each output over the
// depth in the same blocks whatever M is; LayerNorm, GELU and the adds are
// row-wise or elementwise). So the cache and the last logits are bit for
// bit those of the full forward pass (tested), and a window refilled alone
// or with others of its length (`prefill(batch:)`) gets the same ones.

import BackpropCore
import Backpropagation
import RecurrentNetworks

extension GPT {
    /// Fills caches[b] with windows[b] (all of one length n ≤ context, k ≥ 1
    /// windows) and returns each window's logits [V] after its last token:
    /// the forward pass over [k, n] without what only the other rows'
    /// logits would need (see the file header). The library's attention
    /// only: a replaced attention (exercise 7.5) keeps no K, V of this kind.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func refill(_ windows: [[Int]], caches: inout [KVCache<Scalar>]) throws -> [[Scalar]] {
        let k = windows.count, n = windows[0].count, c = config.width, v = config.vocabulary.count
        precondition(k == caches.count && windows.allSatisfy { $0.count == n } && n >= 1 && n <= config.context,
                     "refill: one window per cache, of one length within the context")
        var x = try tokenEmbedding.forward(try Embedding.ids(windows.flatMap { $0 }, shape: [k, n]), mode: .inference).output  // [k, n, C]
        positionEmbedding.value.scalars.withUnsafeBufferPointer { p in                 // x += P[t], as `forward` adds it
            x.scalars.withUnsafeMutableBufferPointer { px in
                for b in 0..<k {
                    backend.kernels.add(count: n * c, px.baseAddress! + b * n * c, p.baseAddress!, px.baseAddress! + b * n * c)
                }
            }
        }
        for b in 0..<k { caches[b].reset() }
        for (l, block) in blocks.enumerated() {
            let n1 = try block.norm1.forward(x, mode: .inference).output                  // [k, n, C]
            let qkv = try block.attention.qkv.forward(n1, mode: .inference).output         // [k, n, 3C]
            qkv.scalars.withUnsafeBufferPointer { q in
                for b in 0..<k {
                    let rows = q.baseAddress! + b * n * 3 * c
                    caches[b].keys[l].withUnsafeMutableBufferPointer { keys in
                        for t in 0..<n { (keys.baseAddress! + t * c).update(from: rows + t * 3 * c + c, count: c) }
                    }
                    caches[b].values[l].withUnsafeMutableBufferPointer { values in
                        for t in 0..<n { (values.baseAddress! + t * c).update(from: rows + t * 3 * c + 2 * c, count: c) }
                    }
                }
            }
            var attended = try block.attention.attention.forward(qkv, mode: .inference).output  // [k, n, C]
            if l == blocks.count - 1 && n > 1 {
                // The last block: from here on only each window's last row is read.
                x = try Self.lastRows(x, windows: k, length: n, width: c)                  // [k, C]
                attended = try Self.lastRows(attended, windows: k, length: n, width: c)
            }
            let u = try x.adding(try block.attention.output.forward(attended, mode: .inference).output, backend: backend)
            let h = try block.expand.forward(try block.norm2.forward(u, mode: .inference).output, mode: .inference).output
            x = try u.adding(try block.contract.forward(try block.gelu.forward(h, mode: .inference).output, mode: .inference).output,
                             backend: backend)
        }
        for b in 0..<k { caches[b].count = n }
        if blocks.isEmpty { x = try Self.lastRows(x, windows: k, length: n, width: c) }
        let hidden = try finalNorm.forward(try x.reshaped([k, c]), mode: .inference).output               // [k, C]
        let logits = try Tensor.matmul(hidden, tokenEmbedding.weight.value, .nt, backend: backend).scalars  // [k, V]
        return (0..<k).map { Array(logits[($0 * v)..<(($0 + 1) * v)]) }
    }

    /// Row n−1 of each of the k windows of `x` [k, n, C]: [k, C].
    static func lastRows(_ x: Tensor<Scalar>, windows k: Int, length n: Int, width c: Int) throws -> Tensor<Scalar> {
        var out = [Scalar](repeating: 0, count: k * c)
        x.scalars.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                for b in 0..<k { (po.baseAddress! + b * c).update(from: px.baseAddress! + (b * n + n - 1) * c, count: c) }
            }
        }
        return try Tensor(shape: [k, c], scalars: out)
    }
}
