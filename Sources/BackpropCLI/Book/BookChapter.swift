// One chapter of the book as the command line sees it: what it adds to the
// tour, the figures, the benchmarks and `train`, and its own commands. Each
// chapter describes itself once, in Chapters/NN-name.swift; `tour`,
// `figures`, `bench`, `train` and the help iterate over `Book.chapters`.

import BackpropCore
import Figures

/// A named run of the tour, reported between runs.
typealias TourRun = (name: String, run: () throws -> RunSummary)

/// Figures by file name.
typealias NamedFigures = [(String, any Figure)]

struct BookChapter: Sendable {
    let number: Int
    /// As the tour prints it: "Chapter 5: convolutional networks".
    let title: String
    /// The tour's runs on the shipped data (none: the chapter is not in the tour).
    var tour: @Sendable (_ seed: UInt64) -> [TourRun] = { _ in [] }
    /// Figures drawn without training anything (quick in any build).
    var untrainedFigures: @Sendable () throws -> NamedFigures = { [] }
    /// Figures of trained models (build with -c release).
    var trainedFigures: @Sendable () throws -> NamedFigures = { [] }
    /// A note `figures --chapter N` prints about figures made elsewhere.
    var figuresNote: String?
    /// `backprop bench` entries, in the order they run.
    var benchmarks: [Benchmark] = []
    /// `backprop train <model>` commands.
    var models: [Command] = []
    /// The chapter's other commands (`neighbors`, `generate`, `serve`…).
    var commands: [Command] = []

    var heading: String { "Chapter \(number): \(title)" }
}

/// One `backprop bench` entry.
struct Benchmark: Sendable {
    /// What `backprop bench NAME` calls it.
    let name: String
    /// False for a benchmark too long for the no-argument run: it runs only when named.
    var runsByDefault = true
    /// The rows to print; a benchmark that prints its own report returns none.
    let run: @Sendable (BenchSettings) throws -> [BenchRow]
    /// For a throughput benchmark (a tokenizer): the bytes each row's call
    /// processes, so `bench` adds MB/s (`mb_per_second`) to every row with a time.
    var bytesPerCall: (@Sendable (BenchSettings) throws -> Int)?

    init(_ name: String, runsByDefault: Bool = true, bytesPerCall: (@Sendable (BenchSettings) throws -> Int)? = nil,
         run: @escaping @Sendable (BenchSettings) throws -> [BenchRow]) {
        self.name = name
        self.runsByDefault = runsByDefault
        self.bytesPerCall = bytesPerCall
        self.run = run
    }
}

/// What every benchmark is told.
struct BenchSettings: Sendable {
    /// This CPU's FMA peak on all cores, measured at the start of the run.
    var peakGflops: Double
    /// Small shapes and short timings (a smoke test).
    var quick: Bool
    /// JSON lines instead of a table.
    var json: Bool
    /// Also draw the benchmark's figure, where it has one.
    var figure: Bool
}
