// SkipGramTrace: the skip-gram trainer's first examples, replayed without
// training, for the chapter's diagrams.
//
// Contract
// - Replays thread 0's first epoch of `Word2VecTrainer` with the same
//   generator and the same order of draws as `LoopContext.skipGram`: one
//   uniform per token of the chunk for subsampling, then for each kept centre
//   position one window draw b ∈ 1…W and, for each context word, K draws from
//   the unigram^¾ alias table (a draw equal to the positive word is recorded
//   and marked skipped, as the trainer skips it).
// - Nothing is trained: the trace says which rows each example reads and
//   writes, not what they contain. A test checks it against the trainer: after
//   one single-threaded epoch, the output rows the trainer has touched are
//   exactly the targets the trace lists.

import BackpropCore

/// The first skip-gram examples of a run, as the trainer draws them.
public struct SkipGramTrace: Sendable {
    /// One (centre, context) example and its negative draws.
    public struct Example: Sendable {
        /// Position of the context word in the subsampled text.
        public let contextPosition: Int
        /// The positive word's id.
        public let context: Int
        /// The K draws from the noise table, in order (skipped ones included).
        public let negatives: [Int]
        /// The draws the trainer uses: those different from the positive.
        public var usedNegatives: [Int] { negatives.filter { $0 != context } }
    }

    /// One kept centre word, its window draw and its examples.
    public struct Centre: Sendable {
        /// Position in the subsampled text.
        public let position: Int
        public let word: Int
        /// The window size drawn, 1…W.
        public let window: Int
        public let examples: [Example]
    }

    /// For each token of thread 0's chunk (ids after the min-count filter),
    /// whether subsampling kept it in the first epoch.
    public let kept: [Bool]
    /// The subsampled text of thread 0's chunk: the ids the windows run over.
    public let sentence: [Int32]
    /// The first centre words, in order.
    public let centres: [Centre]

    /// Replays the first `count` kept centre words of thread 0's first epoch.
    public init(trainer: Word2VecTrainer, centres count: Int) {
        let o = trainer.options
        let threads = max(1, min(o.threads, trainer.corpus.count))
        let chunk = trainer.corpus[0..<(trainer.corpus.count / threads)]
        let keep = Subsampler(counts: trainer.vocabulary.counts, threshold: o.sample).keepProbability
        let alias = AliasTable.unigram(counts: trainer.vocabulary.counts)
        // Thread 0's seed, as LoopContext.threadSeed(0).
        var rng = SeededRandom(seed: o.seed ^ (0x9E37_79B9_7F4A_7C15 &* 1))
        var kept: [Bool] = [], sentence: [Int32] = []
        kept.reserveCapacity(chunk.count)
        for w in chunk {
            let k = rng.uniform() < keep[Int(w)]
            kept.append(k)
            if k { sentence.append(w) }
        }
        var centres: [Centre] = []
        for pos in 0..<min(count, sentence.count) {
            let b = 1 + rng.integer(below: o.window)
            var examples: [Example] = []
            for j in max(0, pos - b)...min(sentence.count - 1, pos + b) where j != pos {
                let negatives = (0..<o.negative).map { _ in alias.sample(rng.next()) }
                examples.append(Example(contextPosition: j, context: Int(sentence[j]), negatives: negatives))
            }
            centres.append(Centre(position: pos, word: Int(sentence[pos]), window: b, examples: examples))
        }
        self.kept = kept
        self.sentence = sentence
        self.centres = centres
    }
}
