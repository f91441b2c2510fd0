// Skip-gram with a step supplied from outside: the same corpus, subsampling,
// windows, negatives and learning-rate schedule as `train()`, but each
// (centre, context) pair is trained by a function on plain Double arrays
// instead of the kernels. Exercise 4.5 plugs a student's SGD step in here;
// the book's own step (`NegativeSampling.example`) trains the same way (tested).
//
// Contract
// - Skip-gram only, on one thread whatever `options.threads` says (the step
//   need not be thread-safe), so a run is fixed by the seed.
// - For each pair the trainer draws the K negatives exactly as `train()`
//   does (the same random numbers; a draw equal to the context word is
//   skipped, so there may be fewer than K, and a word drawn twice appears
//   twice), copies the centre's input row v, the context's output row u and
//   the negatives' output rows into Double arrays, and calls
//   step(v, u, negatives, α). It then adds each returned vector's change to
//   its row: a negative drawn twice gets both changes, as SGD on L's sum.
// - The loss history is computed by the trainer from the vectors before the
//   step (`NegativeSampling.example`), never taken from the step.
// - The first error the step throws ends training and is rethrown; returned
//   vectors of the wrong length throw `TrainingError.invalidOption`.

import BackpropCore

extension Word2VecTrainer {
    /// One SGD step of skip-gram with negative sampling on one example: the
    /// vectors before the step and the learning rate α in, the vectors after
    /// the step out (see the file's contract).
    public typealias SkipGramStep = (_ center: [Double], _ context: [Double], _ negatives: [[Double]],
                                     _ learningRate: Double) throws
        -> (center: [Double], context: [Double], negatives: [[Double]])

    /// Trains skip-gram with `step` in place of the kernels (see the file's
    /// contract).
    /// - Throws: `TrainingError.invalidOption` unless the model is `.sgns`, or
    ///   when the step returns vectors of the wrong length; the step's own
    ///   errors; `TrainingError.nonFinite` if the vectors blow up.
    public func train(skipGramStep step: @escaping SkipGramStep) throws -> Word2VecResult {
        guard options.model == .sgns else {
            throw TrainingError.invalidOption(name: "model", value: options.model.rawValue,
                                              reason: "an external step trains skip-gram (sgns) only")
        }
        return try train(externalStep: step)
    }
}

/// A pair trained by a `SkipGramStep` on Double copies of the rows.
struct ExternalPairStep: SkipGramPairStep {
    let loop: LoopContext
    let step: Word2VecTrainer.SkipGramStep
    var error: (any Error)?
    var stopped: Bool { error != nil }

    mutating func train(hidden h: UnsafeMutablePointer<Float>, context: Int, alpha: Float, rng: inout SeededRandom,
                        track: Bool) -> Float {
        let d = loop.dimension
        // The same draws as `contrast`: K random numbers, the context word skipped.
        var negatives: [Int] = []
        for _ in 0..<loop.options.negative {
            let w = loop.negative(rng.next())
            if w != context { negatives.append(w) }
        }
        let rows = [h, loop.output + context * d] + negatives.map { loop.output + $0 * d }
        let before = rows.map { p in (0..<d).map { Double(p[$0]) } }
        let loss = track
            ? Float(NegativeSampling.example(hidden: before[0], positive: before[1], negatives: Array(before[2...])).loss)
            : 0
        do {
            let after = try step(before[0], before[1], Array(before[2...]), Double(alpha))
            let all = [after.center, after.context] + after.negatives
            guard after.negatives.count == negatives.count, all.allSatisfy({ $0.count == d }) else {
                throw TrainingError.invalidOption(
                    name: "skip-gram step", value: "\(after.center.count), \(after.context.count), \(after.negatives.map(\.count))",
                    reason: "must return vectors of length \(d): the centre, the context and one per negative "
                        + "(\(negatives.count) here)")
            }
            for (row, (old, new)) in zip(rows, zip(before, all)) {
                for i in 0..<d { row[i] += Float(new[i] - old[i]) }
            }
        } catch {
            self.error = error
        }
        return loss
    }
}
