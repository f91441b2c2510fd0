// Exercise 8.1 — a step of BPE training: count the pairs, merge one
// (chapters/08-tokens-and-the-modern-llm.md, "Byte-pair encoding").
//
// Implement. Training a byte-level BPE starts from the text as bytes (one
// token per byte, ids 0–255) and repeats one step: find the most frequent
// pair of adjacent tokens (a, b), give it the next id z = 256, 257, …, and
// replace every occurrence of a b by z. Write the two halves of that step.
//
// mostFrequentPair(tokens): the pair (left, right) that occurs most often
// as adjacent tokens, with its count, or nil when there are fewer than two
// tokens. Count every adjacent position: tokens[i], tokens[i + 1] for each
// i, so overlapping occurrences all count. Among pairs with the same count,
// return the one with the smaller left id, and among those the smaller right
// id (the book's trainer does the same, so that training is reproducible
// by hand).
//
// mergePair(tokens, left, right, into: z): the tokens with every occurrence
// of (left, right) replaced by z, scanning left to right. Occurrences may
// overlap when left == right; take them as the scan meets them and never
// reuse a token that has already been merged. Every other token is kept,
// in order.
//
// Before you write them, work these out by hand: "aaa" with the pair (a, a);
// "aaaa"; "ababa" with (b, a); and the count of (a, a) in "aaa".
//
// The grader checks hand-worked sequences (runs of one token, overlapping
// pairs, the pair at either end, no pair at all, empty input) and random
// ones against its own loop; hand-worked counts (overlapping occurrences,
// ties on either id); then replays 20 merges of BPE training on a short
// text with your two functions and compares the merges and their counts.
//
// Replace each `throw` with your code, then run:
//   swift test --package-path exercises/08-tokens-and-the-modern-llm --filter Chapter08Exercises/bytePairMerge

import ExerciseKit

public func mostFrequentPair(_ tokens: [Int]) throws -> (left: Int, right: Int, count: Int)? {
    throw NotAttempted()
}

public func mergePair(_ tokens: [Int], left: Int, right: Int, into merged: Int) throws -> [Int] {
    throw NotAttempted()
}
