// The scalar engine: every operation's gradient against centered finite
// differences, accumulation when a value is used twice, shared
// subexpressions, a graph too deep for recursion, and XOR trained by it.

import AutomaticDifferentiation
import BackpropCore
import Foundation
import Testing

@Suite struct ScalarEngineTests {
    /// ∂f/∂xᵢ by centered differences, h = 1e-6: truncation error ~h²·f‴ and
    /// rounding ~ε|f|/h ≈ 1e-10, so 1e-7 relative is a safe bound for these
    /// smooth functions with O(1) derivatives.
    func numeric(_ f: ([Value]) -> Value, at x: [Double]) -> [Double] {
        (0..<x.count).map { i in
            var plus = x, minus = x
            plus[i] += 1e-6
            minus[i] -= 1e-6
            return (f(plus.map(Value.init)).data - f(minus.map(Value.init)).data) / 2e-6
        }
    }

    func analytic(_ f: ([Value]) -> Value, at x: [Double]) -> [Double] {
        let inputs = x.map(Value.init)
        f(inputs).backward()
        return inputs.map(\.grad)
    }

    nonisolated(unsafe) static let cases: [(String, ([Value]) -> Value, [Double])] = [
        ("add", { $0[0] + $0[1] }, [0.3, -1.2]),
        ("multiply", { $0[0] * $0[1] }, [0.3, -1.2]),
        ("subtract", { $0[0] - $0[1] }, [0.3, -1.2]),
        ("divide", { $0[0] / $0[1] }, [0.3, -1.2]),
        ("negate", { -$0[0] }, [0.7]),
        ("power", { $0[0].power(3) }, [0.7]),
        ("fractional power", { $0[0].power(-0.5) }, [1.7]),
        ("exp", { $0[0].exp() }, [0.7]),
        ("log", { $0[0].log() }, [1.7]),
        ("tanh", { $0[0].tanh() }, [0.4]),
        ("relu positive", { $0[0].relu() }, [0.4]),
        ("relu negative", { $0[0].relu() }, [-0.4]),
        ("sigmoid", { $0[0].sigmoid() }, [-0.9]),
        ("constants mixed in", { 2 * $0[0] + 1 - 3 / $0[1] }, [0.5, 2.0]),
        ("a value used twice", { $0[0] * $0[0] + $0[0] }, [1.3]),
        ("shared subexpression", { x in let s = (x[0] * x[1]).tanh(); return s * s + s * x[0] }, [0.6, -0.8]),
    ]

    @Test("each operation's gradient matches centered finite differences", arguments: 0..<cases.count)
    func operation(index: Int) {
        let (name, f, x) = Self.cases[index]
        let a = analytic(f, at: x), n = numeric(f, at: x)
        for (ai, ni) in zip(a, n) {
            #expect(abs(ai - ni) <= 1e-7 * max(1, abs(ni)), "\(name): analytic \(ai), numeric \(ni)")
        }
    }

    @Test("a value used twice gets both contributions: d(a·a)/da = 2a, d(a + a)/da = 2")
    func usedTwice() {
        let a = Value(3)
        (a * a).backward()
        #expect(a.grad == 6)
        let b = Value(-1.5)
        (b + b).backward()
        #expect(b.grad == 2)
    }

    @Test("topological order puts every value after its parents, each once")
    func topologicalOrder() {
        let a = Value(1), b = Value(2)
        let c = a * b, d = c + a, e = d * c
        let order = e.topologicalOrder()
        #expect(order.count == 5)
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { (ObjectIdentifier($1), $0) })
        for v in order { for p in v.parents { #expect(position[ObjectIdentifier(p)]! < position[ObjectIdentifier(v)]!) } }
        #expect(order.last === e)
    }

    @Test("a chain 100,000 operations deep: backward and release without overflowing the stack")
    func deepGraph() {
        let x = Value(0.5)
        var y = x
        for _ in 0..<100_000 { y = y + x * 1e-6 }
        y.backward()
        // y = x + 100,000 · 1e-6 · x, so dy/dx = 1.1 (each term rounded once: 1e-12 relative).
        #expect(abs(x.grad - 1.1) < 1e-9)
        y = Value(0)  // releases the chain (iteratively, see Value.deinit)
        #expect(y.data == 0)
    }

    @Test("gradients accumulate over two backward calls until zeroed")
    func accumulation() {
        let a = Value(2)
        let y = a * a
        y.backward()
        y.backward()
        #expect(a.grad == 8)
        y.zeroGrad()
        #expect(a.grad == 0)
    }

    @Test("the scalar MLP learns XOR with chapter 2's settings")
    func xor() throws {
        let r = try Chapter3.trainXORScalar(seed: 42)
        #expect(r.accuracy == 1)
        #expect(r.loss < 0.05, "loss \(r.loss)")
    }
}
