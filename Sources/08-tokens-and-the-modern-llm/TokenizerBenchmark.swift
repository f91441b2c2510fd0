// `backprop bench tokenizer`: encoding speed on the whole of tinyshakespeare
// (1,115,394 bytes), one call per timing, as tiktoken is timed by
// bench/pytorch_reference.py (`encode_ordinary` of the same text), so
// `backprop bench --compare` can give the ratio. Rows:
//
//   gpt2 encode   GPT-2's tokenizer (50,257 tokens), a fresh word cache per call
//   bpe encode    a BPE of 1,280 tokens trained on the same text, with and
//                 without pre-tokenization (without, the text is one sequence
//                 merged by the heap)
//   bpe train     training that BPE (on the same text, so MB/s is comparable)
//
// A tokenizer has no naive and SIMD twins; its rows have the variant "swift".
// Each row's milliseconds are per call; `backprop bench` adds MB/s.

import BackpropCore
import Datasets

public enum TokenizerBenchmark {
    /// The text every row processes, and its size in bytes (for MB/s).
    public static func text(quick: Bool) throws -> String {
        let text = try BundledData.shakespeare()
        return quick ? String(text.prefix(text.count / 10)) : text
    }

    public static func bytes(quick: Bool) throws -> Int { try text(quick: quick).utf8.count }

    public static func run(quick: Bool = false) throws -> [BenchRow] {
        let text = try text(quick: quick)
        let shape = "tinyshakespeare \(text.utf8.count) bytes"
        let seconds = quick ? 0.1 : 1.0
        var rows: [BenchRow] = []
        let gpt2 = try GPT2Tokenizer.bundled()
        var count = 0
        let t = Benchmark.bestTime(minSeconds: seconds) { count = gpt2.encode(text).count }
        precondition(count > 0)
        rows.append(BenchRow(kernel: "gpt2 encode", shape: shape, variant: "swift", msPerStep: t * 1000))
        for mode in PreTokenization.allCases {
            let options = BPETrainingOptions(vocabularySize: 1280, preTokenization: mode)
            var bpe = try BPETrainer.train(text, options: options).tokenizer
            let te = Benchmark.bestTime(minSeconds: seconds) { count = bpe.encode(text).count }
            rows.append(BenchRow(kernel: "bpe encode", shape: shape + " vocab 1280 \(mode.rawValue)", variant: "swift", msPerStep: te * 1000))
            let tt = Benchmark.bestTime(minSeconds: seconds, minRuns: 1) { bpe = (try? BPETrainer.train(text, options: options).tokenizer) ?? bpe }
            rows.append(BenchRow(kernel: "bpe train", shape: shape + " vocab 1280 \(mode.rawValue)", variant: "swift", msPerStep: tt * 1000))
        }
        return rows
    }
}
