// `backprop bench --compare FILE`: our SIMD rows (and the rows of code with no
// naive twin, variant "swift": the tokenizers) beside a reference's rows of
// the same kernel and shape (or of the kernel and shape a row names in
// `comparedWith`: the autodiff engine's steps against PyTorch's), read from JSON lines such as those printed by
// `bench/pytorch_reference.py` ({"kernel", "shape", "variant", and
// "ms_per_step" or "gflops"}).
//
// The ratio is always a ratio of times, ours over theirs: below 1 we are
// faster. For a row in GFLOP/s (the same flops on both sides) that is
// their GFLOP/s over ours; for a step or a token it is our milliseconds
// over theirs.

import BackpropCore
import Foundation
import Storage

enum BenchComparison {
    /// One measurement of the reference implementation.
    struct Reference: Equatable {
        var kernel: String, shape: String, variant: String
        var msPerStep: Double?, gflops: Double?
    }

    /// The reference rows of a JSON-lines file; blank lines and `#` comments are skipped.
    /// - Throws: `UsageError` naming the file (and line) when it cannot be read,
    ///   a line is not a JSON object, or it lacks kernel/shape/variant or a figure.
    static func load(_ path: String) throws -> [Reference] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw UsageError("backprop bench: cannot read the reference file \(path)")
        }
        return try parse(text, source: path)
    }

    static func parse(_ text: String, source: String) throws -> [Reference] {
        var references: [Reference] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            func fail(_ why: String) -> UsageError { UsageError("backprop bench: \(source), line \(number + 1): \(why)") }
            let value: JSONValue
            do { value = try JSONParser.parse(String(trimmed)) } catch { throw fail("\(error)") }
            guard value.objectValue != nil else { throw fail("expected a JSON object") }
            guard let kernel = value["kernel"]?.stringValue, let shape = value["shape"]?.stringValue,
                  let variant = value["variant"]?.stringValue else {
                throw fail("needs string fields \"kernel\", \"shape\" and \"variant\"")
            }
            let ms = value["ms_per_step"]?.doubleValue, gflops = value["gflops"]?.doubleValue
            if kernel == "fma_peak" { continue }
            guard (ms ?? 0) > 0 || (gflops ?? 0) > 0 else { throw fail("needs a positive \"ms_per_step\" or \"gflops\"") }
            references.append(Reference(kernel: kernel, shape: shape, variant: variant, msPerStep: ms, gflops: gflops))
        }
        return references
    }

    /// Our time over theirs (below 1: we are faster), if the two rows can be compared.
    static func ratio(_ ours: BenchRow, _ theirs: Reference) -> Double? {
        if let a = ours.msPerStep, let b = theirs.msPerStep, a > 0, b > 0 { return a / b }
        if let a = ours.gflops, let b = theirs.gflops, a > 0, b > 0 { return b / a }
        return nil
    }

    /// (our SIMD or "swift" row, or a row naming the reference it is held to (`comparedWith`);
    /// a reference row of that kernel and shape; the ratio), in our order.
    static func pairs(_ rows: [BenchRow], _ references: [Reference]) -> [(BenchRow, Reference, Double)] {
        rows.filter { $0.variant == "simd" || $0.variant == "swift" || $0.comparedWith != nil }.flatMap { row in
            let (kernel, shape) = row.comparedWith ?? (row.kernel, row.shape)
            return references.filter { $0.kernel == kernel && $0.shape == shape }.compactMap { ref in
                ratio(row, ref).map { (row, ref, $0) }
            }
        }
    }

    static func figure(_ ms: Double?, _ gflops: Double?) -> String {
        if let ms { return String(format: "%.3f ms", ms) }
        return gflops.map { String(format: "%.1f GFLOP/s", $0) } ?? "—"
    }

    /// The comparison table (or JSON lines), with the references nothing matched listed after it.
    static func render(_ rows: [BenchRow], _ references: [Reference], json: Bool) -> String {
        let matched = pairs(rows, references)
        if json {
            return matched.map { row, ref, r in
                var fields: [(String, JSONValue)] = [("kernel", .string(row.kernel)), ("shape", .string(row.shape)),
                                                     ("variant", .string(row.variant)), ("reference", .string(ref.variant))]
                if let ms = row.msPerStep, let theirs = ref.msPerStep {
                    fields += [("ms_per_step", .number((ms * 1000).rounded() / 1000)),
                               ("reference_ms_per_step", .number((theirs * 1000).rounded() / 1000))]
                } else if let g = row.gflops, let theirs = ref.gflops {
                    fields += [("gflops", .number((g * 10).rounded() / 10)), ("reference_gflops", .number((theirs * 10).rounded() / 10))]
                }
                fields.append(("time_ratio", .number((r * 1000).rounded() / 1000)))
                return JSONValue.object(fields).rendered
            }.joined(separator: "\n")
        }
        let table = TextTable.render(
            header: ["kernel", "shape", "ours (simd)", "reference", "theirs", "time ratio"],
            rows: matched.map { row, ref, r in
                let ours = ref.msPerStep != nil ? figure(row.msPerStep, nil) : figure(nil, row.gflops)
                return [row.kernel, row.shape, ours, ref.variant, figure(ref.msPerStep, ref.gflops), String(format: "%.2f", r)]
            })
        let unmatched = references.filter { ref in !matched.contains { $0.1 == ref } }
        var text = "time ratio = our time / theirs (below 1: faster)\n" + table
        if !unmatched.isEmpty {
            text += "\nnot measured in this run: " + unmatched.map { "\($0.kernel) [\($0.shape)]" }.joined(separator: ", ")
        }
        return text
    }
}
