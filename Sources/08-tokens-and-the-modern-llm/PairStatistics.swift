// The trainer's bookkeeping (BPETrainer.swift explains the idea): the symbols
// of every distinct word as linked lists, and for every adjacent pair its
// weighted count and the places it occurs, with a max-heap of pairs by count.

/// Pair counts kept up to date under merges.
struct PairStatistics {
    let words: WordCounts
    /// Token, neighbours (−1: none; previous −2: merged away) and weight (its word's count) of each symbol.
    var symbols: [UInt32] = []
    var next: [Int32] = [], previous: [Int32] = []
    var weight: [Int32] = []
    /// Pair (a << 32 | b) → its index in `counts`, `places` and `keys`.
    var index = MergeTable(capacity: 1 << 16)
    var keys: [UInt64] = []
    var counts: [Int] = []
    /// Left symbols of the pair's occurrences (some stale: checked when used).
    var places: [[Int32]] = []
    var heap = BinaryHeap<PairCount>()
    private var touched: [Int] = []
    private var isTouched: [Bool] = []

    init(words: WordCounts) {
        self.words = words
        symbols.reserveCapacity(words.bytes.count)
        for w in 0..<words.sequences {
            let from = words.starts[w], to = words.starts[w + 1]
            for i in from..<to {
                symbols.append(UInt32(words.bytes[i]))
                next.append(i + 1 < to ? Int32(i + 1) : -1)
                previous.append(i > from ? Int32(i - 1) : -1)
                weight.append(Int32(clamping: words.counts[w]))
                if i > from { add(UInt32(words.bytes[i - 1]), UInt32(words.bytes[i]), at: i - 1, weight: Int(weight[i])) }
            }
        }
        for i in keys.indices where counts[i] > 0 { heap.push(PairCount(count: counts[i], pair: keys[i])) }
        for i in touched { isTouched[i] = false }
        touched.removeAll()
    }

    /// Tokens left in the training text (counting repeated words each time).
    var tokenCount: Int {
        var total = 0
        for i in symbols.indices where previous[i] != -2 { total += Int(weight[i]) }
        return total
    }

    private mutating func pairIndex(_ a: UInt32, _ b: UInt32) -> Int {
        if let i = index.merged(a, b) { return Int(i) }
        let i = keys.count
        index.insert(a, b, merged: UInt32(i))
        keys.append(MergeTable.key(a, b))
        counts.append(0)
        places.append([])
        isTouched.append(false)
        return i
    }

    private mutating func add(_ a: UInt32, _ b: UInt32, at place: Int, weight w: Int) {
        let i = pairIndex(a, b)
        counts[i] += w
        places[i].append(Int32(place))
        if !isTouched[i] { isTouched[i] = true; touched.append(i) }
    }

    private mutating func remove(_ a: UInt32, _ b: UInt32, weight w: Int) {
        if let i = index.merged(a, b) { counts[Int(i)] -= w }
    }

    /// The most frequent pair and its count (ties: smaller ids first), or nil if none is left.
    mutating func mostFrequent() -> (pair: UInt64, count: Int)? {
        while let top = heap.pop() {
            guard let i = index.merged(UInt32(truncatingIfNeeded: top.pair >> 32), UInt32(truncatingIfNeeded: top.pair)) else { continue }
            let current = counts[Int(i)]
            if current == top.count { return (top.pair, current) }
            if current < top.count && current > 0 { heap.push(PairCount(count: current, pair: top.pair)) }
        }
        return nil
    }

    /// Replaces every occurrence of a b, left to right, by z, updating the counts around each.
    mutating func merge(_ a: UInt32, _ b: UInt32, into z: UInt32) {
        guard let pi = index.merged(a, b).map(Int.init) else { return }
        var at = places[pi]
        places[pi] = []
        at.sort()
        for p32 in at {
            let p = Int(p32)
            guard previous[p] != -2, symbols[p] == a else { continue }
            let q = Int(next[p])
            guard q >= 0, symbols[q] == b else { continue }
            let w = Int(weight[p])
            counts[pi] -= w
            let l = Int(previous[p]), r = Int(next[q])
            if l >= 0 {
                remove(symbols[l], a, weight: w)
                add(symbols[l], z, at: l, weight: w)
            }
            if r >= 0 {
                remove(b, symbols[r], weight: w)
                add(z, symbols[r], at: p, weight: w)
            }
            symbols[p] = z
            next[p] = Int32(r)
            if r >= 0 { previous[r] = Int32(p) }
            previous[q] = -2
        }
        // Queue the pairs whose counts rose; those that fell are fixed when popped.
        for i in touched {
            isTouched[i] = false
            if counts[i] > 0 { heap.push(PairCount(count: counts[i], pair: keys[i])) }
        }
        touched.removeAll(keepingCapacity: true)
    }
}

/// A pair and its count in the trainer's heap: the larger count first;
/// equal counts, the smaller pair (a, then b) first.
struct PairCount: HeapElement {
    var count: Int
    var pair: UInt64
    @inline(__always)
    func before(_ o: PairCount) -> Bool { count > o.count || (count == o.count && pair < o.pair) }
}
