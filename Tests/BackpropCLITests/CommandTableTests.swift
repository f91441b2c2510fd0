// The command table: every command's help comes from its flags, the chapter
// list drives tour, figures, bench and train, renamed flags name their new
// name, and the command lines quoted in the book still parse.

@testable import BackpropCLI
import BackpropCore
import Foundation
import Testing

@Suite struct CommandTableTests {
    @Test("every command's and every train model's --help names every flag it accepts")
    func helpNamesEveryFlag() throws {
        let commands = BackpropTool.allCommands
        #expect(Set(TrainCommand.modelNames).isSubset(of: Set(commands.map(\.word))))
        for command in commands {
            for flag in command.flags {
                #expect(command.help.contains(flag.synopsis), "`backprop \(command.name) --help` omits \(flag.synopsis)")
                #expect(command.usage.contains("--\(flag.name)"), "the usage of `\(command.name)` omits --\(flag.name)")
            }
            try BackpropTool.run(command.name.split(separator: " ").map(String.init) + ["--help"])
        }
    }

    @Test("every train model takes --seed and --json")
    func trainModelsTakeSeedAndJSON() {
        for model in Book.models {
            #expect(model.flags.contains { $0.name == "seed" } && model.flags.contains { $0.name == "json" }, "\(model.name)")
        }
    }

    @Test("the chapter list: ascending numbers; commands, models and benchmarks each named once")
    func chapterList() {
        let numbers = Book.chapters.map(\.number)
        #expect(numbers == numbers.sorted() && Set(numbers).count == numbers.count)
        let names = BackpropTool.commands.map(\.name)
        #expect(Set(names).count == names.count, "\(names)")
        #expect(Set(TrainCommand.modelNames).count == TrainCommand.modelNames.count)
        #expect(Set(BenchCommand.names).count == BenchCommand.names.count)
        #expect(BenchCommand.names.starts(with: KernelBenchmarks.names))
        for chapter in Book.chapters {
            #expect(BackpropTool.help.contains(chapter.heading) == !chapter.commands.isEmpty, "\(chapter.heading)")
            #expect(TrainCommand.command.help.contains(chapter.heading) == !chapter.models.isEmpty, "\(chapter.heading)")
        }
    }

