// One command of `backprop`: a name, a summary, the flags it accepts and what
// it does. Its usage line and help are generated from the flag list, so they
// name every flag the command parses and nothing else. A command with
// subcommands (`train`) hands the rest of the line to the one named next.

import Foundation

struct Command: Sendable {
    /// The words after `backprop` that name it: "tour", "train gpt".
    let name: String
    /// One line: the command's entry in listings and the first line of its help.
    let summary: String
    /// The positional arguments as the usage line shows them ("WORD…", "A B C");
    /// nil: the command takes none, and any is an error.
    var positionals: String?
    let flags: [Flag]
    /// More help after the summary: defaults, formats, examples.
    var details: String
    /// Commands named by the next word (`train mlp`).
    var subcommands: [Command]
    let body: @Sendable (Arguments) throws -> Void

    init(_ name: String, summary: String, positionals: String? = nil, flags: [Flag], details: String = "",
         subcommands: [Command] = [], body: @escaping @Sendable (Arguments) throws -> Void) {
        self.name = name
        self.summary = summary
        self.positionals = positionals
        self.flags = flags
        self.details = details
        self.subcommands = subcommands
        self.body = body
    }

    /// The last word of the name: what selects a subcommand ("gpt" in "train gpt").
    var word: String { String(name.split(separator: " ").last ?? "") }

    /// Parses `words` (after the name) and runs the command, or prints its
    /// help for `--help`. A first word naming a subcommand runs that instead.
    /// - Throws: `UsageError` for a bad command line, or the command's own error.
    func run(_ words: [String]) throws {
        if let first = words.first, let sub = subcommands.first(where: { $0.word == first }) {
            return try sub.run(Array(words.dropFirst()))
        }
        let args = try Arguments(command: name, words: words, flags: flags)
        if args.wantsHelp {
            print(help)
            return
        }
        if positionals == nil, let extra = args.positionals.first {
            throw args.error("unexpected argument '\(extra)'")
        }
        try body(args)
    }

    /// "usage: backprop train gpt [--layers N] …", wrapped under the command's name.
    var usage: String {
        let head = "usage: backprop \(name)"
        let words = (positionals.map { [$0] } ?? []) + flags.map { $0.required ? $0.synopsis : "[\($0.synopsis)]" }
        let indent = String(repeating: " ", count: head.count + 1)
        var lines = [head]
        for w in words {
            if lines[lines.count - 1].count + 1 + w.count > 100 && lines[lines.count - 1] != head {
                lines.append(indent + w)
            } else {
                lines[lines.count - 1] += " " + w
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The help: usage, summary, details, then every flag.
    var help: String {
        var lines = [usage, "", summary]
        if !details.isEmpty { lines += ["", details] }
        // A synopsis wider than the column (a long list of choices) gets a line of its own.
        let all = flags + [Flag(name: "help", value: nil, help: "show this help")]
        let width = min(all.map(\.synopsis.count).max()!, 22)
        lines += ["", "flags:"]
        for flag in all {
            if flag.synopsis.count > width {
                lines += ["  " + flag.synopsis, "  " + String(repeating: " ", count: width) + "  " + flag.help]
            } else {
                lines.append("  " + flag.synopsis.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + flag.help)
            }
        }
        return lines.joined(separator: "\n")
    }
}
