// Chapter 9, the model as a service: `predict` (offline inference from a
// checkpoint), `serve` (the HTTP service), `fuzz-checkpoint` (the checkpoint
// reader under corrupted files), its diagrams, and the `serve`,
// `serve-stream` and `decode-step` benchmarks, the first two of which also
// measure the chapter's two measured figures.

import BackpropCore
import ModelAsAService

extension BookChapter {
    static let modelAsAService = BookChapter(
        number: 9, title: "the model as a service",
        untrainedFigures: { try Chapter9Figures.untrained() },
        figuresNote: "chapter 9's figures 09-batching.svg and 09-continuous-batching.svg are measured, not drawn from code: "
            + "`backprop bench serve --figure` and `backprop bench serve-stream --figure`",
        benchmarks: [Benchmark("serve", runsByDefault: false) {
            try ServeBenchCommand.run(quick: $0.quick, json: $0.json, figure: $0.figure)
            return []
        }, Benchmark("quantize") { try QuantizationBenchmark.run(quick: $0.quick) },
        Benchmark("serve-stream", runsByDefault: false) {
            try ServeBenchCommand.streams(quick: $0.quick, json: $0.json, figure: $0.figure)
            return []
        }, Benchmark("decode-step", runsByDefault: false) {
            ServeBenchCommand.show(try ServingBenchmark.decodeSteps(quick: $0.quick), json: $0.json)
            return []
        }],
        commands: [PredictCommand.command, ServeCommand.command, QuantizeCommand.command, FuzzCheckpointCommand.command])
}
