// Reference solution of exercise 3.2: depth-first search in post-order, with
// an explicit stack of (value, index of the next parent to visit).

import AutomaticDifferentiation
import ExerciseKit

public func topologicalOrder(_ root: Value) throws -> [Value] {
    var order: [Value] = []
    var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
    var stack: [(value: Value, next: Int)] = [(root, 0)]
    while let (value, next) = stack.last {
        if next < value.parents.count {
            stack[stack.count - 1].next += 1
            let parent = value.parents[next]
            if visited.insert(ObjectIdentifier(parent)).inserted { stack.append((parent, 0)) }
        } else {
            order.append(value)  // every parent is already in `order`
            stack.removeLast()
        }
    }
    return order
}
