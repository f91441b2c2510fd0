// EvaluationSet: a small word-analogy and word-similarity set written for
// tinyshakespeare, and how embeddings are scored on it.
//
// Contract
// - 34 analogies "a : b :: c : d" in five groups (gender, plural, past tense,
//   pronouns and archaic forms, ordinals). Every word occurs at least 5 times
//   in tinyshakespeare (tested), so all are answerable at --min-count 5.
//   An analogy is correct when d is the top answer of
//   `Embeddings.analogy(a, b, c)` (a, b and c excluded). Accuracy is over the
//   answerable analogies (all four words in the vocabulary).
// - 30 related pairs (king–queen, thou–thee, day–night…). Their mean cosine is
//   compared with that of mismatched pairs made of the same words (each
//   first word with every other pair's second word), which controls for word
//   frequency; the margin = related − mismatched. Random vectors give ≈ 0.
// - The corpus is small (~200k tokens): expect modest analogy accuracy; the
//   word2vec paper's 30–60% come from billions of tokens.

/// One analogy question a : b :: c : d.
public struct Analogy: Sendable, Hashable {
    public let group: String
    public let a: String, b: String, c: String, d: String
    public init(_ group: String, _ a: String, _ b: String, _ c: String, _ d: String) {
        self.group = group; self.a = a; self.b = b; self.c = c; self.d = d
    }
    public var words: [String] { [a, b, c, d] }
}

/// How embeddings fare on the evaluation set.
public struct EvaluationReport: Sendable {
    /// Analogies whose four words are all in the vocabulary.
    public let answerable: Int
    public let correct: Int
    /// Each answerable analogy with the model's top answer.
    public let answers: [(analogy: Analogy, answer: String)]
    public let relatedMean: Double
    public let mismatchedMean: Double

    public var accuracy: Double { answerable == 0 ? 0 : Double(correct) / Double(answerable) }
    public var margin: Double { relatedMean - mismatchedMean }
}

/// The evaluation set and its scoring.
public enum EvaluationSet {
    public static let analogies: [Analogy] = [
        .init("gender", "king", "queen", "man", "woman"),
        .init("gender", "king", "queen", "lord", "lady"),
        .init("gender", "king", "queen", "prince", "princess"),
        .init("gender", "king", "queen", "duke", "duchess"),
        .init("gender", "father", "mother", "son", "daughter"),
        .init("gender", "father", "mother", "brother", "sister"),
        .init("gender", "son", "daughter", "brother", "sister"),
        .init("gender", "husband", "wife", "father", "mother"),
        .init("gender", "he", "she", "him", "her"),
        .init("gender", "he", "she", "himself", "herself"),
        .init("gender", "man", "woman", "boy", "girl"),
        .init("gender", "sir", "madam", "lord", "lady"),
        .init("gender", "gentleman", "gentlewoman", "man", "woman"),
        .init("gender", "brother", "sister", "uncle", "aunt"),
        .init("plural", "king", "kings", "lord", "lords"),
        .init("plural", "son", "sons", "brother", "brothers"),
        .init("plural", "lord", "lords", "lady", "ladies"),
        .init("plural", "eye", "eyes", "hand", "hands"),
        .init("plural", "man", "men", "woman", "women"),
        .init("plural", "son", "sons", "daughter", "daughters"),
        .init("tense", "come", "came", "give", "gave"),
        .init("tense", "speak", "spoke", "take", "took"),
        .init("tense", "know", "knew", "see", "saw"),
        .init("tense", "say", "said", "take", "took"),
        .init("tense", "give", "gave", "take", "took"),
        .init("tense", "go", "went", "come", "came"),
        .init("pronoun", "i", "my", "thou", "thy"),
        .init("pronoun", "i", "me", "thou", "thee"),
        .init("pronoun", "he", "his", "she", "her"),
        .init("pronoun", "thou", "thy", "you", "your"),
        .init("pronoun", "i", "mine", "thou", "thine"),
        .init("pronoun", "we", "our", "they", "their"),
        .init("ordinal", "one", "two", "first", "second"),
        .init("ordinal", "two", "three", "second", "third"),
    ]

    public static let relatedPairs: [(String, String)] = [
        ("king", "queen"), ("father", "mother"), ("son", "daughter"), ("brother", "sister"),
        ("husband", "wife"), ("lord", "lady"), ("man", "woman"), ("duke", "duchess"),
        ("thou", "thee"), ("thy", "thine"), ("you", "your"), ("he", "she"), ("his", "her"),
        ("day", "night"), ("sun", "moon"), ("life", "death"), ("love", "hate"), ("war", "peace"),
        ("heaven", "hell"), ("good", "bad"), ("come", "go"), ("speak", "say"), ("eye", "eyes"),
        ("hand", "hands"), ("one", "two"), ("first", "second"), ("morning", "night"),
        ("summer", "winter"), ("gold", "silver"), ("sword", "blood"),
    ]

    /// Every word the set uses.
    public static var words: Set<String> {
        Set(analogies.flatMap(\.words) + relatedPairs.flatMap { [$0.0, $0.1] })
    }

    /// Scores embeddings on the set (see the file's contract).
    public static func evaluate(_ e: Embeddings) -> EvaluationReport {
        var answers: [(Analogy, String)] = []
        var correct = 0
        for q in analogies where q.words.allSatisfy({ e.id(of: $0) != nil }) {
            let top = (try? e.analogy(q.a, q.b, q.c, count: 1))?.first?.word ?? ""
            answers.append((q, top))
            if top == q.d { correct += 1 }
        }
        let pairs = relatedPairs.compactMap { p -> (Int, Int)? in
            guard let a = e.id(of: p.0), let b = e.id(of: p.1) else { return nil }
            return (a, b)
        }
        var related = 0.0, mismatched = 0.0, mismatchedCount = 0
        for (i, p) in pairs.enumerated() {
            related += e.cosine(ids: p.0, p.1)
            for (j, q) in pairs.enumerated() where j != i && q.1 != p.0 {
                mismatched += e.cosine(ids: p.0, q.1)
                mismatchedCount += 1
            }
        }
        return EvaluationReport(
            answerable: answers.count, correct: correct, answers: answers,
            relatedMean: pairs.isEmpty ? 0 : related / Double(pairs.count),
            mismatchedMean: mismatchedCount == 0 ? 0 : mismatched / Double(mismatchedCount))
    }
}
