// SampleCheckpoints: one small, untrained but fully valid checkpoint of every
// kind the registry loads, with seeded random weights. They seed the fuzz
// test and `backprop fuzz-checkpoint`, and give tests of serving code a model
// of each kind without training one.

import BackpropCore
import Datasets
import Storage
import ConvolutionalNetworks
import LinearModels
import Backpropagation
import RecurrentNetworks
import Transformer
import TokensAndTheModernLLM
import WordEmbeddings

public enum SampleCheckpoints {
    /// Every kind, in the registry's order.
    public static func all(seed: UInt64 = 701) throws -> [(kind: String, checkpoint: Checkpoint)] {
        var rng = SeededRandom(seed: seed)
        func floats(_ n: Int) -> [Float] { (0..<n).map { _ in Float(rng.normal()) } }
        let scaler = try Standardizer(mean: floats(4), std: floats(4).map { abs($0) + 0.5 })

        let perceptron = try LinearClassifier(models: [Perceptron(weightRow: floats(2), bias: 0.5)], classNames: ["no", "yes"],
                                              preprocessing: .none).checkpoint(metadata: [("sample", .bool(true))])
        let logistic = try LinearClassifier(
            models: try (0..<3).map { _ in try LogisticRegression<Float>(weightRow: floats(4), bias: floats(1)[0]) },
            classNames: ["setosa", "versicolor", "virginica"], preprocessing: .standardize(scaler)).checkpoint()
        var line = try LinearRegression<Float>(features: 1)
        line.weight = try Tensor(shape: [1, 1], scalars: [2])
        line.bias = Tensor([-1])
        let linear = line.checkpoint()

        let mlpModel: Sequential<Float> = try MultilayerPerceptron.make(inputs: 4, hidden: [5], outputs: 3, activation: .tanh,
                                                                        dropout: 0.1, seed: seed)
        let mlp = MLPClassifier(model: mlpModel, inputs: 4, hidden: [5], outputs: 3, activation: .tanh, dropout: 0.1,
                                classNames: ["a", "b", "c"], preprocessing: .standardize(scaler)).checkpoint()

        let cnnModel: Sequential<Float> = try DigitsCNN.make(channels: (2, 3), batchNorm: true, dropout: 0.25, seed: seed)
        for layer in cnnModel.layers {
            if let bn = layer as? BatchNorm2D<Float> {
                let c = bn.runningMean.count
                try bn.setState("running_mean", Tensor(floats(c).map(Double.init)))
                try bn.setState("running_var", Tensor(floats(c).map { Double(abs($0) + 0.25) }))
            }
        }
        let cnn = DigitsCNNClassifier(model: cnnModel, channels: (2, 3), batchNorm: true, dropout: 0.25,
                                      classNames: (0..<10).map(String.init), preprocessing: .scale(1.0 / 16)).checkpoint()

        // LeNet-5's shapes are fixed by its 28×28 input (61,706 parameters).
        let lenet5 = LeNet5Classifier(model: try LeNet5.make(dropout: 0.25, seed: seed), dropout: 0.25,
                                      classNames: (0..<10).map(String.init), preprocessing: .scale(1.0 / 255)).checkpoint()

        let words = ["king", "queen", "man", "woman", "thou", "thee"]
        let embeddings = Embeddings(words: words, dimension: 3, vectors: floats(words.count * 3)).checkpoint()

        let vocabulary = try CharacterVocabulary(text: "\nabc def.")
        let charRNN = try CharRNN(CharRNNConfig(cell: .lstm, embeddingSize: 3, hiddenSize: 5), vocabulary: vocabulary, rng: &rng).checkpoint()
        let gpt = try GPT<Float>(config: GPTConfig(vocabulary: vocabulary, context: 6, layers: 1, heads: 2, width: 4), seed: seed)
            .checkpoint()
        // a byte-level BPE of 256 + 4 merges, and a Llama on its ids (2 query heads sharing 1 key/value head)
        let bpe = try BPETrainer.train("the cat sat on the mat, the end", options: BPETrainingOptions(vocabularySize: 260)).tokenizer
        let llamaModel = try Llama<Float>(config: LlamaConfig(vocabularySize: bpe.vocabularySize, context: 6, layers: 1, width: 8,
                                                              heads: 2, kvHeads: 1, hidden: 8), seed: seed)
        llamaModel.tokenizer = .bpe(bpe)
        let llama = try llamaModel.checkpoint()
        return [("perceptron", perceptron), ("logistic", logistic), ("linear", linear), ("mlp", mlp), ("cnn", cnn),
                ("lenet5", lenet5), ("word2vec", embeddings), ("char-rnn", charRNN), ("gpt", gpt), ("llama", llama)]
    }
}
