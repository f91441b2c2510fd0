// Every trainable model of chapters 1–5 saves and loads bit-exactly from the
// file alone and predicts identically afterwards: the registry rebuilds it
// from the config, restores every tensor (batch norm's running statistics
// included) and applies the saved input preprocessing to raw inputs. Models
// are tiny and trained for a few steps so the tests stay fast in debug.

import BackpropCore
import Datasets
import Storage
import ConvolutionalNetworks
import Foundation
import LinearModels
import ModelAsAService
import Backpropagation
import Testing
import WordEmbeddings

func scratchDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-ch9-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// The rows of a feature matrix, as a client would send them.
func rawRows(_ x: Tensor<Float>) -> [[Double]] {
    let d = x.shape[1]
    return (0..<x.shape[0]).map { i in (0..<d).map { Double(x.scalars[i * d + $0]) } }
}

func bits(_ t: Tensor<Float>) -> [UInt32] { t.scalars.map(\.bitPattern) }

func classifier(_ m: LoadedModel) throws -> any Classifier {
    guard case .classifier(let c) = m else { throw CheckpointError.wrongModel(path: "", found: m.kind, expected: "a classifier") }
    return c
}

@Suite struct Chapter1CheckpointTests {
    /// The raw (unstandardised) test rows of a chapter-1 dataset, split as `prepared` splits them.
    func rawIrisTest(_ dataset: Chapter1Dataset, seed: UInt64) throws -> Dataset {
        var all = try BundledData.iris()
        if dataset == .irisSetosa { all = all.oneVersusRest(positive: 0) }
        if dataset == .irisVirginica { all = all.oneVersusRest(positive: 2) }
        return try all.split(trainFraction: 0.6, validationFraction: 0.2, seed: seed).test
    }

    @Test("train … --save: the loaded model, fed raw rows, reproduces the run's test accuracy", arguments: [
        ("perceptron", Chapter1Dataset.iris), ("perceptron", .irisSetosa), ("logistic", .iris), ("logistic", .irisVirginica),
    ])
    func savedRunReproducesAccuracy(model: String, dataset: Chapter1Dataset) throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("m.ckpt")
        let summary = model == "perceptron"
            ? try Chapter1.perceptron(dataset: dataset, epochs: 5, learningRate: 1, seed: 3, saveTo: url)
            : try Chapter1.logistic(dataset: dataset, epochs: 40, learningRate: 0.5, seed: 3, saveTo: url)
        let loaded = try classifier(try ModelRegistry.open(url))
        #expect(loaded.info.kind == model && loaded.inputWidth == 4)
        let test = try rawIrisTest(dataset, seed: 3)
        #expect(loaded.classNames == test.classNames)
        let predictions = try loaded.predict(rawRows(test.features))
        let accuracy = Metrics.accuracy(predicted: predictions.map(\.class), actual: test.labels)
        #expect(accuracy == summary.metric("test_accuracy"))
        for p in predictions {
            #expect(abs(p.probabilities.reduce(0, +) - 1) < 1e-12)
            #expect(p.probabilities.indices.max { p.probabilities[$0] < p.probabilities[$1] } == p.class || model == "perceptron")
        }
        #expect(try Checkpoint.load(url).metadata.contains { $0.0 == "test_accuracy" })
    }

    @Test("perceptron and logistic weights and scores survive bit-exactly (binary and one-versus-rest)")
    func bitExact() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (train, test, preprocessing) = try Chapter1Dataset.iris.prepared(seed: 5)
        let options = ClassifierOptions(epochs: 30, learningRate: 0.5, seed: 5)
        let ovr = try OneVersusRest<LogisticRegression<Float>>(training: train, options: options)
        let url = dir.appendingPathComponent("ovr.ckpt")
        try LinearClassifier(models: ovr.models, classNames: train.classNames, preprocessing: preprocessing).save(to: url)
        let loaded = try #require(try classifier(try ModelRegistry.open(url)) as? LinearModelClassifier<LogisticRegression<Float>>)
        guard case .oneVersusRest(let restored) = loaded.models else { Issue.record("expected one-versus-rest"); return }
        for (a, b) in zip(ovr.models, restored.models) {
            #expect(bits(a.weight) == bits(b.weight) && bits(a.bias) == bits(b.bias))
            #expect(try a.scores(test.features).map(\.bitPattern) == b.scores(test.features).map(\.bitPattern))
        }
        #expect(try restored.predict(test.features) == ovr.predict(test.features))

        let blobs = try Chapter1Dataset.blobs.prepared(seed: 5)
        let (p, _) = try Perceptron.train(on: blobs.train, options: ClassifierOptions(epochs: 10, learningRate: 1, seed: 5))
        let purl = dir.appendingPathComponent("p.ckpt")
        try LinearClassifier(models: [p], classNames: blobs.train.classNames, preprocessing: .none).save(to: purl)
        let lp = try #require(try classifier(try ModelRegistry.open(purl)) as? LinearModelClassifier<Perceptron>)
        guard case .binary(let q) = lp.models else { Issue.record("expected a binary model"); return }
        #expect(q.weights.map(\.bitPattern) == p.weights.map(\.bitPattern) && q.bias.bitPattern == p.bias.bitPattern)
        #expect(try lp.predict(rawRows(blobs.test.features)).map(\.class) == p.predict(blobs.test.features))
    }

    @Test("linear regression saves and predicts identically")
    func linearRegression() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try SyntheticData.noisyLine(count: 40, seed: 9)
        var model = try LinearRegression<Float>(features: 1)
        try model.fit(data.x, data.y, epochs: 25, learningRate: 0.1)
        let url = dir.appendingPathComponent("line.ckpt")
        try model.save(to: url)
        guard case .regressor(let r) = try ModelRegistry.open(url) else { Issue.record("expected a regressor"); return }
        #expect(bits(r.model.weight) == bits(model.weight) && bits(r.model.bias) == bits(model.bias))
        #expect(try r.predict(rawRows(data.x)) == model.predict(data.x).scalars.map(Double.init))
        // Through the command's path too: the saved slope is the reported one.
        let url2 = dir.appendingPathComponent("line2.ckpt")
        let summary = try Chapter1.linear(epochs: 10, learningRate: 0.1, seed: 2, saveTo: url2)
        guard case .regressor(let r2) = try ModelRegistry.open(url2) else { Issue.record("expected a regressor"); return }
        #expect(summary.details.first { $0.0 == "slope" }?.1 == .number(Double(r2.model.weight.scalars[0])))
    }
}

