// A batched decoding step on both cores.
//
// Every row of a batched step (BatchedDecoding.swift) is computed as if it
// were alone: its products sum each output in an order that does not depend
// on the other rows, its attention reads only its own cache. So the batch
// can be cut anywhere and the pieces stepped at once on different threads
// with the same numbers, bit for bit. Here the cut is in two halves, one on
// the calling thread and one on BackpropCore's SpinTeam helper:
//
//   step      rows 0 ..< B/2   on the caller      (its own products, attention, …)
//             rows B/2 ..< B   on the helper      (the same, at the same time)
//             one hand-off per step (~0.3 µs when the helper spins), one join
//
// Cutting the batch rather than each product keeps the hand-offs to one per
// step instead of one per product (21 for the baby GPT) and lets each core
// run the row-wise layers (LayerNorm, GELU, the adds) and the attention of
// its own half too, which a split of the products alone would leave serial.
// The price: each half reads all of W, so a block of W serves B/2 rows from
// L1 instead of B; at B ≥ 8 that is still 4 rows and more per read.
//
// The caller never waits for a helper that has not started: SpinTeam lets
// the caller claim both halves if the helper is asleep or busy, so a loaded
// machine degrades to the one-thread step, never to a stall.

import BackpropCore

/// When and how a batched step is split between the two cores.
public enum BatchedStepSplit {
    /// Rows from which a batched step is split in two [8]. At 8 rows (a
    /// step of ~0.5 ms on one core) the split measured 16.7k–24.1k
    /// tokens/s against 11.7k–15.1k on one core (`bench decode-step`, baby
    /// GPT, four runs, cores near and far apart); below that a step is short
    /// enough that one core will do. Set to `Int.max` to keep every step on
    /// the calling thread (the benchmark's comparison).
    public nonisolated(unsafe) static var minimumRows = 8

    /// The shared team, if a step of `rows` rows should be split.
    static func team(rows: Int) -> SpinTeam? {
        rows >= minimumRows ? SpinTeam.shared : nil
    }

    /// `step` applied to the first and the second half of the rows at once
    /// (the caller takes the first half, the helper the second if it is
    /// free); the caches are moved into the halves and back, never copied,
    /// and the logits are returned in the rows' order. The first error
    /// thrown by either half is rethrown (the caches are back in place).
    static func halves<S, Cache>(_ team: SpinTeam, _ tokens: [Int], _ caches: inout [Cache],
                                 _ step: (_ tokens: [Int], _ caches: inout [Cache]) throws -> [[S]]) throws -> [[S]] {
        let b = tokens.count, m = b / 2
        // Move the caches out so that each half owns its caches' storage
        // uniquely (a shared array would be copied on the first write).
        var first: [Cache] = []
        swap(&first, &caches)
        var second = Array(first[m...])
        first.removeLast(b - m)
        defer {
            caches = first
            caches.append(contentsOf: second)
        }
        var out: ([[S]], [[S]]) = ([], [])
        var errors: (Error?, Error?) = (nil, nil)
        withoutActuallyEscaping(step) { step in
            withUnsafeMutablePointer(to: &first) { firstHalf in
                withUnsafeMutablePointer(to: &second) { secondHalf in
                    withUnsafeMutablePointer(to: &out) { results in
                        withUnsafeMutablePointer(to: &errors) { failures in
                            // Each half writes only its own caches, logits and error; the
                            // pointers are valid until `run` returns, after both halves.
                            nonisolated(unsafe) let step = step, firstHalf = firstHalf, secondHalf = secondHalf
                            nonisolated(unsafe) let results = results, failures = failures
                            team.run(chunks: 2) { c in
                                if c == 0 {
                                    do { results.pointee.0 = try step(Array(tokens[..<m]), &firstHalf.pointee) }
                                    catch { failures.pointee.0 = error }
                                } else {
                                    do { results.pointee.1 = try step(Array(tokens[m...]), &secondHalf.pointee) }
                                    catch { failures.pointee.1 = error }
                                }
                            }
                        }
                    }
                }
            }
        }
        if let error = errors.0 ?? errors.1 { throw error }
        return out.0 + out.1
    }
}
