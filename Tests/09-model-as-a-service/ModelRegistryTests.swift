// The model registry: every kind loads from its checkpoint alone; an unknown
// kind, a config that does not match the tensors, or inputs of the wrong
// width are typed errors naming the problem; and a fuzz run through the
// loaders ends every case in a model or a typed error.

import BackpropCore
import Dispatch
import Foundation
import Storage
import Testing
@testable import ModelAsAService

@Suite struct ModelRegistryTests {
    func sample(_ kind: String) throws -> Checkpoint {
        try #require(try SampleCheckpoints.all().first { $0.kind == kind }).checkpoint
    }

    func edited(_ kind: String, _ key: String, _ value: JSONValue?) throws -> Checkpoint {
        var c = try sample(kind)
        c.config.removeAll { $0.0 == key }
        if let value { c.config.append((key, value)) }
        return c
    }

    @Test("every sample checkpoint loads as its kind, through the file format")
    func everyKindLoads() throws {
        for (kind, c) in try SampleCheckpoints.all() {
            let model = try ModelRegistry.decodeAndLoad(try c.encoded())
            #expect(model.kind == kind)
            #expect(model.parameterCount > 0)
        }
        #expect(ModelRegistry.kinds == ["perceptron", "logistic", "linear", "mlp", "cnn", "lenet5", "word2vec", "char-rnn", "gpt", "llama"])
    }

    @Test("an unknown model kind names itself and the known kinds")
    func unknownKind() throws {
        var c = try sample("mlp")
        c.kind = "diffusion"
        let error = #expect(throws: CheckpointError.self) { try ModelRegistry.load(c, path: "g.ckpt") }
        #expect(error?.kind == "unknownModelKind")
        #expect(error?.description.contains("'diffusion'") == true && error?.description.contains("mlp, cnn") == true)
    }

    @Test("inputs of the wrong width or non-finite values are typed errors")
    func badInputs() throws {
        for kind in ["mlp", "logistic", "perceptron", "cnn"] {
            let c = try classifier(try ModelRegistry.load(try sample(kind)))
            let width = c.inputWidth
            let good = [Double](repeating: 1, count: width)
            let error = #expect(throws: InferenceError.self) { try c.predict([good, Array(good.dropLast())]) }
            #expect(error == .wrongWidth(row: 1, expected: width, got: width - 1))
            #expect(error?.description == "input 1 has \(width - 1) values; the model expects \(width)")
            var huge = good
            huge[0] = 1e39  // finite as a Double, infinite as a Float
            #expect(throws: InferenceError.nonFiniteInput(row: 0, column: 0)) { try c.predict([huge]) }
            #expect(try c.predict([]).isEmpty)
            let p = try c.predict([good, good.map { -$0 }])
            #expect(p.count == 2 && p.allSatisfy { $0.probabilities.count == c.classNames.count })
        }
        guard case .regressor(let r) = try ModelRegistry.load(try sample("linear")) else { Issue.record("linear"); return }
        #expect(try r.predict([[2]]) == [3])  // 2·2 − 1, the sample's weights
        #expect(throws: InferenceError.self) { try r.predict([[1, 2]]) }
    }

