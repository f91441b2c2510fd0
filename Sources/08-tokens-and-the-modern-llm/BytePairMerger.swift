// Encoding one word with a BPE: start from its bytes, one token each, and
// keep merging the adjacent pair whose merge has the lowest rank, the
// leftmost such pair on a tie, until no adjacent pair has a merge. This is
// the order the merges were learned in, so encoding replays training.
//
// Two ways to find "the adjacent pair of lowest rank", with the same result:
//
// - A scan, for short words (almost every word after pre-tokenization): keep
//   the rank of each adjacent pair in an array; each step finds the minimum,
//   merges, and looks up only the two pairs the merge changed. O(n²) for n
//   symbols, but n is a handful and the arrays stay in cache.
//
// - A priority queue over a linked list, for long inputs (a run of 10,000
//   spaces; a BPE without pre-tokenization, whose one "word" is the whole
//   text): symbols are linked to their neighbours, and a min-heap holds
//   (rank, position) for every adjacent pair. Pop the smallest; if it is
//   stale (a neighbour has since merged, so the pair at that position is no
//   longer the one queued), drop it; else merge the two symbols, unlink the
//   right one, and queue the (at most two) new pairs it forms. Each merge
//   costs O(log n), so a text of n bytes costs O(n log n), not O(n²).
//
// Ties: the heap orders by rank, then position, so among pairs of equal rank
// (the same pair at several places: "aaaa") the leftmost merges first, as in
// the scan, in training, and in tiktoken.

/// Applies a merge table to a sequence of tokens. Keeps its work arrays
/// between calls, so encoding many words allocates nothing per word.
public struct BytePairMerger {
    public let merges: MergeTable
    /// Inputs of at most this many symbols are merged by the scan, longer ones by the heap.
    public var scanLimit = 64
    private var ranks: [UInt32] = []
    private var heap: [UInt64] = []
    private var next: [Int32] = [], previous: [Int32] = []

    public init(merges: MergeTable) { self.merges = merges }

    /// Merges `symbols` in place, by rank, leftmost first on ties.
    public mutating func merge(_ symbols: inout [UInt32]) {
        if symbols.count < 2 { return }
        if symbols.count <= scanLimit { scanMerge(&symbols) } else { heapMerge(&symbols) }
    }

    static let none = UInt32.max

    /// The scan: O(n²), for short words.
    mutating func scanMerge(_ symbols: inout [UInt32]) {
        var n = symbols.count
        ranks.removeAll(keepingCapacity: true)
        for i in 0..<(n - 1) { ranks.append(merges.merged(symbols[i], symbols[i + 1]) ?? Self.none) }
        while n > 1 {
            var best = Self.none, at = -1
            for i in 0..<(n - 1) where ranks[i] < best {
                best = ranks[i]; at = i
            }
            if at < 0 { break }
            // symbols[at], symbols[at + 1] → best; close the gap at at + 1.
            symbols[at] = best
            for k in (at + 1)..<(n - 1) { symbols[k] = symbols[k + 1] }
            for k in (at + 1)..<max(at + 1, n - 2) { ranks[k] = ranks[k + 1] }
            n -= 1
            if at > 0 { ranks[at - 1] = merges.merged(symbols[at - 1], best) ?? Self.none }
            if at < n - 1 { ranks[at] = merges.merged(best, symbols[at + 1]) ?? Self.none }
        }
        symbols.removeLast(symbols.count - n)
    }

    /// The heap over a linked list: O(n log n), for long inputs.
    mutating func heapMerge(_ symbols: inout [UInt32]) {
        let n = symbols.count
        next.removeAll(keepingCapacity: true)
        previous.removeAll(keepingCapacity: true)
        heap.removeAll(keepingCapacity: true)
        for i in 0..<n {
            next.append(i + 1 < n ? Int32(i + 1) : -1)
            previous.append(Int32(i - 1))
        }
        var queue = BinaryHeap<UInt64>(storage: heap)  // keys rank << 32 | position, smallest first
        for i in 0..<(n - 1) {
            if let r = merges.merged(symbols[i], symbols[i + 1]) { queue.push(UInt64(r) << 32 | UInt64(i)) }
        }
        while let top = queue.pop() {
            let rank = UInt32(truncatingIfNeeded: top >> 32), p = Int(UInt32(truncatingIfNeeded: top))
            // Stale? p was absorbed by its left neighbour (no longer linked), or
            // one of the two symbols has changed since the pair was queued.
            let q = Int(next[p])
            if q < 0 || previous[p] == -2 { continue }
            guard merges.merged(symbols[p], symbols[q]) == rank else { continue }
            symbols[p] = rank
            let r = Int(next[q])
            next[p] = Int32(r)
            if r >= 0 { previous[r] = Int32(p) }
            previous[q] = -2  // q is gone
            let l = Int(previous[p])
            if l >= 0, let m = merges.merged(symbols[l], rank) { queue.push(UInt64(m) << 32 | UInt64(l)) }
            if r >= 0, let m = merges.merged(rank, symbols[r]) { queue.push(UInt64(m) << 32 | UInt64(p)) }
        }
        heap = queue.storage
        var out = 0, i = 0
        while i >= 0 {
            symbols[out] = symbols[i]
            out += 1
            i = Int(next[i])
        }
        symbols.removeLast(n - out)
    }
}