@Suite struct NetworkCheckpointTests {
    @Test("chapter 2: a trained digits MLP (standardised inputs, dropout) predicts identically from raw pixels")
    func mlp() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var o = MLPRunOptions.defaults(for: "digits", seed: 4)!
        o.widths = [8]
        o.epochs = 1
        o.batch = 128
        let run = try Chapter2.run(o)
        let url = dir.appendingPathComponent("mlp.ckpt")
        try Chapter2.checkpoint(o, model: run.trainer.model, data: run.data, summary: run.summary).write(to: url)
        let checkpoint = try Checkpoint.load(url)
        #expect(checkpoint.dtype == .float32)
        let loaded = try #require(try classifier(try ModelRegistry.load(checkpoint)) as? NetworkClassifier)
        for (a, b) in zip(run.trainer.model.namedTensors, loaded.model.namedTensors) {
            #expect(a.name == b.name && bits(a.tensor) == bits(b.tensor))
        }
        // Raw test pixels, as a client sends them; the checkpoint standardises.
        let raw = try BundledData.digits().split(trainFraction: 0.6, validationFraction: 0.2, seed: 4).test
        let logits = try loaded.logits(rawRows(raw.features))
        #expect(bits(logits) == bits(try run.trainer.model(run.data.test.features)))
        let predictions = try loaded.predict(rawRows(raw.features))
        #expect(Metrics.accuracy(predicted: predictions.map(\.class), actual: raw.labels) == run.summary.metric("test_accuracy"))
        #expect(try loaded.predict(rawRows(raw.features)) == predictions)  // inference mode: dropout is off
    }

    @Test("chapter 5: a CNN with batch norm restores its running statistics and predicts identically")
    func cnn() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try Chapter5.digits(seed: 1)
        let model: Sequential<Float> = try DigitsCNN.make(channels: (4, 8), batchNorm: true, dropout: 0.25, seed: 6)
        let trainer = ClassifierTrainer(model: model, optimizer: try Adam(model.parameters, learningRate: 0.01))
        for s in 0..<3 {
            try trainer.step(data.train.features.rows((s * 16)..<(s * 16 + 16)), Array(data.train.labels[(s * 16)..<(s * 16 + 16)]),
                             options: TrainingOptions(epochs: 1, batchSize: 16, seed: 0))
        }
        let url = dir.appendingPathComponent("cnn.ckpt")
        try DigitsCNNClassifier(model: model, channels: (4, 8), batchNorm: true, dropout: 0.25, classNames: data.train.classNames,
                                preprocessing: data.preprocessing).save(to: url)
        let loaded = try #require(try classifier(try ModelRegistry.open(url)) as? NetworkClassifier)
        let names = loaded.model.namedTensors.map(\.name)
        #expect(names.contains("2.running_mean") && names.contains("2.running_var"))
        for (a, b) in zip(model.namedTensors, loaded.model.namedTensors) {
            #expect(a.name == b.name && bits(a.tensor) == bits(b.tensor), "\(a.name)")
        }
        let raw = try BundledData.digits().split(trainFraction: 0.6, validationFraction: 0.2, seed: 1).test.features.rows(0..<12)
        #expect(bits(try loaded.logits(rawRows(raw))) == bits(try model(data.test.features.rows(0..<12))))
        // Batch norm runs on its running statistics: a row alone gives (up to
        // rounding) what it gives inside a batch; batch statistics would not.
        let batch = try loaded.logits(rawRows(raw))
        let single = try loaded.logits([rawRows(raw)[3]])
        for j in 0..<10 { #expect(abs(single.scalars[j] - batch.scalars[30 + j]) <= 1e-4 * max(1, abs(batch.scalars[30 + j]))) }
    }

    @Test("chapter 4: trained word2vec embeddings round-trip with their vocabulary and neighbours")
    func embeddings() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var o = Word2VecOptions(seed: 8)
        o.dimension = 8
        o.minCount = 1
        o.epochs = 2
        o.threads = 1
        o.window = 2
        let text = String(repeating: "the king loves the queen and the queen loves the king . thou art a man and she a woman . ", count: 12)
        let trained = try Word2VecTrainer(text: text, options: o).train().embeddings
        let url = dir.appendingPathComponent("w2v.ckpt")
        try trained.checkpoint(metadata: [("corpus", .string("test"))]).write(to: url)
        guard case .embeddings(let e) = try ModelRegistry.open(url) else { Issue.record("expected embeddings"); return }
        #expect(e.words == trained.words && e.dimension == 8)
        #expect(e.vectors.map(\.bitPattern) == trained.vectors.map(\.bitPattern))
        let a = try e.neighbors(of: "king", count: 3), b = try trained.neighbors(of: "king", count: 3)
        #expect(a.map(\.word) == b.map(\.word) && a.map(\.cosine) == b.map(\.cosine))
    }
}
