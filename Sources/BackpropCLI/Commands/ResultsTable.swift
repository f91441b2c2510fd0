// The results table of `tour` and every `train`: one row per run, the
// headline metrics as columns.

import BackpropCore
import Foundation

enum ResultsTable {
    static func render(_ runs: [RunSummary]) -> String {
        func pct(_ x: Double?) -> String { x.map { String(format: "%.1f%%", $0 * 100) } ?? "" }
        func num(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "" }
        let rows = runs.map { r -> [String] in
            var note = ""
            if case .bool(let c)? = r.details.first(where: { $0.0 == "converged" })?.1 { note = c ? "converged" : "did not converge" }
            if case .number(let g)? = r.details.first(where: { $0.0 == "gap_to_normal_equations" })?.1 {
                note = String(format: "GD within %.1e of normal equations", g)
            }
            if let a = r.metric("analogy_accuracy"), let m = r.metric("related_margin") {
                note = String(format: "analogies %.0f%%, related-pair margin %.2f", a * 100, m)
            }
            if let v = r.metric("val_loss") { note = String(format: "validation loss %.3f nats/char", v) }
            if let b = r.metric("bytes_per_token") { note = String(format: "%.3f bytes per token on held-out text", b) }
            if let b = r.metric("val_bits_per_char") { note = String(format: "validation loss %.3f bits/char", b) }
            return ["\(r.chapter)", r.model, r.dataset, pct(r.metric("train_accuracy")), pct(r.metric("test_accuracy")),
                    num(r.metric("test_loss") ?? r.metric("val_loss")), String(format: "%.2f", r.seconds), note]
        }
        return TextTable.render(
            header: ["ch", "model", "dataset", "train acc", "test acc", "test loss", "seconds", "note"], rows: rows)
    }
}
