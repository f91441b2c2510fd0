// Chapter 9's command lines: `train … --save` writes checkpoints that
// `predict` serves from the file alone; bad lines, widths and files are
// errors naming the problem; `fuzz-checkpoint` runs clean.

import Foundation
import Testing
@testable import BackpropCLI
import BackpropCore
import ModelAsAService

@Suite struct PredictCLITests {
    func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-cli7-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("bad predict and fuzz-checkpoint command lines are usage errors", arguments: [
        (["predict"], "--model PATH is required"),
        (["predict", "--model", "/tmp/x.ckpt", "extra"], "unexpected argument 'extra'"),
        (["predict", "--model", "/tmp/x.ckpt", "--input", "/nonexistent/inputs.txt"], "no input file at /nonexistent/inputs.txt"),
        (["fuzz-checkpoint", "--cases", "0"], "--cases expects an integer"),
        (["fuzz-checkpoint", "now"], "unexpected argument 'now'"),
    ])
    func usageErrors(words: [String], message: String) {
        let error = #expect(throws: UsageError.self) { try BackpropTool.run(words) }
        #expect(error?.description.contains(message) == true, "got: \(String(describing: error))")
    }

    @Test(arguments: [["predict", "--help"], ["fuzz-checkpoint", "--help"]])
    func helpWorks(words: [String]) throws { try BackpropTool.run(words) }