    @Test("figures --chapter takes exactly the chapters that exist")
    func figuresChapters() throws {
        let flag = try #require(FiguresCommand.command.flags.first { $0.name == "chapter" })
        #expect(flag.value == Book.chapters.map { String($0.number) }.joined(separator: "|"))
        for missing in ["10", "0", "x"] {
            let error = #expect(throws: UsageError.self) { try BackpropTool.run(["figures", "--chapter", missing]) }
            #expect(error?.description.contains("--chapter must be one of 1, 2, 3, 4, 5, 6, 7, 8, 9, got '\(missing)'") == true,
                    "got: \(String(describing: error))")
        }
        // Chapter 9's figures drawn from code are diagrams that train nothing: --check compares them
        // with the committed files (its measured 09-batching.svg is not compared) ...
        let committed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("chapters/figures")
        try BackpropTool.run(["figures", "--chapter", "9", "--check", "--out", committed.path])
        // ... and fails, naming them, where they are missing.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("figures-cli-\(UUID().uuidString)")
        let error = #expect(throws: UsageError.self) { try BackpropTool.run(["figures", "--chapter", "9", "--check", "--out", dir.path]) }
        #expect(error?.description.contains("09-checkpoint-layout.svg") == true, "got: \(String(describing: error))")
        #expect(error?.description.contains("09-batching.svg") == false, "got: \(String(describing: error))")
    }

    @Test("renamed flags are refused with a message naming the new one", arguments: [
        (["train", "gpt", "--iters", "5"], "--iters was renamed --steps"),
        (["train", "gpt", "--kernels", "naive"], "--kernels was renamed --backend"),
        (["train", "char-rnn", "--seq", "8"], "--seq was renamed --context"),
        (["train", "char-rnn", "--hidden", "8"], "--hidden was renamed --width"),
        (["train", "char-rnn", "--kernels=simd"], "--kernels was renamed --backend"),
        (["train", "memory", "--hidden", "8"], "--hidden was renamed --width"),
        (["train", "memory", "--length", "8"], "--length was renamed --context"),
        (["train", "mlp", "--hidden", "8,8"], "--hidden was renamed --widths"),
        (["train", "mlp", "--kernels", "naive"], "--kernels was renamed --backend"),
        (["train", "cnn", "--kernels", "naive"], "--kernels was renamed --backend"),
        (["train", "word2vec", "--kernels", "naive"], "--kernels was renamed --backend"),
    ])
    func renamedFlags(words: [String], message: String) {
        let error = #expect(throws: UsageError.self) { try BackpropTool.run(words) }
        #expect(error?.description == "backprop \(words[0]) \(words[1]): \(message)", "got: \(String(describing: error))")
    }

    @Test("every backprop command line quoted in README.md and chapters/ uses flags its command accepts")
    func documentedCommandLines() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let chapters = root.appendingPathComponent("chapters")
        let files = [root.appendingPathComponent("README.md")]
            + (try FileManager.default.contentsOfDirectory(at: chapters, includingPropertiesForKeys: nil))
                .filter { $0.pathExtension == "md" }
        let allFlags = Set(BackpropTool.allCommands.flatMap { $0.flags.map(\.name) } + ["help"])
        var checked = 0
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let place = "\(file.lastPathComponent):\(number + 1)"
                for invocation in Self.invocations(in: String(line)) {
                    for flag in invocation.flags {
                        let known = invocation.accepted.contains(flag)
                        #expect(known, "\(place): `backprop \(invocation.name)` has no --\(flag)")
                    }
                    checked += 1
                }
                // A table of flags: "| `--name VALUE` | meaning | default |".
                if line.hasPrefix("| `--") {
                    for flag in Self.flags(in: String(line.split(separator: "|")[0])) {
                        let known = allFlags.contains(flag)
                        #expect(known, "\(place): no command has --\(flag)")
                    }
                }
            }
        }
        #expect(checked > 50, "found only \(checked) command lines")
    }

    @Test("README.md's command synopsis is exactly the usage lines the commands generate")
    func readmeSynopsis() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## The command-line tool"), "README.md has no command-line section")
        let open = try #require(readme.range(of: "```sh\n", range: section.upperBound..<readme.endIndex))
        let close = try #require(readme.range(of: "```", range: open.upperBound..<readme.endIndex))
        let documented = readme[open.upperBound..<close.lowerBound].split(separator: "\n").map(String.init)
        // One line per runnable command, its usage with the wrapping undone.
        let generated = ["backprop --help"] + BackpropTool.allCommands.filter(\.subcommands.isEmpty).map { command in
            command.usage.dropFirst("usage: ".count).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        for line in generated where !documented.contains(line) {
            Issue.record("README.md's synopsis lacks, or differs from, the generated usage: \(line)")
        }
        for line in documented where !generated.contains(line) {
            Issue.record("README.md's synopsis has a line no command generates: \(line)")
        }
    }

    /// The `backprop …` command lines in a line of Markdown, each with the
    /// command it names (a `train` model, or each of `train a|b`), the flags
    /// that command accepts (any model's for `train …`) and the flags it uses
    /// up to a closing backtick or a `#` comment.
    static func invocations(in line: String) -> [(name: String, accepted: Set<String>, flags: [String])] {
        var found: [(String, Set<String>, [String])] = []
        var rest = Substring(line)
        while let range = rest.range(of: "backprop ") {
            rest = rest[range.upperBound...]
            let segment = rest.prefix { $0 != "`" && $0 != "#" }
            let words = segment.split(separator: " ").map(String.init)
            guard let first = words.first, let command = BackpropTool.commands.first(where: { $0.name == first }) else { continue }
            var commands = [command]
            var accepted = Set((command.flags + command.subcommands.flatMap(\.flags)).map(\.name) + ["help"])
            if !command.subcommands.isEmpty, words.count > 1 {
                let named = words[1].split(separator: "|").map { w in command.subcommands.first { $0.word == w } }
                if !named.isEmpty, named.allSatisfy({ $0 != nil }) {
                    commands = named.map { $0! }
                    accepted = []
                }
            }
            let flags = Self.flags(in: String(segment))
            found += commands.map { c in (c.name, accepted.isEmpty ? Set(c.flags.map(\.name) + ["help"]) : accepted, flags) }
        }
        return found
    }

    /// The names of the `--flags` in a piece of text.
    static func flags(in text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: "(?<![A-Za-z0-9-])--([a-z][a-z0-9-]*)")
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map {
            String(text[Range($0.range(at: 1), in: text)!])
        }
    }
}
