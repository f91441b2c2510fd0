// `backprop train <model>`: one training run of a chapter's model (Book.models),
// a summary, and with --json a last line holding one JSON object.

import BackpropCore

enum TrainCommand {
    static var modelNames: [String] { Book.models.map(\.word) }

    /// The models by chapter, for the help.
    static var models: String {
        let width = modelNames.map(\.count).max()!
        return Book.chapters.filter { !$0.models.isEmpty }.map { chapter in
            ([chapter.heading] + chapter.models.map { "  " + $0.word.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.summary })
                .joined(separator: "\n")
        }.joined(separator: "\n")
    }

    static let command = Command(
        "train", summary: "train one model (\(modelNames.joined(separator: ", ")))",
        positionals: "<\(modelNames.joined(separator: "|"))> [flags]", flags: [],
        details: models + "\n\nEvery model accepts --seed and --json; see `backprop train <model> --help` for its flags.",
        subcommands: Book.models
    ) { args in
        guard let model = args.positionals.first else {
            throw args.error("which model? one of \(modelNames.joined(separator: ", ")) (see `backprop train --help`)")
        }
        throw args.error("unknown model '\(model)'; models are \(modelNames.joined(separator: ", "))")
    }
}
