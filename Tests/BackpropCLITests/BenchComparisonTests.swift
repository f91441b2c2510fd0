// `backprop bench --compare FILE`: reference rows are read from JSON lines,
// joined to our SIMD rows by kernel and shape, and the ratio is our time over
// theirs. Expected ratios are worked from the definition (ms/ms, or GFLOP/s
// inverted); malformed files are refused with the file and line named.

@testable import BackpropCLI
import BackpropCore
import Testing

@Suite struct BenchComparisonTests {
    static let reference = """
        # made by bench/pytorch_reference.py
        {"kernel":"mlp","shape":"64-256-256-10 batch 64 adam","variant":"pytorch","ms_per_step":0.8}

        {"kernel":"matmul","shape":"1024x1024x1024 nn","variant":"numpy","gflops":200}
        {"kernel":"gpt train step","shape":"L4","variant":"pytorch","ms_per_step":40}
        """

    @Test func joinsByKernelAndShapeAndDividesTimes() throws {
        let refs = try BenchComparison.parse(Self.reference, source: "ref.jsonl")
        #expect(refs.count == 3)
        let ours = [
            BenchRow(kernel: "mlp", shape: "64-256-256-10 batch 64 adam", variant: "naive", msPerStep: 20),
            BenchRow(kernel: "mlp", shape: "64-256-256-10 batch 64 adam", variant: "simd", msPerStep: 0.6),
            BenchRow(kernel: "matmul", shape: "1024x1024x1024 nn", variant: "simd", gflops: 160),
            BenchRow(kernel: "gpt train step", shape: "L8", variant: "simd", msPerStep: 30),
        ]
        let pairs = BenchComparison.pairs(ours, refs)
        #expect(pairs.count == 2)
        // 0.6 ms against 0.8 ms: 0.75 of their time.
        #expect(abs(pairs[0].2 - 0.75) < 1e-12)
        // 160 GFLOP/s against 200 on the same flops: 1.25 times their time.
        #expect(abs(pairs[1].2 - 1.25) < 1e-12)
        let text = BenchComparison.render(ours, refs, json: false)
        #expect(text.contains("0.75") && text.contains("1.25"))
        #expect(text.contains("not measured in this run: gpt train step [L4]"))
        let json = BenchComparison.render(ours, refs, json: true)
        #expect(json.contains(#""time_ratio":0.75"#) && json.contains(#""reference":"numpy""#))
    }

    @Test("a row naming the reference it is held to (the engine's step) is joined to that row, whatever its own kernel")
    func joinsARowToTheReferenceItNames() throws {
        let refs = try BenchComparison.parse(Self.reference, source: "ref.jsonl")
        var engine = BenchRow(kernel: "autodiff-mlp", shape: "64-256-256-10 batch 64 adam, tape 0.68 MB", variant: "simd engine",
                              msPerStep: 0.4)
        engine.comparedWith = ("mlp", "64-256-256-10 batch 64 adam")
        let unnamed = BenchRow(kernel: "autodiff-mlp", shape: "64-256-256-10 batch 64 adam", variant: "simd hand-written",
                               msPerStep: 0.4)
        let pairs = BenchComparison.pairs([unnamed, engine], refs)
        #expect(pairs.count == 1)
        #expect(pairs.first?.0.variant == "simd engine")
        #expect(abs((pairs.first?.2 ?? 0) - 0.5) < 1e-12)  // 0.4 ms against 0.8 ms
    }

    @Test("a malformed reference file is refused with its name and line", arguments: [
        ("{\"kernel\":\"mlp\"", "ref.jsonl, line 1: invalid JSON"),
        ("[1, 2]", "ref.jsonl, line 1: expected a JSON object"),
        ("\n{\"kernel\":\"mlp\",\"variant\":\"pytorch\",\"ms_per_step\":1}", "ref.jsonl, line 2: needs string fields"),
        ("{\"kernel\":\"mlp\",\"shape\":\"s\",\"variant\":\"pytorch\",\"ms_per_step\":0}", "needs a positive"),
    ])
    func malformed(_ text: String, _ message: String) {
        #expect {
            _ = try BenchComparison.parse(text, source: "ref.jsonl")
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func aMissingFileIsNamed() {
        #expect {
            _ = try BenchComparison.load("/nonexistent/ref.jsonl")
        } throws: { error in
            "\(error)".contains("cannot read the reference file /nonexistent/ref.jsonl")
        }
    }
}
