// Chapter 9, the model as a service: `predict` (offline inference from a
// checkpoint), `serve` (the HTTP service), `fuzz-checkpoint` (the checkpoint
// reader under corrupted files), its diagrams, and the `serve` benchmark,
// which also measures the chapter's one measured figure.

import BackpropCore
import ModelAsAService

extension BookChapter {
    static let modelAsAService = BookChapter(
        number: 9, title: "the model as a service",
        untrainedFigures: { try Chapter9Figures.untrained() },
        figuresNote: "chapter 9's figure 09-batching.svg is measured, not drawn from code: `backprop bench serve --figure`",
        benchmarks: [Benchmark("serve", runsByDefault: false) {
            try ServeBenchCommand.run(quick: $0.quick, json: $0.json, figure: $0.figure)
            return []
        }, Benchmark("quantize") { try QuantizationBenchmark.run(quick: $0.quick) },
        Benchmark("serve-stream", runsByDefault: false) {
            try ServeBenchCommand.streams(quick: $0.quick, json: $0.json)
            return []
        }],
        commands: [PredictCommand.command, ServeCommand.command, QuantizeCommand.command, FuzzCheckpointCommand.command])
}
