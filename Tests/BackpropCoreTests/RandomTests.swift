// The seeded generators: reference values, reproducibility and distributions.

@testable import BackpropCore
import Testing

@Suite struct RandomTests {
    /// The first outputs of SplitMix64 from seed 0, as published with Vigna's
    /// reference C code (and recomputed independently in Python).
    @Test func splitMixReferenceValues() {
        var g = SplitMix64(seed: 0)
        #expect([g.next(), g.next(), g.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
    }

    /// xoshiro256** from state (1, 2, 3, 4), worked by hand:
    /// out₁ = rotl(2·5, 7)·9 = 1280·9 = 11520; the update leaves s₁ = 0, so
    /// out₂ = 0; then s₁ = 262149 and out₃ = rotl(262149·5, 7)·9 = 1509978240.
    @Test func xoshiroReferenceValues() {
        var g = Xoshiro256StarStar(state: (1, 2, 3, 4))
        #expect([g.next(), g.next(), g.next()] == [11520, 0, 1_509_978_240])
    }

    @Test func sameSeedSameSequence() {
        var a = SeededRandom(seed: 7), b = SeededRandom(seed: 7), c = SeededRandom(seed: 8)
        let sa = (0..<10).map { _ in a.next() }, sb = (0..<10).map { _ in b.next() }, sc = (0..<10).map { _ in c.next() }
        #expect(sa == sb)
        #expect(sa != sc)
    }

    /// 100,000 samples: the sample mean of U[0,1) has standard error
    /// √(1/12/n) ≈ 0.0009, so ±0.005 is over five standard errors.
    @Test func uniformMoments() {
        var g = SeededRandom(seed: 1)
        let xs = (0..<100_000).map { _ in g.uniform() }
        #expect(xs.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)
        #expect(abs(mean - 0.5) < 0.005)
        #expect(abs(variance - 1.0 / 12) < 0.002)
    }

    @Test func normalMoments() {
        var g = SeededRandom(seed: 2)
        let xs = (0..<100_000).map { _ in g.normal() }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)
        // Fraction within one standard deviation: 68.27% for a normal.
        let within = Double(xs.filter { abs($0) < 1 }.count) / Double(xs.count)
        #expect(abs(mean) < 0.02 && abs(variance - 1) < 0.02 && abs(within - 0.6827) < 0.01)
    }

    @Test func integersAreUnbiasedAndInRange() {
        var g = SeededRandom(seed: 3)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[g.integer(below: 7)] += 1 }
        // Each count is Binomial(70000, 1/7): mean 10000, sd ≈ 93.
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 })
    }

    @Test func permutationIsAPermutation() {
        var g = SeededRandom(seed: 4)
        let p = g.permutation(1000)
        #expect(p.sorted() == Array(0..<1000))
        #expect(p != Array(0..<1000))
    }

    @Test("initialisers hit their target variance", arguments: Initializer.allCases)
    func initializerVariance(kind: Initializer) throws {
        var g = SeededRandom(seed: 5)
        let w: Tensor<Double> = try kind.sample(shape: [200, 300], fanIn: 300, fanOut: 200, using: &g)
        let mean = w.scalars.reduce(0, +) / Double(w.count)
        let variance = w.scalars.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(w.count)
        let target = kind.variance(fanIn: 300, fanOut: 200)
        #expect(abs(variance / target - 1) < 0.03)
        #expect(abs(mean) < 0.01)
        #expect(throws: TensorError.self) { let _: Tensor<Float> = try kind.sample(shape: [1], fanIn: 0, fanOut: 1, using: &g) }
    }
}
