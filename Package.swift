// swift-tools-version:6.0
//
// Backprop: deep learning from scratch in pure Swift.
//
// One module per chapter; the import graph is the reading order:
//
//   BackpropCore   tensor, kernel twins (Naive / SIMDKernels), RNG, gradient
//                  checker, fixtures loader, SVG figures, benchmark harness
//   LinearModels   chapter 1: linear/logistic regression, the perceptron
//   NeuralNetworks chapter 2: layers, losses, optimizers, the training loop
//   WordEmbeddings chapter 3: word2vec (skip-gram and CBOW with negative sampling)
//   ConvolutionalNetworks  chapter 4: Conv2D, pooling, batch norm, the digits CNN
//   RecurrentNetworks      chapter 5: embeddings, RNN/LSTM/GRU cells, BPTT, char-level LM
//   Transformers           chapter 6: attention, the Transformer block, a small GPT
//   ModelServing           chapter 7: checkpoints, inference, an HTTP service
//   BackpropCLI    the command table and flag parser of the `backprop` tool
//   backprop       the executable: main.swift calls BackpropCLI.main()
//
// No package dependencies: only the Swift toolchain.

import Foundation
import PackageDescription

/// SIMD code is only fast when the compiler may emit AVX2 and FMA
/// instructions; without these flags `addingProduct` becomes a call to `fmaf`
/// per lane (see README, "How the release build enables FMA").
let vectorFlags: [SwiftSetting] = {
    #if arch(x86_64)
    return [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma"])]
    #else
    return []
    #endif
}()

/// Reference solutions to the exercises live apart from the stubs; an
/// instructor may delete `exercises/solutions` before handing the folder out,
/// and the package still builds (the graders' self-tests are then skipped).
let solutionsPresent = FileManager.default.fileExists(
    atPath: Context.packageDirectory + "/exercises/solutions/01-linear-models")
/// The same check for chapter 2's solutions (each chapter's folder separately).
let solutions02Present = FileManager.default.fileExists(
    atPath: Context.packageDirectory + "/exercises/solutions/02-backpropagation")
/// The same check for chapter 3's solutions.
let solutions03Present = FileManager.default.fileExists(
    atPath: Context.packageDirectory + "/exercises/solutions/03-word-embeddings")
/// The same check for chapter 4's solutions.
let solutions04Present = FileManager.default.fileExists(
    atPath: Context.packageDirectory + "/exercises/solutions/04-convolutional-networks")
/// Chapters 5–7's solutions, each checked separately.
let solutions05Present = FileManager.default.fileExists(
    atPath: Context.packageDirectory + "/exercises/solutions/05-recurrent-networks")
let solutions06Present = FileManager.default.fileExists(
    atPath: Context.packageDirectory + "/exercises/solutions/06-transformer")
let solutions07Present = FileManager.default.fileExists(
    atPath: Context.packageDirectory + "/exercises/solutions/07-model-as-a-service")

var targets: [Target] = [
    .target(
        name: "BackpropCore",
        exclude: ["Data/README.md"],
        resources: [.copy("Data/iris.csv"), .copy("Data/digits.csv"), .copy("Data/tinyshakespeare.txt")],
        swiftSettings: vectorFlags),
    .target(
        name: "LinearModels",
        dependencies: ["BackpropCore"],
        swiftSettings: vectorFlags),
    .target(
        name: "NeuralNetworks",
        dependencies: ["BackpropCore", "LinearModels"],
        swiftSettings: vectorFlags),
    .target(
        name: "WordEmbeddings",
        dependencies: ["BackpropCore", "LinearModels", "NeuralNetworks"],
        swiftSettings: vectorFlags),
    .target(
        name: "ConvolutionalNetworks",
        dependencies: ["BackpropCore", "LinearModels", "NeuralNetworks"],
        swiftSettings: vectorFlags),
    .target(
        name: "RecurrentNetworks",
        dependencies: ["BackpropCore", "LinearModels", "NeuralNetworks"],
        swiftSettings: vectorFlags),
    .target(
        name: "Transformers",
        dependencies: ["BackpropCore", "LinearModels", "NeuralNetworks", "RecurrentNetworks"],
        swiftSettings: vectorFlags),
    .target(
        name: "ModelServing",
        dependencies: ["BackpropCore", "LinearModels", "NeuralNetworks", "WordEmbeddings", "ConvolutionalNetworks",
                       "RecurrentNetworks", "Transformers"]),
    .target(
        name: "BackpropCLI",
        dependencies: ["BackpropCore", "LinearModels", "NeuralNetworks", "WordEmbeddings", "ConvolutionalNetworks",
                       "RecurrentNetworks", "Transformers", "ModelServing"]),
    .executableTarget(
        name: "backprop",
        dependencies: ["BackpropCLI"]),

    // Exercises: stubs a student fills in, graded by `swift test`.
    .target(name: "ExerciseKit"),
    .target(
        name: "Exercises01",
        dependencies: ["ExerciseKit", "BackpropCore", "LinearModels"],
        path: "exercises/01-linear-models"),
    .target(
        name: "Exercises02",
        dependencies: ["ExerciseKit", "BackpropCore", "LinearModels", "NeuralNetworks"],
        path: "exercises/02-backpropagation"),
    .target(
        name: "Exercises03",
        dependencies: ["ExerciseKit", "BackpropCore"],
        path: "exercises/03-word-embeddings"),
    .target(
        name: "Exercises04",
        dependencies: ["ExerciseKit", "BackpropCore", "LinearModels", "NeuralNetworks", "ConvolutionalNetworks"],
        path: "exercises/04-convolutional-networks"),
    .target(
        name: "Exercises05",
        dependencies: ["ExerciseKit", "BackpropCore", "NeuralNetworks"],
        path: "exercises/05-recurrent-networks"),
    .target(
        name: "Exercises06",
        dependencies: ["ExerciseKit", "BackpropCore", "NeuralNetworks"],
        path: "exercises/06-transformer"),
    .target(
        name: "Exercises07",
        dependencies: ["ExerciseKit", "BackpropCore"],
        path: "exercises/07-model-as-a-service"),

    // Helpers shared by the test targets (fixture loader, layer gradient check).
    .target(
        name: "TestSupport",
        dependencies: ["BackpropCore", "NeuralNetworks"],
        path: "Tests/TestSupport"),
    .testTarget(
        name: "BackpropCoreTests",
        dependencies: ["BackpropCore"],
        swiftSettings: vectorFlags),
    .testTarget(
        name: "LinearModelsTests",
        dependencies: ["LinearModels", "BackpropCore", "TestSupport"]),
    .testTarget(
        name: "NeuralNetworksTests",
        dependencies: ["NeuralNetworks", "LinearModels", "BackpropCore", "TestSupport"]),
    .testTarget(
        name: "WordEmbeddingsTests",
        dependencies: ["WordEmbeddings", "BackpropCore", "TestSupport"]),
    .testTarget(
        name: "ConvolutionalNetworksTests",
        dependencies: ["ConvolutionalNetworks", "NeuralNetworks", "BackpropCore", "TestSupport"]),
    .testTarget(
        name: "RecurrentNetworksTests",
        dependencies: ["RecurrentNetworks", "NeuralNetworks", "BackpropCore", "TestSupport"]),
    .testTarget(
        name: "TransformersTests",
        dependencies: ["Transformers", "RecurrentNetworks", "NeuralNetworks", "BackpropCore", "TestSupport"]),
    .testTarget(
        name: "ModelServingTests",
        dependencies: ["ModelServing", "BackpropCore", "LinearModels", "NeuralNetworks", "WordEmbeddings",
                       "ConvolutionalNetworks", "RecurrentNetworks", "Transformers", "TestSupport"]),
    .testTarget(
        name: "BackpropCLITests",
        dependencies: ["BackpropCLI", "BackpropCore", "ModelServing"]),
]

var exerciseTestDependencies: [Target.Dependency] = [
    "ExerciseKit", "BackpropCore", "LinearModels", "Exercises01",
]
exerciseTestDependencies += ["NeuralNetworks", "Exercises02"]
exerciseTestDependencies += ["Exercises03"]
exerciseTestDependencies += ["ConvolutionalNetworks", "Exercises04"]
exerciseTestDependencies += ["Exercises05", "Exercises06", "Exercises07"]
if solutionsPresent {
    targets.append(
        .target(
            name: "Solutions01",
            dependencies: ["ExerciseKit", "BackpropCore", "LinearModels"],
            path: "exercises/solutions/01-linear-models"))
    exerciseTestDependencies.append("Solutions01")
}
if solutions02Present {
    targets.append(
        .target(
            name: "Solutions02",
            dependencies: ["ExerciseKit", "BackpropCore", "LinearModels", "NeuralNetworks"],
            path: "exercises/solutions/02-backpropagation"))
    exerciseTestDependencies.append("Solutions02")
}
if solutions03Present {
    targets.append(
        .target(
            name: "Solutions03",
            dependencies: ["ExerciseKit", "BackpropCore"],
            path: "exercises/solutions/03-word-embeddings"))
    exerciseTestDependencies.append("Solutions03")
}
if solutions04Present {
    targets.append(
        .target(
            name: "Solutions04",
            dependencies: ["ExerciseKit", "BackpropCore", "LinearModels", "NeuralNetworks", "ConvolutionalNetworks"],
            path: "exercises/solutions/04-convolutional-networks"))
    exerciseTestDependencies.append("Solutions04")
}
if solutions05Present {
    targets.append(
        .target(
            name: "Solutions05",
            dependencies: ["ExerciseKit", "BackpropCore", "NeuralNetworks"],
            path: "exercises/solutions/05-recurrent-networks"))
    exerciseTestDependencies.append("Solutions05")
}
if solutions06Present {
    targets.append(
        .target(
            name: "Solutions06",
            dependencies: ["ExerciseKit", "BackpropCore", "NeuralNetworks"],
            path: "exercises/solutions/06-transformer"))
    exerciseTestDependencies.append("Solutions06")
}
if solutions07Present {
    targets.append(
        .target(
            name: "Solutions07",
            dependencies: ["ExerciseKit", "BackpropCore"],
            path: "exercises/solutions/07-model-as-a-service"))
    exerciseTestDependencies.append("Solutions07")
}
targets.append(
    .testTarget(name: "ExercisesTests", dependencies: exerciseTestDependencies))

let package = Package(
    name: "Backprop",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "backprop", targets: ["backprop"]),
        .library(name: "BackpropCore", targets: ["BackpropCore"]),
        .library(name: "LinearModels", targets: ["LinearModels"]),
        .library(name: "NeuralNetworks", targets: ["NeuralNetworks"]),
        .library(name: "WordEmbeddings", targets: ["WordEmbeddings"]),
        .library(name: "ConvolutionalNetworks", targets: ["ConvolutionalNetworks"]),
        .library(name: "RecurrentNetworks", targets: ["RecurrentNetworks"]),
        .library(name: "Transformers", targets: ["Transformers"]),
        .library(name: "ModelServing", targets: ["ModelServing"]),
    ],
    targets: targets
)
