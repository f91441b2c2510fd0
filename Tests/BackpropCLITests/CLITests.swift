// The command line: every mistake is a one-line UsageError that names the problem.

@testable import BackpropCLI
import Testing

@Suite struct CLITests {
    @Test("bad command lines are usage errors naming the problem", arguments: [
        (["frobnicate"], "unknown command 'frobnicate'"),
        (["train"], "which model?"),
        (["train", "svm"], "unknown model 'svm'"),
        (["train", "perceptron", "--bogus"], "unknown flag --bogus"),
        (["train", "perceptron", "--epochs"], "--epochs needs a value"),
        (["train", "perceptron", "--epochs", "ten"], "--epochs expects an integer"),
        (["train", "perceptron", "--epochs", "0"], "--epochs expects an integer"),
        (["train", "logistic", "--lr", "-1"], "--lr expects a positive number"),
        (["train", "logistic", "--seed", "-3"], "--seed expects a non-negative integer"),
        (["train", "logistic", "--dataset", "mnist"], "--dataset must be one of"),
        (["train", "linear", "--dataset", "iris"], "--dataset must be one of line"),
        (["train", "perceptron", "extra", "words"], "unexpected argument 'extra'"),
        (["train", "perceptron", "--json=yes"], "--json takes no value"),
        (["bench", "fft"], "unknown benchmark 'fft'"),
        (["tour", "now"], "unexpected argument 'now'"),
        (["figures", "-x"], "unknown option -x"),
    ])
    func usageErrors(words: [String], message: String) {
        let error = #expect(throws: UsageError.self) { try BackpropTool.run(words) }
        #expect(error?.description.contains(message) == true, "got: \(String(describing: error))")
    }

    @Test func flagsParse() throws {
        let flags = [Flag(name: "lr", value: "X", help: ""), Flag(name: "json", value: nil, help: "")]
        let a = try Arguments(command: "t", words: ["m", "--lr=0.5", "--json"], flags: flags)
        #expect(a.positionals == ["m"] && a.string("lr") == "0.5" && a.has("json"))
        #expect(try a.double("lr", default: 1) == 0.5)
        let b = try Arguments(command: "t", words: ["--lr", "2"], flags: flags)
        #expect(try b.double("lr", default: 1) == 2 && !b.has("json"))
    }

    @Test("every command answers --help", arguments: ["tour", "train", "bench", "figures"])
    func help(command: String) throws {
        try BackpropTool.run([command, "--help"])
    }
}

@Suite struct TrainMLPCLITests {
    @Test("bad `train mlp` command lines are usage errors", arguments: [
        (["train", "mlp", "--dataset", "cifar"], "--dataset must be one of xor, spirals, digits, mnist"),
        (["train", "mlp", "--widths", "256,x"], "--widths expects positive widths"),
        (["train", "mlp", "--widths", "0"], "--widths expects positive widths"),
        (["train", "mlp", "--optimizer", "lbfgs"], "--optimizer must be one of"),
        (["train", "mlp", "--activation", "swish"], "--activation must be one of"),
        (["train", "mlp", "--dropout", "1"], "--dropout expects a number in [0, 1)"),
        (["train", "mlp", "--backend", "gpu"], "--backend must be one of naive, simd"),
        (["train", "mlp", "--batch", "0"], "--batch expects an integer"),
        (["train", "mlp", "digits"], "unexpected argument 'digits'"),
    ])
    func usageErrors(words: [String], message: String) {
        let error = #expect(throws: UsageError.self) { try BackpropTool.run(words) }
        #expect(error?.description.contains(message) == true, "got: \(String(describing: error))")
    }

    @Test func helpWorks() throws { try BackpropTool.run(["train", "mlp", "--help"]) }
}

@Suite struct TrainCNNCLITests {
    @Test("bad `train cnn` command lines are usage errors", arguments: [
        (["train", "cnn", "--dataset", "cifar"], "--dataset must be one of digits, mnist"),
        (["train", "cnn", "--dataset", "mnist", "--batch-norm"], "--batch-norm is for the digits CNN"),
        (["train", "cnn", "--epochs", "-2"], "--epochs expects an integer"),
        (["train", "cnn", "--dropout", "x"], "--dropout expects a number in [0, 1)"),
        (["train", "cnn", "--batch-norm=yes"], "--batch-norm takes no value"),
        (["bench", "conv3d"], "unknown benchmark 'conv3d'"),
    ])
    func usageErrors(words: [String], message: String) {
        let error = #expect(throws: UsageError.self) { try BackpropTool.run(words) }
        #expect(error?.description.contains(message) == true, "got: \(String(describing: error))")
    }

    @Test func helpWorks() throws { try BackpropTool.run(["train", "cnn", "--help"]) }
}
