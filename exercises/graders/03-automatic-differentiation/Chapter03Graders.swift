// Graders for chapter 3's exercises. Expected values come from definitions,
// never from the code being graded: the grader's own formulas for softplus
// and aᵇ and centered finite differences of them (3.1); the definition of a
// topological order, checked edge by edge, and the chain rule run in the
// student's order against finite differences (3.2); the broadcast forward
// written here and finite differences of ⟨g, broadcast(x)⟩ (3.3).
// 3.4–3.6 are in the files beside this one.

import AutomaticDifferentiation
import BackpropCore
import ExerciseKit
import Foundation

public typealias ScalarSoftplus = (Value) throws -> Value
public typealias ScalarPower = (Value, Value) throws -> Value
public typealias TopologicalOrder = (Value) throws -> [Value]
public typealias SumToShape = ([Double], [Int], [Int]) throws -> [Double]

public enum Chapter03Graders {
    /// softplus(x) = log(1 + eˣ), written so that it never overflows.
    static func softplus(_ x: Double) -> Double { max(x, 0) + log1p(exp(-abs(x))) }

    static func centered(_ f: (Double) -> Double, at x: Double, h: Double = 1e-6) -> Double {
        (f(x + h) - f(x - h)) / (2 * h)
    }

    static func close(_ a: Double, _ b: Double, _ tol: Double) -> Bool {
        a.isFinite && abs(a - b) <= tol * max(1, abs(b))
    }

    // MARK: 3.1

    /// Exercise 3.1: each operation must be one new node (its parents the
    /// operands, one local derivative each), with the right value and local
    /// derivatives (finite differences of the grader's definitions), work
    /// inside a larger graph, and stay finite for x = ±800.
    public static func scalarOperations(softplus candidate: ScalarSoftplus, power: ScalarPower) throws -> GradeReport {
        var report = GradeReport()
        // softplus: values and local derivatives.
        for x in [-3.0, -0.5, 0, 0.25, 2, 7.5] {
            let input = Value(x)
            let y = try candidate(input)
            let structure = y.parents.count == 1 && y.parents[0] === input && y.local.count == 1
            report.check(structure, "softplus(\(x)) must be one new Value whose only parent is x (parents: [x], one local "
                + "derivative), got \(y.parents.count) parent(s)\(y.parents.first === input ? "" : " not including x")"
                + " — build it with Value(data, op:, parents: [x], local: [∂y/∂x]), not from other operations")
            guard structure else { continue }
            let numeric = centered(softplus, at: x)
            report.check(close(y.data, softplus(x), 1e-12), "softplus(\(x)) = log(1 + e^\(x)) = \(softplus(x)), got \(y.data)")
            var hint = ""
            if close(y.local[0], centered(softplus, at: -x), 1e-6), x != 0 {
                hint = " — that is σ(−x); the derivative of log(1 + eˣ) is eˣ/(1 + eˣ) = σ(x)"
            } else if close(y.local[0], exp(x), 1e-6) {
                hint = " — that is eˣ, the derivative of the inner function only; the chain rule divides by 1 + eˣ"
            }
            report.check(close(y.local[0], numeric, 1e-6),
                         "softplus at x = \(x): the local derivative should be ≈ \(numeric) (centered finite differences), "
                             + "got \(y.local[0])" + hint)
        }
        for x in [800.0, -800.0] {
            let y = try candidate(Value(x))
            let ok = y.local.count == 1 && close(y.data, softplus(x), 1e-12) && close(y.local[0], x > 0 ? 1 : 0, 1e-12)
            report.check(ok, "softplus(\(x)) must be \(softplus(x)) with local derivative \(x > 0 ? 1 : 0), got \(y.data) and "
                + "\(y.local) — e^800 overflows to ∞ in Double (and ∞/∞ is NaN); write log(1 + eˣ) as max(x, 0) + log(1 + e^−|x|) "
                + "and σ(x) with e^−|x|")
        }
        // power: values and both local derivatives, for a > 0.
        let cases: [(Double, Double)] = [(2, 3), (0.5, -1.5), (3.7, 0.5), (1.3, 2.2), (0.8, 0)]
        for (a, b) in cases {
            let va = Value(a), vb = Value(b)
            let y = try power(va, vb)
            let structure = y.parents.count == 2 && y.parents[0] === va && y.parents[1] === vb && y.local.count == 2
            report.check(structure, "power(\(a), \(b)) must be one new Value with parents [a, b] in that order and two local "
                + "derivatives, got \(y.parents.count) parent(s) and \(y.local.count) local derivative(s)")
            guard structure else { continue }
            report.check(close(y.data, Foundation.pow(a, b), 1e-12), "power(\(a), \(b)) = \(Foundation.pow(a, b)), got \(y.data)")
            let da = centered({ Foundation.pow($0, b) }, at: a), db = centered({ Foundation.pow(a, $0) }, at: b)
            var hint = ""
            if close(y.local[0], db, 1e-6), close(y.local[1], da, 1e-6) {
                hint = " — the two local derivatives are swapped: local[0] is ∂y/∂a, local[1] is ∂y/∂b"
            } else if close(y.local[1], b * Foundation.pow(a, b - 1), 1e-6) || close(y.local[1], Foundation.pow(a, b), 1e-6) {
                hint = " — ∂(aᵇ)/∂b is not the power rule: b is in the exponent, so write aᵇ = e^(b·ln a)"
            } else if close(y.local[0], Foundation.pow(a, b - 1), 1e-6) {
                hint = " — ∂(aᵇ)/∂a is missing the factor b"
            }
            report.check(close(y.local[0], da, 1e-6) && close(y.local[1], db, 1e-6),
                         "power(\(a), \(b)): local derivatives should be ≈ [\(da), \(db)] (centered finite differences), "
                             + "got \(y.local)" + hint)
        }
        // Inside a graph: L = softplus(x·y) + power(x, y)·x, x used three times.
        let f = { (x: Double, y: Double) in softplus(x * y) + Foundation.pow(x, y) * x }
        for (x, y) in [(1.5, -0.7), (0.6, 2.5)] {
            let vx = Value(x), vy = Value(y)
            let loss = try candidate(vx * vy) + power(vx, vy) * vx
            loss.backward()
            let gx = centered({ f($0, y) }, at: x), gy = centered({ f(x, $0) }, at: y)
            report.check(close(loss.data, f(x, y), 1e-10) && close(vx.grad, gx, 1e-6) && close(vy.grad, gy, 1e-6),
                         "in L = softplus(x·y) + power(x, y)·x at x = \(x), y = \(y): expected L = \(f(x, y)), ∂L/∂x ≈ \(gx), "
                             + "∂L/∂y ≈ \(gy) after L.backward(), got \(loss.data), \(vx.grad), \(vy.grad)")
        }
        return report
    }

