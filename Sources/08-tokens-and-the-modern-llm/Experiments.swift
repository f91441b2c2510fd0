// Chapter 8's tokenizer runs, shared by `backprop train bpe`, `tour` and the
// chapter's tables: a BPE trained on tinyshakespeare's training part, and
// the compression each tokenizer gives on the held-out rest.
//
// The split is chapter 6's and 7's, by characters in the text's order: the
// first 90% for training, the last 10% held out (chapter 6 cuts that into
// validation and test halves; a tokenizer has nothing to choose, so both
// halves count here). Compression is bytes per token: UTF-8 bytes of the
// held-out text over the tokens it encodes to (1.0 for raw bytes; higher is
// better: a model then sees more text in the same context).

import BackpropCore
import Datasets
import Foundation

/// tinyshakespeare cut into the part a tokenizer is trained on and the held-out rest.
public struct TextSplit: Sendable {
    public let train: String
    public let heldOut: String

    /// The first `trainFraction` of the characters, and the rest.
    public init(_ text: String, trainFraction: Double = 0.9) {
        let cut = text.index(text.startIndex, offsetBy: Int((Double(text.count) * trainFraction).rounded(.down)))
        train = String(text[..<cut])
        heldOut = String(text[cut...])
    }

    /// tinyshakespeare, 90% / 10%.
    public static func shakespeare() throws -> TextSplit { TextSplit(try BundledData.shakespeare()) }
}

/// One tokenizer measured on held-out text.
public struct CompressionResult: Sendable {
    public var name: String
    public var vocabularySize: Int
    public var heldOutBytes: Int
    public var heldOutTokens: Int
    /// Seconds to train (nil for GPT-2, which comes trained).
    public var trainingSeconds: Double?
    /// Seconds to encode the held-out text (one call).
    public var encodingSeconds: Double

    public var bytesPerToken: Double { Double(heldOutBytes) / Double(max(heldOutTokens, 1)) }
}

public enum Chapter8 {
    /// Trains a BPE on the training part of `split` and measures it on the held-out part.
    public static func trainAndMeasure(_ options: BPETrainingOptions, split: TextSplit) throws -> (BPETokenizer, BPETrainingReport, CompressionResult) {
        let (bpe, report) = try BPETrainer.train(split.train, options: options)
        var result = measure(bpe, name: "bpe \(options.vocabularySize) (\(options.preTokenization.rawValue))", on: split.heldOut)
        result.trainingSeconds = report.seconds
        return (bpe, report, result)
    }

    /// Bytes per token of `tokenizer` on `text`, and the time of one encoding call.
    public static func measure(_ tokenizer: any TextTokenizer, name: String, on text: String) -> CompressionResult {
        let start = Date()
        let tokens = tokenizer.encode(text).count
        return CompressionResult(name: name, vocabularySize: tokenizer.vocabularySize, heldOutBytes: text.utf8.count,
                                 heldOutTokens: tokens, trainingSeconds: nil, encodingSeconds: Date().timeIntervalSince(start))
    }

    /// The compression table: a BPE at each vocabulary size (with and without
    /// pre-tokenization), then GPT-2's 50,257 tokens, all on the same held-out text.
    public static func compressionTable(sizes: [Int] = [512, 1280, 4352], modes: [PreTokenization] = PreTokenization.allCases,
                                        split: TextSplit) throws -> [CompressionResult] {
        var rows: [CompressionResult] = []
        for mode in modes {
            for size in sizes {
                rows.append(try trainAndMeasure(BPETrainingOptions(vocabularySize: size, preTokenization: mode), split: split).2)
            }
        }
        rows.append(measure(try GPT2Tokenizer.bundled(), name: "gpt2", on: split.heldOut))
        return rows
    }

    /// A run summary of one measured tokenizer (bytes per token, vocabulary, held-out sizes).
    public static func summary(_ r: CompressionResult, model: String, details: [(String, JSONValue)] = []) -> RunSummary {
        RunSummary(chapter: 8, model: model, dataset: "tinyshakespeare",
                   metrics: [("bytes_per_token", (r.bytesPerToken * 1000).rounded() / 1000)],
                   seconds: r.trainingSeconds ?? r.encodingSeconds,
                   details: [("vocabulary", .integer(r.vocabularySize)), ("held_out_bytes", .integer(r.heldOutBytes)),
                             ("held_out_tokens", .integer(r.heldOutTokens))] + details)
    }

    /// The tour's runs: a BPE of 512 tokens trained on tinyshakespeare, and GPT-2's tokenizer, on the held-out text.
    public static func tour(seed: UInt64) -> [(name: String, run: () throws -> RunSummary)] {
        [("BPE, 512 tokens, on Shakespeare", {
            let split = try TextSplit.shakespeare()
            let (bpe, report, r) = try trainAndMeasure(BPETrainingOptions(vocabularySize: 512), split: split)
            let first = try (256..<266).map { String(decoding: try bpe.bytes(of: $0), as: UTF8.self).debugDescription }
            print("\n  first merges: " + first.joined(separator: " "))
            return summary(r, model: "bpe 512", details: [("merges", .integer(bpe.merges.count)), ("training_words", .integer(report.words))])
        }), ("GPT-2's tokenizer on Shakespeare", {
            let split = try TextSplit.shakespeare()
            let gpt2 = try GPT2Tokenizer.bundled()
            let r = measure(gpt2, name: "gpt2", on: split.heldOut)
            return summary(r, model: "gpt2 tokenizer", details: [("mb_per_second", .number((Double(r.heldOutBytes) / r.encodingSeconds / 1e4).rounded() / 100))])
        })]
    }
}
