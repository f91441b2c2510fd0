// The negative-sampling loss of word2vec and its gradients, written once,
// generic over the scalar: Double for gradient checks and the PyTorch
// fixture, and the same formulas are what the Float trainer's inner loop
// (Word2VecTrainer+Loops.swift) computes, one output vector at a time.
//
// Notation. Every word w has an input vector v_w and an output vector u_w
// (rows of two [V, D] tables). A training example is a hidden vector h, one
// positive output word o and K negative words k₁…k_K:
//   skip-gram (SGNS): h = v_c, the centre word's input vector; o is one word
//                     of its context window;
//   CBOW:             h = (1/C)·Σⱼ v_{wⱼ}, the mean of the C context words'
//                     input vectors; o is the centre word.
//
//   L = −log σ(u_o·h) − Σₖ log σ(−u_k·h),       σ(x) = 1 / (1 + e^(−x))
//
// Derivation. d/dx [−log σ(x)] = −(1 − σ(x)) = σ(x) − 1, and
// d/dx [−log σ(−x)] = σ(x). With sₒ = u_o·h and s_k = u_k·h:
//   ∂L/∂u_o = (σ(sₒ) − 1)·h
//   ∂L/∂u_k = σ(s_k)·h                      (summed if k repeats)
//   ∂L/∂h   = (σ(sₒ) − 1)·u_o + Σₖ σ(s_k)·u_k
//   SGNS: ∂L/∂v_c = ∂L/∂h;   CBOW: ∂L/∂v_{wⱼ} = (1/C)·∂L/∂h for each j.
// (The CBOW trainer deliberately steps each v_{wⱼ} by −α·∂L/∂h, word2vec's
// rule, a C-times larger step; see Word2VecTrainer+Loops.swift.)
// Writing each term as a label ℓ (1 for o, 0 for a negative), the gradient
// coefficient is σ(s) − ℓ, and an SGD step of size α adds g = α·(ℓ − σ(s))
// times h to u and times u to h: exactly the trainer's update.

import BackpropCore
import LinearModels

/// Negative-sampling loss and gradients (reference implementation).
public enum NegativeSampling {
    /// σ(x) = 1/(1 + e^(−x)), without overflow for either sign: chapter 1's
    /// `BinaryCrossEntropy.sigmoid` (inlinable, so the hot loop inlines it).
    @inline(__always)
    public static func sigmoid<T: TensorScalar>(_ x: T) -> T { BinaryCrossEntropy.sigmoid(x) }

    /// log σ(x) = −log(1 + e^(−x)), stable for large |x|.
    @inline(__always)
    public static func logSigmoid<T: TensorScalar>(_ x: T) -> T {
        x >= 0 ? -T.log1p(T.exp(-x)) : x - T.log1p(T.exp(x))
    }

    /// The loss of one example and its gradients.
    public struct Example<T: TensorScalar>: Sendable {
        public var loss: T
        /// ∂L/∂h
        public var hidden: [T]
        /// ∂L/∂u_o
        public var positive: [T]
        /// ∂L/∂u_k for each negative, in order
        public var negatives: [[T]]
    }

    /// L and its gradients for one hidden vector, one positive and K
    /// negative output vectors (see the file header for the formulas).
    public static func example<T: TensorScalar>(hidden h: [T], positive uo: [T], negatives: [[T]]) -> Example<T> {
        func dot(_ a: [T], _ b: [T]) -> T { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        let so = dot(uo, h)
        var loss = -logSigmoid(so)
        let go = sigmoid(so) - 1
        var dh = uo.map { go * $0 }
        let duo = h.map { go * $0 }
        var dneg: [[T]] = []
        for uk in negatives {
            let sk = dot(uk, h)
            loss -= logSigmoid(-sk)
            let gk = sigmoid(sk)
            for j in dh.indices { dh[j] += gk * uk[j] }
            dneg.append(h.map { gk * $0 })
        }
        return Example(loss: loss, hidden: dh, positive: duo, negatives: dneg)
    }

    /// The mean loss over a batch and the gradients of that mean with
    /// respect to the whole input and output tables [V, D].
    public struct Batch<T: TensorScalar>: Sendable {
        public var loss: T
        public var gradInput: Tensor<T>
        public var gradOutput: Tensor<T>
    }

    /// Skip-gram: example i has h = v_{center[i]}, positive context[i] and
    /// negatives negatives[i]. (As in PyTorch, a negative equal to the
    /// positive is not skipped here; the trainer skips it when sampling.)
    public static func skipGramBatch<T: TensorScalar>(
        input: Tensor<T>, output: Tensor<T>, center: [Int], context: [Int], negatives: [[Int]]
    ) -> Batch<T> {
        batch(input: input, output: output, hiddenWords: center.map { [$0] }, positive: context, negatives: negatives)
    }

    /// CBOW: example i has h = mean of v_w over contexts[i], positive
    /// center[i] and negatives negatives[i].
    public static func cbowBatch<T: TensorScalar>(
        input: Tensor<T>, output: Tensor<T>, contexts: [[Int]], center: [Int], negatives: [[Int]]
    ) -> Batch<T> {
        batch(input: input, output: output, hiddenWords: contexts, positive: center, negatives: negatives)
    }

    /// Shared by both models: h is the mean of the input rows `hiddenWords[i]`
    /// (one row for skip-gram), so each row receives (1/C)·∂L/∂h.
    static func batch<T: TensorScalar>(
        input: Tensor<T>, output: Tensor<T>, hiddenWords: [[Int]], positive: [Int], negatives: [[Int]]
    ) -> Batch<T> {
        precondition(input.rank == 2 && input.shape == output.shape, "tables must be [V, D] of equal shape")
        precondition(hiddenWords.count == positive.count && positive.count == negatives.count, "batch lengths differ")
        let d = input.shape[1]
        let n = T(positive.count)
        func row(_ t: Tensor<T>, _ i: Int) -> [T] { Array(t.scalars[(i * d)..<((i + 1) * d)]) }
        var gin = try! Tensor<T>.zeros(input.shape)  // shape checked above
        var gout = gin
        var total: T = 0
        for i in positive.indices {
            let words = hiddenWords[i]
            let c = T(words.count)
            var h = [T](repeating: 0, count: d)
            for w in words { for j in 0..<d { h[j] += input.scalars[w * d + j] / c } }
            let e = example(hidden: h, positive: row(output, positive[i]), negatives: negatives[i].map { row(output, $0) })
            total += e.loss
            for w in words { for j in 0..<d { gin.scalars[w * d + j] += e.hidden[j] / (c * n) } }
            for j in 0..<d { gout.scalars[positive[i] * d + j] += e.positive[j] / n }
            for (k, w) in negatives[i].enumerated() { for j in 0..<d { gout.scalars[w * d + j] += e.negatives[k][j] / n } }
        }
        return Batch(loss: total / n, gradInput: gin, gradOutput: gout)
    }
}
