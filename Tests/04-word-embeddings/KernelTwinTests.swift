// The naive and SIMD twins of word2vec's inner loop agree.

import BackpropCore
import Testing
@testable import WordEmbeddings

@Suite struct Word2VecKernelTwinTests {
    static let lengths = [1, 3, 7, 8, 9, 31, 32, 33, 50, 100, 131]

    func random(_ n: Int, _ rng: inout SeededRandom) -> [Float] { (0..<n).map { _ in Float(rng.uniform(-1, 1)) } }

    @Test(arguments: lengths)
    func dotAgrees(n: Int) {
        var rng = SeededRandom(seed: UInt64(n))
        let x = random(n, &rng), y = random(n, &rng)
        let exact = zip(x, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let a = NaiveWord2VecKernels.dot(x, y, count: n)
        let b = SIMDWord2VecKernels.dot(x, y, count: n)
        #expect(abs(Double(a) - exact) < 1e-5 && abs(Double(b) - exact) < 1e-5, "naive \(a) simd \(b) exact \(exact)")
    }

    @Test(arguments: lengths)
    func axpyAndStepAgree(n: Int) {
        var rng = SeededRandom(seed: 100 + UInt64(n))
        let x = random(n, &rng), h = random(n, &rng), u = random(n, &rng), e = random(n, &rng)
        var y1 = u, y2 = u
        NaiveWord2VecKernels.axpy(0.37, x, &y1, count: n)
        SIMDWord2VecKernels.axpy(0.37, x, &y2, count: n)
        var (u1, e1, u2, e2) = (u, e, u, e)
        NaiveWord2VecKernels.step(-0.21, hidden: h, output: &u1, error: &e1, count: n)
        SIMDWord2VecKernels.step(-0.21, hidden: h, output: &u2, error: &e2, count: n)
        for i in 0..<n {
            #expect(abs(y1[i] - y2[i]) < 1e-6 && abs(y1[i] - (u[i] + 0.37 * x[i])) < 1e-6)
            #expect(abs(e1[i] - e2[i]) < 1e-6 && abs(e1[i] - (e[i] - 0.21 * u[i])) < 1e-6)  // old u
            #expect(abs(u1[i] - u2[i]) < 1e-6 && abs(u1[i] - (u[i] - 0.21 * h[i])) < 1e-6)
        }
    }
}