    @Test("train logistic --save, then predict: classes, probabilities, JSON, and errors naming the line")
    func logisticPredict() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("iris.ckpt").path
        try BackpropTool.run(["train", "logistic", "--dataset", "iris", "--epochs", "60", "--save", path])
        // A setosa and a virginica from the raw iris table (cm, unstandardised).
        let input = "5.1,3.5,1.4,0.2\n# a comment\n\n7.7 3.0 6.1 2.3\n"
        let lines = try PredictCommand.outputLines(modelPath: path, text: input)
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("line 1: class 0 (setosa)"), "\(lines)")
        #expect(lines[1].hasPrefix("line 4: class 2 (virginica)"), "\(lines)")
        let json = try PredictCommand.outputLines(modelPath: path, text: input, json: true)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json[1].utf8)) as? [String: Any])
        #expect(object["line"] as? Int == 4 && object["class"] as? Int == 2 && object["label"] as? String == "virginica")
        let p = try #require(object["probabilities"] as? [Double])
        #expect(p.count == 3 && abs(p.reduce(0, +) - 1) < 1e-9)

        let width = #expect(throws: InputLineError.self) { try PredictCommand.outputLines(modelPath: path, text: "1,2,3,4\n1,2,3\n") }
        #expect(width?.description == "input, line 2: has 3 values; the model expects 4")
        let word = #expect(throws: InputLineError.self) { try PredictCommand.outputLines(modelPath: path, text: "\n1,abc,3,4\n") }
        #expect(word?.description == "input, line 2: 'abc' is not a finite number")
        // Finite inputs whose scores overflow: an error naming the line, not "-nan" probabilities.
        let overflow = #expect(throws: InputLineError.self) {
            try PredictCommand.outputLines(modelPath: path, text: "5.1,3.5,1.4,0.2\n-3.4e38,-3.4e38,-3.4e38,-3.4e38\n")
        }
        #expect(overflow?.description.hasPrefix("input, line 2: the model's scores are not finite") == true, "\(String(describing: overflow))")
        let missing = #expect(throws: (any Error).self) { try PredictCommand.outputLines(modelPath: dir.path + "/none.ckpt", text: "") }
        #expect("\(missing!)".contains("no such file"))
        try Data("not a model".utf8).write(to: dir.appendingPathComponent("bad.ckpt"))
        let bad = #expect(throws: (any Error).self) { try PredictCommand.outputLines(modelPath: dir.path + "/bad.ckpt", text: "") }
        #expect("\(bad!)".contains("not a backprop checkpoint"))
        // The command itself, reading a file.
        try Data(input.utf8).write(to: dir.appendingPathComponent("in.txt"))
        try BackpropTool.run(["predict", "--model", path, "--input", dir.appendingPathComponent("in.txt").path, "--json"])
    }

    @Test("perceptron, linear and an XOR MLP save and predict from the checkpoint")
    func otherModels() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = dir.appendingPathComponent("p.ckpt").path, l = dir.appendingPathComponent("l.ckpt").path
        let m = dir.appendingPathComponent("m.ckpt").path
        try BackpropTool.run(["train", "perceptron", "--dataset", "iris-setosa", "--epochs", "5", "--save", p])
        try BackpropTool.run(["train", "linear", "--epochs", "50", "--save", l])
        try BackpropTool.run(["train", "mlp", "--dataset", "xor", "--epochs", "300", "--save", m])
        #expect(try PredictCommand.outputLines(modelPath: p, text: "5.0 3.4 1.5 0.2")[0].hasPrefix("line 1: class 1 (setosa)"))
        let y = try PredictCommand.outputLines(modelPath: l, text: "0\n1\n")
        #expect(y.count == 2 && y[0].hasPrefix("line 1: ") && y[0] != y[1])
        let xor = try PredictCommand.outputLines(modelPath: m, text: "0 0\n0 1\n1 0\n1 1\n")
        #expect(xor.map { $0.contains("class 1") } == [false, true, true, false], "\(xor)")
    }

    @Test("word2vec --save writes a checkpoint (or text for .txt); predict and neighbors read it")
    func embeddings() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("c.txt")
        try String(repeating: "the king and the queen rule . the man and the woman walk . ", count: 20).write(to: corpus, atomically: true, encoding: .utf8)
        let ckpt = dir.appendingPathComponent("v.ckpt").path, text = dir.appendingPathComponent("v.txt").path
        for save in [ckpt, text] {
            try BackpropTool.run(["train", "word2vec", "--corpus", corpus.path, "--dim", "8", "--min-count", "1", "--epochs", "1",
                                 "--threads", "1", "--save", save])
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: ckpt)).prefix(4) == Data([0x89, 0x42, 0x50, 0x43]))
        #expect(try String(contentsOfFile: text, encoding: .utf8).split(separator: "\n").first?.hasSuffix(" 8") == true)
        let lines = try PredictCommand.outputLines(modelPath: ckpt, text: "King\nqueen\n", neighbors: 3)
        #expect(lines.count == 2 && lines[0].hasPrefix("king: ") && lines[0].split(separator: ",").count == 3)
        let unknown = #expect(throws: InputLineError.self) { try PredictCommand.outputLines(modelPath: ckpt, text: "king\nprince\n") }
        #expect(unknown?.description == "input, line 2: 'prince' is not in the vocabulary")
        try BackpropTool.run(["neighbors", "--embeddings", ckpt, "king", "--count", "2"])
        #expect(throws: (any Error).self) { try PredictCommand.outputLines(modelPath: text, text: "king") }  // text is not a checkpoint
    }

    @Test func fuzzCommandRunsClean() throws {
        try BackpropTool.run(["fuzz-checkpoint", "--cases", "300", "--seed", "3", "--json"])
    }
}

/// A classifier that names no classes: its predictions carry no label.
struct UnlabelledClassifier: Classifier {
    let info = ModelInfo(kind: "stub", parameterCount: 0)
    let inputWidth = 2
    let classNames: [String] = []
    func predict(_ inputs: [[Double]]) throws -> [ClassPrediction] {
        inputs.map { _ in ClassPrediction(class: 1, label: nil, probabilities: [0.25, 0.75]) }
    }
}

@Suite struct PredictLabelTests {
    @Test("predict --json leaves out the label when the model names no classes, as the server does")
    func noLabelField() throws {
        let lines = try PredictCommand.outputLines(model: .classifier(UnlabelledClassifier()), text: "1 2\n3 4\n", source: "input",
                                                  json: true, neighbors: 10)
        #expect(lines.count == 2)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(object["label"] == nil && object["class"] as? Int == 1 && object["line"] as? Int == 2, "\(lines)")
        #expect(lines[1] == #"{"line":2,"class":1,"probabilities":[0.25,0.75]}"#)
        // The server's answer for the same prediction has the same fields.
        let p = try UnlabelledClassifier().predict([[1, 2]])[0]
        #expect(JSONValue.object(p.jsonFields).rendered == #"{"class":1,"probabilities":[0.25,0.75]}"#)
    }
}
