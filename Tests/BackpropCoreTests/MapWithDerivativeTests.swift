// mapWithDerivative: y = f(x) and f′(x) in one pass. Expected values come
// from the kernels it replaces, which have their own checks against the
// definitions (KernelTwinTests+Backward.swift): the fused pass must give
// `map`'s y and `mapBackward`'s dx for dy = 1 bit for bit, in each kernel
// set, for Float and Double, at lengths with and without vector tails and
// above the two-core threshold.

@testable import BackpropCore
import Testing

@Suite struct MapWithDerivativeTests {
    static let functions: [UnaryFunction] = [.gelu, .geluTanh, .relu, .sigmoid, .tanh]

    func check<T: TensorScalar>(_: T.Type, _ f: UnaryFunction, count: Int, kernels: any KernelSet.Type) {
        var rng = SeededRandom(seed: UInt64(count))
        let x = (0..<count).map { _ in T(rng.uniform(-6, 6)) }
        var y = [T](repeating: 0, count: count), d = y, yMap = y, dMap = y
        let ones = [T](repeating: 1, count: count)
        kernels.mapWithDerivative(f, count: count, x, &y, &d)
        kernels.map(f, count: count, x, &yMap)
        kernels.mapBackward(f, count: count, x: x, y: yMap, dy: ones, dx: &dMap)
        #expect(y == yMap, "\(T.self) \(f) y, n = \(count)")
        #expect(d == dMap, "\(T.self) \(f) f′, n = \(count)")
    }

    @Test("y and f′ in one pass equal map and mapBackward(dy = 1), both kernel sets", arguments: functions)
    func fusedEqualsSeparate(_ f: UnaryFunction) {
        for count in [1, 13, 64, 40_003] {
            for kernels in [Naive.self, SIMDKernels.self] as [any KernelSet.Type] {
                check(Float.self, f, count: count, kernels: kernels)
                check(Double.self, f, count: count, kernels: kernels)
            }
        }
    }

    @Test func onlyTheGELUsTakeTheirDerivativeFromTheForwardPass() {
        #expect(UnaryFunction.gelu.derivativeInForward && UnaryFunction.geluTanh.derivativeInForward)
        #expect(!UnaryFunction.relu.derivativeInForward && !UnaryFunction.sigmoid.derivativeInForward)
    }
}
