// The command table of `backprop` and its entry point. The executable's
// main.swift only calls `BackpropCLI.main`; keeping the commands in a library
// lets tests drive them directly.

import BackpropCore
import Foundation

public enum BackpropCLI {
    static let commands: [(name: String, summary: String, run: @Sendable ([String]) throws -> Void)] = [
        ("tour", "train every chapter on its shipped data and print a results table", TourCommand.run),
        ("train", "train one model (perceptron, logistic, linear, mlp, cnn, word2vec, char-rnn, memory, gpt)", TrainCommand.run),
        ("sample", "generate text from a saved character model (chapter 6)", SampleCommand.run),
        ("generate", "generate text from a char-rnn or GPT checkpoint (KV cache for GPT)", GenerateCommand.run),
        ("bench", "benchmark kernels naive vs SIMD against this CPU's FMA peak", BenchCommand.run),
        ("figures", "regenerate every chapter's figures into chapters/figures/", FiguresCommand.run),
        ("neighbors", "nearest words by cosine in saved word embeddings", NeighborsCommand.run),
        ("analogy", "a : b :: c : ? by vector offset in saved word embeddings", AnalogyCommand.run),
        ("predict", "run a saved model (checkpoint) on inputs, one per line", PredictCommand.run),
        ("fuzz-checkpoint", "corrupt checkpoints in many ways; every case must load or fail with a typed error", FuzzCheckpointCommand.run),
        ("serve", "serve a model over HTTP: predict, generate, health (chapter 9)", ServeCommand.run),
    ]

    static var help: String {
        let width = commands.map(\.name.count).max()!
        return (["usage: backprop <command> [--flags]", "",
                 "Backprop: deep learning from scratch in pure Swift, a textbook that runs.", "", "commands:"]
            + commands.map { "  " + $0.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.summary }
            + ["", "Run `backprop <command> --help` for a command's flags."]).joined(separator: "\n")
    }

    /// Runs one command line (without the program name).
    /// - Throws: `UsageError` for a bad command line, or the command's own error.
    public static func run(_ words: [String]) throws {
        guard let name = words.first, !["--help", "-h", "help"].contains(name) else {
            print(help)
            return
        }
        guard let command = commands.first(where: { $0.name == name }) else {
            throw UsageError("unknown command '\(name)'; commands are \(commands.map(\.name).joined(separator: ", ")) (see `backprop --help`)")
        }
        try command.run(Array(words.dropFirst()))
    }

    /// Runs the process's command line and exits: status 0 on success, 2 for a
    /// usage error, 1 for any other error, with a one-line message on stderr.
    public static func main() -> Never {
        do {
            try run(Array(CommandLine.arguments.dropFirst()))
            exit(0)
        } catch let error as UsageError {
            fail(error.description, status: 2)
        } catch {
            fail("\(error)", status: 1)
        }
    }

    static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(("error: " + message + "\n").data(using: .utf8)!)
        exit(status)
    }
}
