// A character corpus for language modelling: the text as token ids, split in
// order into a training part (the first 90%), a validation part and a held-out
// test part (tinyshakespeare: 5% each), and two ways to cut minibatches from it.
// The validation part is for choices (initialisation, learning rate, when to
// stop); the test part is evaluated once, at the end, and reported.
//
//   - `StreamBatches` (chapter 6): the training tokens are cut into B equal
//     streams, and step t takes window t of every stream. Consecutive batches
//     continue each other row by row, so a recurrent network can carry its
//     hidden state from one window to the next (truncated BPTT).
//   - `randomWindows` (chapter 7): B windows at random offsets; a Transformer
//     sees only its context, so no state is carried.
//
// In both, the target of input token x[t] is the next token x[t+1].

import BackpropCore
import Datasets

/// Token ids of a text with its train / validation / test split.
public struct CharacterCorpus: Sendable {
    public let vocabulary: CharacterVocabulary
    public let train: [Int]
    public let validation: [Int]
    /// The held-out end of the text; empty when the corpus was made without one.
    public let test: [Int]

    /// Encodes `text` and splits it in order: the first `trainFraction` for
    /// training, the last `testFraction` for testing (none by default), the
    /// rest for validation.
    /// - Throws: `TextError.emptyText`, `TrainingError.invalidOption` for
    ///   fractions that do not leave a validation part, or
    ///   `TrainingError.unsuitableData` if a part is too short to use.
    public init(text: String, trainFraction: Double = 0.9, testFraction: Double = 0) throws {
        vocabulary = try CharacterVocabulary(text: text)
        let tokens = try vocabulary.encode(text)
        guard trainFraction > 0 && trainFraction < 1 else {
            throw TrainingError.invalidOption(name: "train fraction", value: "\(trainFraction)", reason: "must be strictly between 0 and 1")
        }
        guard testFraction >= 0 && trainFraction + testFraction < 1 else {
            throw TrainingError.invalidOption(name: "test fraction", value: "\(testFraction)",
                                              reason: "must be at least 0 and leave a validation part after the training part")
        }
        let n = tokens.count
        let cut = Int((Double(n) * trainFraction).rounded(.down))
        let testCut = testFraction > 0 ? Int((Double(n) * (1 - testFraction)).rounded(.down)) : n
        guard cut >= 2 && testCut - cut >= 2 && (testFraction == 0 || n - testCut >= 2) else {
            throw TrainingError.unsuitableData("a text of \(n) characters is too short to split into training, validation and test parts")
        }
        train = Array(tokens[..<cut])
        validation = Array(tokens[cut..<testCut])
        test = Array(tokens[testCut...])
    }

    /// tinyshakespeare, bundled with the book: 90% training, 5% validation,
    /// 5% test, in the text's order.
    public static func shakespeare() throws -> CharacterCorpus {
        try CharacterCorpus(text: try BundledData.shakespeare(), trainFraction: 0.9, testFraction: 0.05)
    }

    /// The first `characters` characters of tinyshakespeare, 90% training and
    /// 10% validation (no test part): a small corpus for quick runs, tests and
    /// exercises (its vocabulary holds only the characters that occur in it).
    public static func shakespeare(prefix characters: Int) throws -> CharacterCorpus {
        try CharacterCorpus(text: String(try BundledData.shakespeare().prefix(characters)))
    }

    /// `batch` windows of `length` tokens starting at random offsets in
    /// `tokens`, with their next-token targets; both are [batch·length],
    /// row-major (row b is window b).
    /// - Throws: `TrainingError.unsuitableData` if `tokens` is shorter than length + 1.
    public static func randomWindows(
        _ tokens: [Int], batch: Int, length: Int, rng: inout SeededRandom
    ) throws -> (inputs: [Int], targets: [Int]) {
        guard batch > 0 && length > 0 else {
            throw TrainingError.invalidOption(name: "batch/length", value: "\(batch)/\(length)", reason: "both must be positive")
        }
        guard tokens.count > length else {
            throw TrainingError.unsuitableData("\(tokens.count) tokens cannot hold a window of \(length) plus its target")
        }
        var inputs = [Int](), targets = [Int]()
        inputs.reserveCapacity(batch * length)
        targets.reserveCapacity(batch * length)
        for _ in 0..<batch {
            let start = rng.integer(below: tokens.count - length)
            inputs += tokens[start..<(start + length)]
            targets += tokens[(start + 1)...(start + length)]
        }
        return (inputs, targets)
    }
}

/// Consecutive windows of B parallel streams (truncated BPTT order).
///
/// `tokens` is cut into `batch` streams of ⌊(n−1)/batch⌋ tokens; window w of
/// stream b covers positions [w·length, (w+1)·length) of that stream. After
/// the last full window the batches start again from window 0 (a new epoch),
/// and `startsEpoch` tells the caller to reset its carried state.
public struct StreamBatches: Sendable {
    public let batch: Int, length: Int
    private let tokens: [Int]
    private let streamLength: Int
    public let windowsPerEpoch: Int
    private var window = 0

    /// - Throws: `TrainingError.unsuitableData` if a stream cannot hold one window.
    public init(_ tokens: [Int], batch: Int, length: Int) throws {
        guard batch > 0 && length > 0 else {
            throw TrainingError.invalidOption(name: "batch/length", value: "\(batch)/\(length)", reason: "both must be positive")
        }
        self.tokens = tokens
        self.batch = batch
        self.length = length
        streamLength = (tokens.count - 1) / batch
        windowsPerEpoch = streamLength / length
        guard windowsPerEpoch >= 1 else {
            throw TrainingError.unsuitableData("\(tokens.count) tokens cannot be cut into \(batch) streams of at least \(length + 1)")
        }
    }

    /// The next batch: inputs and targets [batch·length], row b from stream b,
    /// and whether this batch begins a new pass (carried state must be reset).
    public mutating func next() -> (inputs: [Int], targets: [Int], startsEpoch: Bool) {
        let startsEpoch = window == 0
        var inputs = [Int](), targets = [Int]()
        inputs.reserveCapacity(batch * length)
        targets.reserveCapacity(batch * length)
        for b in 0..<batch {
            let start = b * streamLength + window * length
            inputs += tokens[start..<(start + length)]
            targets += tokens[(start + 1)...(start + length)]
        }
        window = (window + 1) % windowsPerEpoch
        return (inputs, targets, startsEpoch)
    }
}