    // MARK: 3.2

    /// Random graphs with shared subexpressions, repeated operands and a
    /// diamond; the grader's own chain rule in the student's order; and a
    /// chain 100,000 values deep on a thread with a 1 MB stack.
    public static func topologicalOrder(_ candidate: @escaping TopologicalOrder) throws -> GradeReport {
        var report = GradeReport()
        var rng = SeededRandom(seed: 3202)
        struct Graph { let name: String; let inputs: [Value]; let root: Value; let f: ([Double]) -> Double }
        var graphs: [Graph] = []
        // A diamond: the root reads a directly and through g(a) — a breadth-first order fails here.
        do {
            let a = Value(0.7), b = Value(-1.2)
            let g = (a * b).tanh()
            graphs.append(Graph(name: "L = a·tanh(a·b) (a is read by L and, deeper, by tanh)", inputs: [a, b], root: a * g,
                                f: { v in v[0] * Foundation.tanh(v[0] * v[1]) }))
        }
        do {
            let a = Value(1.3)
            graphs.append(Graph(name: "L = a·a (the same parent twice)", inputs: [a], root: a * a, f: { v in v[0] * v[0] }))
        }
        do {
            let x = Value(0.4), y = Value(-0.9), z = Value(1.1)
            let s = x * y + z          // shared by three consumers
            let t = s.tanh()
            let root = (s * t + s.exp()) / (t + 2) + x
            graphs.append(Graph(name: "L = (s·tanh s + eˢ)/(tanh s + 2) + x with s = x·y + z", inputs: [x, y, z], root: root, f: { v in
                let s = v[0] * v[1] + v[2], t = Foundation.tanh(s)
                return (s * t + Foundation.exp(s)) / (t + 2) + v[0]
            }))
        }
        // A random layered graph: 6 inputs, 40 operations each reading two earlier values.
        do {
            let inputs = (0..<6).map { _ in Value(rng.uniform(-1, 1)) }
            var values = inputs
            var program: [(Int, Int, Int)] = []
            for _ in 0..<40 {
                let i = rng.integer(below: values.count), j = rng.integer(below: values.count), op = rng.integer(below: 3)
                program.append((i, j, op))
                let (u, v) = (values[i], values[j])
                values.append(op == 0 ? u + v : op == 1 ? (u * v).tanh() : u - v * 0.5)
            }
            let root = values[values.count - 1] + values[values.count - 2] + values[values.count - 7]
            let n = values.count
            graphs.append(Graph(name: "a random graph of 6 inputs and 40 operations", inputs: inputs, root: root, f: { x in
                var v = x
                for (i, j, op) in program {
                    v.append(op == 0 ? v[i] + v[j] : op == 1 ? Foundation.tanh(v[i] * v[j]) : v[i] - v[j] * 0.5)
                }
                return v[n - 1] + v[n - 2] + v[n - 7]
            }))
        }
        for graph in graphs {
            let order = try candidate(graph.root)
            // The reachable set, by the grader's own walk.
            var reachable = Set<ObjectIdentifier>(), stack = [graph.root]
            while let v = stack.popLast() {
                if reachable.insert(ObjectIdentifier(v)).inserted { stack.append(contentsOf: v.parents) }
            }
            let ids = order.map(ObjectIdentifier.init)
            let unique = Set(ids)
            var problems: [String] = []
            if ids.count != unique.count {
                problems.append("\(ids.count - unique.count) value(s) appear more than once (a shared value must be listed once, "
                    + "however many consumers it has: keep a set of visited values)")
            }
            if unique != reachable {
                problems.append("the order has \(unique.count) distinct values but \(reachable.count) are reachable from the root")
            }
            if order.last !== graph.root { problems.append("the root must come last") }
            var position: [ObjectIdentifier: Int] = [:]
            for (i, v) in order.enumerated() where position[ObjectIdentifier(v)] == nil { position[ObjectIdentifier(v)] = i }
            let late = order.contains { v in
                v.parents.contains { p in (position[ObjectIdentifier(p)] ?? Int.max) > position[ObjectIdentifier(v)]! }
            }
            if late { problems.append("some value comes before one of its parents (every value must come after all the values it was computed from)") }
            report.check(problems.isEmpty, "\(graph.name): " + problems.joined(separator: "; "))
            guard problems.isEmpty else { continue }
            // The chain rule in this order gives the right gradients.
            for v in order { v.grad = 0 }
            graph.root.grad = 1
            for v in order.reversed() { for (p, d) in zip(v.parents, v.local) { p.grad += d * v.grad } }
            let x = graph.inputs.map(\.data)
            let numeric = x.indices.map { i in centered({ t in var y = x; y[i] = t; return graph.f(y) }, at: x[i]) }
            report.check(Grade.close(graph.inputs.map(\.grad), numeric, 1e-6),
                         "\(graph.name): backward in your order gives \(Grade.show(graph.inputs.map(\.grad))), finite differences "
                             + "\(Grade.show(numeric))")
        }
        // Deep: a chain of 100,000 operations, sorted on a thread whose stack
        // holds far fewer frames than that. A recursive sort crashes here.
        let depth = 100_000
        var deep = Value(0.5)
        let leaf = deep
        for i in 0..<depth { deep = i % 2 == 0 ? deep * 1.0 : deep + 0.0 }
        let root = deep
        final class Box: @unchecked Sendable {
            let sort: TopologicalOrder, root: Value
            var order: [Value]? = nil, error: Error? = nil
            let done = DispatchSemaphore(value: 0)
            init(_ sort: @escaping TopologicalOrder, _ root: Value) { self.sort = sort; self.root = root }
        }
        let box = Box(candidate, root)
        let thread = Thread {
            do { box.order = try box.sort(box.root) } catch { box.error = error }
            box.done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
        box.done.wait()
        if let error = box.error { throw error }
        let deepOrder = box.order ?? []
        // 1 + 2 per operation: the value, and the constant each one reads.
        report.check(deepOrder.count == 1 + 2 * depth && deepOrder.first(where: { $0.parents.isEmpty }) != nil
                        && deepOrder.last === root && deepOrder.firstIndex(where: { $0 === leaf }) ?? Int.max < depth,
                     "a chain of \(depth) operations: expected all \(1 + 2 * depth) values, the root last, got \(deepOrder.count)")
        return report
    }

    // MARK: 3.3

    /// Row-major strides of a shape.
    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
        return s
    }

