// The chapter 3 graders are tested too: each accepts the reference solution
// and rejects broken answers with typical mistakes (subtle ones included),
// saying why where it can. Skipped when an instructor has removed
// exercises/solutions/03-automatic-differentiation (no Solutions03 module).

#if canImport(Solutions03)
import AutomaticDifferentiation
import BackpropCore
import ExerciseKit
import Foundation
@testable import Graders03
import Solutions03
import Testing

@Suite struct Chapter03GraderSelfTests {
    @Test func scalarOperationsGraderAcceptsTheSolution() throws {
        let report = try Chapter03Graders.scalarOperations(softplus: Solutions03.softplus, power: Solutions03.power)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the scalar-operations grader rejects broken nodes and says why", arguments: [
        ("softplus as log(1 + eˣ), overflowing at 800", 0, "overflows"),
        ("softplus′ as σ(−x)", 1, "σ(−x)"),
        ("power's two local derivatives swapped", 2, "swapped"),
        ("∂(aᵇ)/∂b as aᵇ, without ln a", 3, "not the power rule"),
        ("softplus built from the engine's exp, + and log", 4, "one new Value"),
        ("softplus(x) as x for x > 0 (drops log(1 + e^−x))", 5, "log(1 + e^"),
    ])
    func scalarOperationsGraderRejects(name: String, variant: Int, hint: String) throws {
        let softplus: ScalarSoftplus = { x in
            let t = x.data
            switch variant {
            case 0: return Value(log(1 + exp(t)), op: "softplus", parents: [x], local: [exp(t) / (1 + exp(t))])
            case 1: return Value(max(t, 0) + log1p(exp(-abs(t))), op: "softplus", parents: [x], local: [1 / (1 + exp(t))])
            case 4: return (x.exp() + 1).log()
            case 5: return Value(t > 0 ? t : log1p(exp(t)), op: "softplus", parents: [x], local: [1 / (1 + exp(-t))])
            default: return try Solutions03.softplus(x)
            }
        }
        let power: ScalarPower = { a, b in
            let y = pow(a.data, b.data), da = b.data * pow(a.data, b.data - 1), db = y * log(a.data)
            switch variant {
            case 2: return Value(y, op: "pow", parents: [a, b], local: [db, da])
            case 3: return Value(y, op: "pow", parents: [a, b], local: [da, y])
            default: return try Solutions03.power(a, b)
            }
        }
        let report = try Chapter03Graders.scalarOperations(softplus: softplus, power: power)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    @Test func topologicalOrderGraderAcceptsTheSolution() throws {
        let report = try Chapter03Graders.topologicalOrder(Solutions03.topologicalOrder)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the topological-order grader rejects broken orders and says why", arguments: [
        ("pre-order: each value before its parents", 0, "before one of its parents"),
        ("breadth-first from the root, reversed (subtle: right on trees)", 1, "before one of its parents"),
        ("post-order reversed: the root first", 2, "root must come last"),
        ("visited values keyed by their data, not their identity (subtle)", 3, "reachable"),
        ("the root left out", 4, "root must come last"),
    ])
    func topologicalOrderGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: TopologicalOrder = { root in
            switch variant {
            case 0:
                var order: [Value] = [], seen: Set<ObjectIdentifier> = [], stack = [root]
                while let v = stack.popLast() {
                    guard seen.insert(ObjectIdentifier(v)).inserted else { continue }
                    order.append(v)
                    stack.append(contentsOf: v.parents.reversed())
                }
                return order
            case 1:
                var order: [Value] = [root], seen: Set<ObjectIdentifier> = [ObjectIdentifier(root)], next = 0
                while next < order.count {
                    for p in order[next].parents where seen.insert(ObjectIdentifier(p)).inserted { order.append(p) }
                    next += 1
                }
                return order.reversed()
            case 3:
                var order: [Value] = [], seen: Set<Double> = [root.data], stack: [(Value, Int)] = [(root, 0)]
                while let (v, i) = stack.last {
                    if i < v.parents.count {
                        stack[stack.count - 1].1 += 1
                        if seen.insert(v.parents[i].data).inserted { stack.append((v.parents[i], 0)) }
                    } else {
                        order.append(v)
                        stack.removeLast()
                    }
                }
                return order
            default:
                let order = try Solutions03.topologicalOrder(root)
                return variant == 2 ? order.reversed() : Array(order.dropLast())
            }
        }
        let report = try Chapter03Graders.topologicalOrder(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    @Test func sumToShapeGraderAcceptsTheSolution() throws {
        let report = try Chapter03Graders.sumToShape { try Solutions03.sumToShape($0, shape: $1, target: $2) }
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the broadcasting-sum grader rejects broken reductions and says why", arguments: [
        ("a mean instead of a sum", 0, "mean"),
        ("only the missing leading axes summed; size-1 axes read at index 0", 1, "size 1"),
        ("shapes aligned from the left (subtle: right when the ranks are equal)", 2, "expected"),
        ("everything summed whatever the target", 3, "expected"),
        ("the first entries of g copied (a slice, not a sum)", 4, "expected"),
    ])
    func sumToShapeGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: SumToShape = { g, shape, target in
            let count = target.reduce(1, *)
            switch variant {
            case 0:
                let repeats = Double(shape.reduce(1, *) / max(count, 1))
                return try Solutions03.sumToShape(g, shape: shape, target: target).map { $0 / repeats }
            case 1:
                // Sum over the leading axes only, then read index 0 along the remaining size-1 axes.
                let inner = shape.suffix(target.count).reduce(1, *)
                var summed = [Double](repeating: 0, count: inner)
                for (i, v) in g.enumerated() { summed[i % inner] += v }
                let kept = Array(shape.suffix(target.count))
                let fullStrides = Chapter03Graders.strides(kept), own = Chapter03Graders.strides(target)
                return (0..<count).map { flat in
                    var index = 0
                    for axis in 0..<target.count { index += ((flat / own[axis]) % target[axis]) * fullStrides[axis] }
                    return summed[index]
                }
            case 2:
                var out = [Double](repeating: 0, count: count)
                let own = Chapter03Graders.strides(target), big = Chapter03Graders.strides(shape)
                for (flat, v) in g.enumerated() {
                    var index = 0
                    for axis in 0..<min(shape.count, target.count) where target[axis] != 1 {
                        index += ((flat / big[axis]) % shape[axis]) * own[axis]
                    }
                    if index < count { out[index] += v }
                }
                return out
            case 3:
                return [Double](repeating: g.reduce(0, +), count: count)
            default:
                return Array(g.prefix(count))
            }
        }
        let report = try Chapter03Graders.sumToShape(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
