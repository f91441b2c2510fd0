// The command table: every command's help comes from its flags, the chapter
// list drives tour, figures, bench and train, and renamed flags name their
// new name.

@testable import BackpropCLI
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
        #expect(BenchCommand.names.starts(with: ["matmul", "axpy", "softmax"]))
        for chapter in Book.chapters {
            #expect(BackpropTool.help.contains(chapter.heading) == !chapter.commands.isEmpty, "\(chapter.heading)")
            #expect(TrainCommand.command.help.contains(chapter.heading) == !chapter.models.isEmpty, "\(chapter.heading)")
        }
    }

    @Test("figures --chapter takes exactly the chapters that exist")
    func figuresChapters() throws {
        let flag = try #require(FiguresCommand.command.flags.first { $0.name == "chapter" })
        #expect(flag.value == Book.chapters.map { String($0.number) }.joined(separator: "|"))
        for missing in ["3", "8", "0", "x"] {
            let error = #expect(throws: UsageError.self) { try BackpropTool.run(["figures", "--chapter", missing]) }
            #expect(error?.description.contains("--chapter must be one of 1, 2, 4, 5, 6, 7, 9, got '\(missing)'") == true,
                    "got: \(String(describing: error))")
        }
        // Chapter 9 draws no figure from code: nothing to compare, and no error.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("figures-cli-\(UUID().uuidString)")
        try BackpropTool.run(["figures", "--chapter", "9", "--check", "--out", dir.path])
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
}