    /// x (shape `small`) broadcast to `big`: NumPy's rule, aligned from the right.
    static func broadcast(_ x: [Double], _ small: [Int], to big: [Int]) -> [Double] {
        let n = big.reduce(1, *), offset = big.count - small.count, own = strides(small), bigStrides = strides(big)
        return (0..<n).map { flat in
            var index = 0
            for axis in 0..<big.count {
                let i = (flat / bigStrides[axis]) % big[axis]
                if axis >= offset, small[axis - offset] != 1 { index += i * own[axis - offset] }
            }
            return x[index]
        }
    }

    /// Exercise 3.3: hand-worked cases, then finite differences of
    /// ⟨g, broadcast(x)⟩ with respect to x, whose gradient is the answer.
    public static func sumToShape(_ candidate: SumToShape) throws -> GradeReport {
        var report = GradeReport()
        let hand: [([Double], [Int], [Int], [Double], String)] = [
            ([1, 2, 3, 4, 5, 6], [2, 3], [3], [5, 7, 9], "a bias [3] added to 2 rows: each bias entry sums its column"),
            ([1, 2, 3, 4, 5, 6], [2, 3], [2, 1], [6, 15], "a column [2, 1] against [2, 3]: each entry sums its row"),
            ([1, 2, 3, 4, 5, 6], [2, 3], [1, 3], [5, 7, 9], "a row [1, 3] against [2, 3]: the size-1 axis is summed and kept"),
            ([1, 2, 3, 4, 5, 6], [2, 3], [], [21], "a scalar (shape []) used everywhere: the sum of all"),
            ([1, 2, 3, 4], [2, 2], [2, 2], [1, 2, 3, 4], "equal shapes: nothing was broadcast, so nothing is summed"),
            ([1, -1, 2, 0.5], [4], [1], [2.5], "shape [1] against [4]"),
        ]
        for (g, from, to, want, why) in hand {
            let got = try candidate(g, from, to)
            var hint = ""
            if got.count == want.count, !Grade.close(got, want, 1e-12) {
                let repeats = Double(from.reduce(1, *) / max(1, to.reduce(1, *)))
                if Grade.close(got.map { $0 * repeats }, want, 1e-12) {
                    hint = " — that is a mean: an entry used k times gets the sum of its k gradients, not their average"
                }
            }
            report.check(got.count == want.count && Grade.close(got, want, 1e-12),
                         "\(why): g = \(Grade.show(g)) of shape \(from) summed to \(to) is \(Grade.show(want)), got \(Grade.show(got))" + hint)
        }
        var rng = SeededRandom(seed: 3303)
        let random: [([Int], [Int])] = [([4, 5], [5]), ([4, 5], [4, 1]), ([3, 4, 5], [4, 1]), ([3, 4, 5], [5]),
                                        ([2, 3, 4], [2, 1, 4]), ([2, 3, 4], [1, 3, 1]), ([6, 1, 3], [6, 1, 3]), ([2, 2, 3, 2], [2, 1, 2])]
        for (from, to) in random {
            let g = (0..<from.reduce(1, *)).map { _ in rng.uniform(-2, 2) }
            let x = (0..<to.reduce(1, *)).map { _ in rng.uniform(-1, 1) }
            let numeric = GradientCheck.numericalGradient(
                of: { t in zip(g, broadcast(t.scalars, to, to: from)).map { $0 * $1 }.reduce(0, +) }, at: Tensor(x)).scalars
            let got = try candidate(g, from, to)
            var hint = ""
            if to.count == from.count, to.contains(1), got.count == numeric.count, !Grade.close(got, numeric, 1e-6) {
                hint = " — every axis where the target has size 1 and the gradient does not must be summed too, not only the missing leading axes"
            } else if to.count < from.count, got.count != numeric.count {
                hint = " — align the shapes from the right (the last axes match), as broadcasting does"
            }
            report.check(got.count == numeric.count && Grade.close(got, numeric, 1e-6),
                         "g of shape \(from) summed to \(to): expected \(Grade.show(numeric)) (the gradient of Σ g ⊙ broadcast(x) "
                             + "by finite differences), got \(Grade.show(got))" + hint)
        }
        return report
    }
}
