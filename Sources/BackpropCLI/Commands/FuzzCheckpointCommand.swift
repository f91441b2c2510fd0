// `backprop fuzz-checkpoint`: corrupts valid checkpoints of every model kind
// (and any given with --model) in seeded ways and loads each through the
// model registry; every case must end in a loaded model or a typed
// CheckpointError. Prints how many loaded and which errors occurred.

import BackpropCore
import Foundation
import ModelAsAService

enum FuzzCheckpointCommand {
    static let command = Command(
        "fuzz-checkpoint", summary: "corrupt checkpoints in many ways; every case must load or fail with a typed error",
        flags: [
            Flag(name: "cases", value: "N", help: "corrupted files to try (default 100000)"),
            .seed(),
            Flag(name: "model", value: "PATH", help: "also corrupt this checkpoint"),
            .json,
        ],
        details: "Fuzzes the checkpoint reader and the model loaders with corrupted files. Mutations: "
            + CheckpointFuzz.mutationNames.joined(separator: ", ")
            + ". Exit status 1 if any case ends other than in a load or a typed error."
    ) { try run($0) }

    static func run(_ args: Arguments) throws {
        let cases = try args.int("cases", default: 100_000, range: 1...100_000_000)
        let seed = try args.seed()
        var seeds = try SampleCheckpoints.all().map { try $0.checkpoint.encoded() }
        if let path = args.string("model") {
            let url = URL(fileURLWithPath: path)
            _ = try ModelRegistry.open(url)  // it must be valid to begin with
            seeds.append(try Data(contentsOf: url))
        }
        let report = CheckpointFuzz.run(seeds: seeds, cases: cases, seed: seed, load: ModelRegistry.fuzzLoad)
        print(report.summary)
        if args.has("json") {
            print(JSONValue.object([
                ("cases", .integer(report.cases)), ("loaded", .integer(report.loaded)),
                ("errors", .object(report.errors.sorted { $0.key < $1.key }.map { ($0.key, .integer($0.value)) })),
                ("failures", .integer(report.failures.count)), ("seconds", .number((report.seconds * 1000).rounded() / 1000)),
            ]).rendered)
        }
        guard report.failures.isEmpty else {
            throw FuzzFailure(count: report.failures.count)
        }
    }

    struct FuzzFailure: Error, CustomStringConvertible {
        let count: Int
        var description: String { "\(count) fuzz cases ended in something other than a load or a typed checkpoint error" }
    }
}
