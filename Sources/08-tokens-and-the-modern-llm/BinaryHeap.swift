// A binary heap: the trainer's pairs by count (PairStatistics.swift) and the
// encoder's merge candidates by rank (BytePairMerger.swift) both come out of
// it. Element a comes out before b when `a.before(b)`; elements that
// neither precede nor follow each other come out in an unspecified order, so
// both users make their keys total (ties broken by pair or by position).
//
//   push  append, then move up while it comes before its parent   O(log n)
//   pop   take the root, move the last element down from the root O(log n)

/// An element with the order the heap pops in.
protocol HeapElement {
    /// Whether `self` comes out of the heap before `other`.
    func before(_ other: Self) -> Bool
}

/// The encoder's keys: smallest first.
extension UInt64: HeapElement {
    @inline(__always)
    func before(_ other: UInt64) -> Bool { self < other }
}

struct BinaryHeap<Element: HeapElement> {
    /// The heap in array order: the children of i are 2i + 1 and 2i + 2.
    var storage: [Element] = []

    mutating func push(_ x: Element) {
        storage.append(x)
        var i = storage.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if !x.before(storage[parent]) { break }
            storage[i] = storage[parent]
            i = parent
        }
        storage[i] = x
    }

    mutating func pop() -> Element? {
        guard let last = storage.popLast() else { return nil }
        guard !storage.isEmpty else { return last }
        let top = storage[0]
        let n = storage.count
        var i = 0
        while true {
            var child = 2 * i + 1
            if child >= n { break }
            if child + 1 < n && storage[child + 1].before(storage[child]) { child += 1 }
            if !storage[child].before(last) { break }
            storage[i] = storage[child]
            i = child
        }
        storage[i] = last
        return top
    }
}
