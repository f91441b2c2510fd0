// Backward for the scalar engine: topological order, then the chain rule.
//
// To apply the chain rule from the output L back to the inputs, a value's
// gradient must be complete — every consumer must have added its share —
// before it is passed on to its own parents. Ordering the graph so that
// every value comes after all the values it was computed from (a
// topological order) and walking it backwards guarantees exactly that.
//
// The order comes from a depth-first search that emits a value after all
// its parents (post-order). The textbook version is recursive; here the
// recursion is an explicit stack of (value, next parent to visit), so a
// graph a million operations deep needs a million stack *entries* on the
// heap, not a million frames on the thread's stack (which would overflow
// at a few tens of thousands).
//
// Cost: each value and edge is visited once, O(V + E), the same order as
// the forward pass itself — reverse mode costs a small constant times the
// forward pass however many inputs there are (chapters/03-…, "Why reverse
// mode").

extension Value {
    /// Every value `self` depends on, itself last, each after all its parents.
    public func topologicalOrder() -> [Value] {
        var order: [Value] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(value: Value, next: Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while !stack.isEmpty {
            let (value, next) = stack[stack.count - 1]
            if next < value.parents.count {
                stack[stack.count - 1].next += 1
                let parent = value.parents[next]
                if visited.insert(ObjectIdentifier(parent)).inserted { stack.append((parent, 0)) }
            } else {
                order.append(value)  // all parents emitted: post-order
                stack.removeLast()
            }
        }
        return order
    }

    /// ∂self/∂v for every value v in the graph, added into `v.grad`.
    ///
    /// Seeds ∂self/∂self = 1 and walks the topological order backwards,
    /// adding localᵢ · grad into each parent. Gradients *accumulate*: call
    /// `zeroGrad()` (or set `grad = 0` on the parameters) before a second
    /// backward, as an optimizer step does.
    public func backward() {
        let order = topologicalOrder()
        grad = 1
        for value in order.reversed() {
            for (parent, d) in zip(value.parents, value.local) {
                parent.grad += d * value.grad
            }
        }
    }

    /// Sets the gradient of every value in this graph to zero.
    public func zeroGrad() {
        for value in topologicalOrder() { value.grad = 0 }
    }
}
