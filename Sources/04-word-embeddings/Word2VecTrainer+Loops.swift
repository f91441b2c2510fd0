// The hot loops of Word2VecTrainer: one thread's epochs over its chunk, for
// skip-gram and for CBOW, generic over the kernel twin K so that each
// (twin, model) pair is compiled into its own specialised loop with the
// kernels inlined.
//
// Per example the loop computes, for the positive word (label ℓ = 1) and
// each negative (ℓ = 0), s = u·h, g = α·(ℓ − σ(s)), then
// e ← e + g·u and u ← u + g·h (`K.step`); finally h's input vector(s)
// receive e. This is SGD on L of NegativeSampling.swift: g·h = −α·∂L/∂u
// and e = −α·∂L/∂h, so for SGNS v_c += e is exactly −α·∂L/∂v_c.
//
// CBOW follows the original word2vec: each context vector receives all of
// e, although the exact gradient is ∂L/∂v_w = (1/C)·∂L/∂h. That is SGD with
// a C-times larger step for the input vectors. With the exact 1/C the inputs
// learn so slowly that after 5 epochs on tinyshakespeare every vector still
// points the same way (related-pair margin 0.01 and 6% of the analogies,
// against 0.37 and 18% with word2vec's rule). The gradient check and the
// PyTorch fixture test the exact gradient of L.

import BackpropCore

/// What every training thread shares: raw pointers and the options.
struct LoopContext {
    let corpus: UnsafeBufferPointer<Int32>
    let input: UnsafeMutablePointer<Float>
    let output: UnsafeMutablePointer<Float>
    let dimension: Int
    let thresholds: UnsafePointer<UInt64>
    let aliases: UnsafePointer<Int32>
    let aliasCount: Int
    let keep: UnsafePointer<Double>
    let options: Word2VecOptions
    let threads: Int
    let history: LossHistory

    /// Thread t's slice of the corpus.
    func chunk(_ t: Int) -> Range<Int> { (corpus.count * t / threads)..<(corpus.count * (t + 1) / threads) }

    /// Thread t's generator seed (the tables were initialised from `seed` itself).
    func threadSeed(_ t: Int) -> UInt64 { options.seed ^ (0x9E37_79B9_7F4A_7C15 &* UInt64(t + 1)) }

    /// One negative from the alias table.
    @inline(__always)
    func negative(_ bits: UInt64) -> Int {
        AliasTable.draw(bits, thresholds: thresholds, aliases: aliases, count: aliasCount)
    }

    /// Subsamples the chunk into `sentence` and returns the kept length.
    @inline(__always)
    func subsample(_ range: Range<Int>, into sentence: UnsafeMutablePointer<Int32>, rng: inout SeededRandom) -> Int {
        var m = 0
        for i in range {
            let w = corpus[i]
            if rng.uniform() < keep[Int(w)] { sentence[m] = w; m += 1 }
        }
        return m
    }

    /// The learning rate and history segment after `done` of `total` tokens.
    @inline(__always)
    func schedule(done: Double, total: Double) -> (alpha: Float, segment: Int) {
        let p = done / total
        let alpha = Float(options.startingLearningRate * max(1e-4, 1 - p))
        return (alpha, min(history.points - 1, Int(p * Double(history.points))))
    }

    /// The negative-sampling step shared by skip-gram and CBOW: for the
    /// positive target and `negatives` draws from the noise table (skipping a
    /// draw equal to the positive), with s = u·h and label 1 or 0,
    ///   e += g·u  and  u += g·h,   g = α·(label − σ(s)),
    /// so `error` collects the step for h. Returns the loss of this example
    /// when `track` is set (only every 8th example is scored, to save time).
    @inline(__always)
    func contrast<K: Word2VecKernels>(
        _: K.Type, hidden h: UnsafeMutablePointer<Float>, positive: Int, negatives: Int, alpha: Float,
        error: UnsafeMutablePointer<Float>, rng: inout SeededRandom, track: Bool
    ) -> Float {
        let d = dimension
        var loss: Float = 0
        var target = positive, label: Float = 1
        for k in 0...negatives {
            if k > 0 {
                target = negative(rng.next())
                if target == positive { continue }
                label = 0
            }
            let u = output + target * d
            let s = K.dot(h, u, count: d)
            K.step((label - NegativeSampling.sigmoid(s)) * alpha, hidden: h, output: u, error: error, count: d)
            if track { loss -= NegativeSampling.logSigmoid(label == 1 ? s : -s) }
        }
        return loss
    }

    /// Skip-gram with the kernel twin K: returns the number of (centre,
    /// context) examples trained.
    func skipGram<K: Word2VecKernels>(_: K.Type, thread t: Int) -> Int {
        let error = UnsafeMutablePointer<Float>.allocate(capacity: dimension)
        defer { error.deallocate() }
        var step = KernelPairStep<K>(loop: self, error: error)
        return skipGram(&step, thread: t)
    }