    @Test("configs that do not match the tensors are refused with the specific error", arguments: [
        ("mlp", "hidden", JSONValue.array([.integer(4)]), "shapeMismatch", "'0.weight'"),
        ("mlp", "hidden", .array([.integer(1 << 40)]), "badConfig", "'hidden' must hold integers"),
        ("mlp", "hidden", .array([.integer(40)]), "badConfig", "larger than the tensors"),
        ("mlp", "hidden", .array([.integer(1 << 20), .integer(1 << 20)]), "badConfig", "'hidden'"),
        ("mlp", "activation", .string("swish"), "badConfig", "'swish'"),
        ("mlp", "class_names", .array([.string("a")]), "badConfig", "names 1 classes for 3 outputs"),
        ("mlp", "dropout", .number(1.5), "badConfig", "[0, 1)"),
        ("mlp", "inputs", nil, "badConfig", "'inputs' is missing"),
        ("mlp", "input_preprocessing", .string("whiten"), "badConfig", "'whiten'"),
        ("cnn", "channels", .array([.integer(3), .integer(3)]), "shapeMismatch", "'1.weight'"),
        ("cnn", "batch_norm", .bool(false), "missingTensor", "no tensor '1.bias'"),
        ("cnn", "inputs", .integer(49), "badConfig", "8×8 = 64"),
        ("logistic", "strategy", .string("binary"), "badConfig", "two classes"),
        ("logistic", "inputs", .integer(5), "shapeMismatch", "'weight'"),
        ("perceptron", "class_names", .string("yes"), "badConfig", "list of strings"),
        ("word2vec", "words", .array([.string("a"), .string("b"), .string("a"), .string("c"), .string("d"), .string("e")]), "badConfig", "'a' twice"),
        ("word2vec", "words", .array([.string("a b"), .string("c"), .string("d"), .string("e"), .string("f"), .string("g")]), "badConfig", "whitespace"),
        ("word2vec", "dimension", .integer(4), "shapeMismatch", "'vectors'"),
    ] as [(String, String, JSONValue?, String, String)])
    func configMismatch(kind: String, key: String, value: JSONValue?, error: String, message: String) throws {
        let c = try edited(kind, key, value)
        // Through the file format, as a served model would be.
        let thrown = #expect(throws: CheckpointError.self) { try ModelRegistry.decodeAndLoad(try c.encoded(), path: "m.ckpt") }
        #expect(thrown?.kind == error, "got \(String(describing: thrown))")
        #expect(thrown?.description.contains(message) == true, "got \(String(describing: thrown))")
    }

    @Test("missing statistics, a negative running variance and a wrong kind are refused")
    func tensorProblems() throws {
        var c = try sample("mlp")
        c.tensors.removeAll { $0.name == "input.std" }
        #expect((#expect(throws: CheckpointError.self) { try ModelRegistry.load(c) })?.kind == "missingTensor")
        var cnn = try sample("cnn")
        let i = try #require(cnn.tensors.firstIndex { $0.name.hasSuffix("running_var") })
        cnn.tensors[i].tensor.scalars[0] = -1
        #expect((#expect(throws: CheckpointError.self) { try ModelRegistry.load(cnn) })?.description.contains("negative variance") == true)
        var mixed = try sample("mlp")
        mixed.kind = "cnn"
        #expect(throws: CheckpointError.self) { try ModelRegistry.load(mixed) }
    }

    @Test("fuzz: 1,000 corrupted checkpoints of every kind each load or fail with a typed error")
    func fuzzThroughLoaders() throws {
        let seeds = try SampleCheckpoints.all().map { try $0.checkpoint.encoded() }
        let report = CheckpointFuzz.run(seeds: seeds, cases: 1000, seed: 702, load: ModelRegistry.fuzzLoad)
        print(report.summary)
        #expect(report.failures.isEmpty, "\(report.failures.prefix(5))")
        #expect(report.cases == 1000 && report.loaded > 0)
        for kind in ["badConfig", "badChecksum", "truncated", "malformed"] {
            #expect(report.errors[kind, default: 0] > 0, "no \(kind) in \(report.summary)")
        }
    }

    @Test("concurrent predictions on one network get the same answers as sequential ones")
    func concurrentPredict() throws {
        let c = try classifier(try ModelRegistry.load(try sample("cnn")))
        let rows = (0..<8).map { i in (0..<64).map { Double(($0 * 7 + i * 3) % 17) } }
        let expected = try c.predict(rows)
        let results = LockedValue<[[ClassPrediction]]>(Array(repeating: [], count: 8))
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let answer = (try? c.predict(rows)) ?? []
            results.update { $0[i] = answer }
        }
        #expect(results.get().allSatisfy { $0 == expected })
    }
}
