// `backprop`'s entry point and command table: the book-wide commands (tour,
// train, bench, figures), then each chapter's own, from Book.chapters. The
// executable's main.swift only calls `BackpropTool.main`; keeping the
// commands in a library lets tests drive them directly.

import BackpropCore
import Foundation

public enum BackpropTool {
    /// Every top-level command, in the order the help lists them.
    static var commands: [Command] { bookCommands + Book.chapters.flatMap(\.commands) }

    /// The commands that span the book.
    static var bookCommands: [Command] {
        [TourCommand.command, TrainCommand.command, SummarizeCommand.command, BenchCommand.command, FiguresCommand.command]
    }

    /// Every command and subcommand (`train mlp` …): what `--help` answers for.
    static var allCommands: [Command] {
        commands.flatMap { [$0] + $0.subcommands }
    }

    /// The command listing: the book-wide commands, then each chapter's own under its heading.
    static var help: String {
        let width = commands.map(\.name.count).max()!
        func entry(_ c: Command) -> String { "  " + c.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + c.summary }
        var lines = ["usage: backprop <command> [--flags]", "",
                     "Backprop: deep learning from scratch in pure Swift, a textbook that runs.", "", "commands:"]
        lines += bookCommands.map(entry)
        for chapter in Book.chapters where !chapter.commands.isEmpty {
            lines += ["", chapter.heading] + chapter.commands.map(entry)
        }
        lines += ["", "Run `backprop <command> --help` for a command's flags."]
        return lines.joined(separator: "\n")
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