    /// Skip-gram's loop: subsampling, dynamic windows and the schedule; each
    /// (centre, context) pair is trained by `step`. Returns the number of
    /// examples trained (fewer if the step stops).
    func skipGram<S: SkipGramPairStep>(_ step: inout S, thread t: Int) -> Int {
        let d = dimension, window = options.window
        let range = chunk(t), n = range.count
        var rng = SeededRandom(seed: threadSeed(t))
        let sentence = UnsafeMutablePointer<Int32>.allocate(capacity: max(n, 1))
        defer { sentence.deallocate() }
        let sums = history.sums + t * history.points, counts = history.counts + t * history.points
        let total = Double(max(1, n * options.epochs))
        var examples = 0
        var (alpha, segment) = schedule(done: 0, total: total)
        for epoch in 0..<options.epochs {
            let m = subsample(range, into: sentence, rng: &rng)
            for pos in 0..<m {
                if pos & 1023 == 0 {
                    (alpha, segment) = schedule(done: Double(epoch * n) + Double(pos) * Double(n) / Double(m), total: total)
                }
                let h = input + Int(sentence[pos]) * d
                let b = 1 + rng.integer(below: window)
                let track = pos & 7 == 0
                for j in max(0, pos - b)...min(m - 1, pos + b) where j != pos {
                    let loss = step.train(hidden: h, context: Int(sentence[j]), alpha: alpha, rng: &rng, track: track)
                    if step.stopped { return examples }
                    if track { sums[segment] += Double(loss); counts[segment] += 1 }
                    examples += 1
                }
            }
        }
        return examples
    }

    /// CBOW: h = mean of the window's input vectors, positive = the centre.
    func cbow<K: Word2VecKernels>(_: K.Type, thread t: Int) -> Int {
        let d = dimension, window = options.window, negatives = options.negative
        let range = chunk(t), n = range.count
        var rng = SeededRandom(seed: threadSeed(t))
        let sentence = UnsafeMutablePointer<Int32>.allocate(capacity: max(n, 1))
        let error = UnsafeMutablePointer<Float>.allocate(capacity: d)
        let hidden = UnsafeMutablePointer<Float>.allocate(capacity: d)
        defer { sentence.deallocate(); error.deallocate(); hidden.deallocate() }
        let sums = history.sums + t * history.points, counts = history.counts + t * history.points
        let total = Double(max(1, n * options.epochs))
        var examples = 0
        var (alpha, segment) = schedule(done: 0, total: total)
        for epoch in 0..<options.epochs {
            let m = subsample(range, into: sentence, rng: &rng)
            for pos in 0..<m {
                if pos & 1023 == 0 {
                    (alpha, segment) = schedule(done: Double(epoch * n) + Double(pos) * Double(n) / Double(m), total: total)
                }
                let center = Int(sentence[pos])
                let b = 1 + rng.integer(below: window)
                let lo = max(0, pos - b), hi = min(m - 1, pos + b)
                let c = hi - lo  // context words (every position but pos)
                if c == 0 { continue }
                let inverse = 1 / Float(c)
                hidden.update(repeating: 0, count: d)
                for j in lo...hi where j != pos { K.axpy(inverse, input + Int(sentence[j]) * d, hidden, count: d) }
                error.update(repeating: 0, count: d)
                let loss = contrast(K.self, hidden: hidden, positive: center, negatives: negatives, alpha: alpha,
                                    error: error, rng: &rng, track: pos & 7 == 0)
                // word2vec's rule: every context vector receives all of e, not
                // e/C (see the file header).
                for j in lo...hi where j != pos { K.axpy(1, error, input + Int(sentence[j]) * d, count: d) }
                if pos & 7 == 0 { sums[segment] += Double(loss); counts[segment] += 1 }
                examples += 1
            }
        }
        return examples
    }
}

/// What skip-gram does with one (centre, context) pair: the kernels' step
/// (`KernelPairStep`), or a step supplied from outside
/// (`ExternalPairStep`, for `Word2VecTrainer.train(skipGramStep:)`). The loop
/// is generic over it, so the kernels' path stays one specialised loop.
protocol SkipGramPairStep {
    /// Trains the pair whose centre's input row is `hidden`; returns the
    /// example's loss before the step when `track` is set.
    mutating func train(hidden: UnsafeMutablePointer<Float>, context: Int, alpha: Float, rng: inout SeededRandom,
                        track: Bool) -> Float
    /// True once the step has failed and training must stop.
    var stopped: Bool { get }
}

/// The trainer's own step: `contrast` on the output rows, then e into h.
struct KernelPairStep<K: Word2VecKernels>: SkipGramPairStep {
    let loop: LoopContext
    let error: UnsafeMutablePointer<Float>
    var stopped: Bool { false }

    @inline(__always)
    mutating func train(hidden h: UnsafeMutablePointer<Float>, context: Int, alpha: Float, rng: inout SeededRandom,
                        track: Bool) -> Float {
        error.update(repeating: 0, count: loop.dimension)
        let loss = loop.contrast(K.self, hidden: h, positive: context, negatives: loop.options.negative, alpha: alpha,
                                 error: error, rng: &rng, track: track)
        K.axpy(1, error, h, count: loop.dimension)
        return loss
    }
}
