// swift-tools-version:6.0
//
// Backprop: deep learning from scratch in pure Swift.
//
// One module per chapter, in the book's reading order, on a small core:
// BackpropCore (tensor, kernels, RNG, gradient checker), then Storage (the
// checkpoint format), Datasets and Figures. Each chapter imports only these
// and earlier chapters (ARCHITECTURE.md). Folders carry the chapter's
// number and name: Sources/02-backpropagation is the module
// `Backpropagation`, explained in chapters/02-backpropagation.md, tested in
// Tests/02-backpropagation, with exercises in exercises/02-backpropagation.
// Chapter 8 (tokens and the modern LLM) has its tokenizers and the modern
// block's layers; its prose is to come.
//
// No package dependencies: only the Swift toolchain.

import Foundation
import PackageDescription

/// SIMD code is only fast when the compiler may emit AVX2 and FMA
/// instructions; without these flags `addingProduct` becomes a call to `fmaf`
/// per lane (see README, "How the release build enables FMA").
/// `-fno-math-errno` lets the C shim behind `squareRoot()` be a bare square
/// root instead of one with a call to `sqrtf` for negative input (to set
/// errno), so a vector's `squareRoot()` is one `vsqrtps` instead of eight
/// scalar roots with branches (Adam's update was 20% of the MLP's step).
/// Results are unchanged: only errno is no longer set.
let vectorFlags: [SwiftSetting] = {
    #if arch(x86_64)
    return [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-fno-math-errno"])]
    #else
    return []
    #endif
}()

/// One chapter of the book: its folder under Sources/ and Tests/, its module,
/// the modules it imports, and its test target's extra imports.
struct Chapter {
    let folder: String
    let module: String
    let imports: [String]
    let testImports: [String]
    var vector = true
}

let chapters: [Chapter] = [
    Chapter(folder: "01-linear-models", module: "LinearModels",
            imports: ["BackpropCore", "Storage", "Datasets", "Figures"],
            testImports: ["Datasets", "Figures"]),
    Chapter(folder: "02-backpropagation", module: "Backpropagation",
            imports: ["BackpropCore", "Storage", "Datasets", "Figures", "LinearModels"],
            testImports: ["Figures", "LinearModels"]),
    Chapter(folder: "03-automatic-differentiation", module: "AutomaticDifferentiation",
            imports: ["BackpropCore", "Datasets", "Figures", "LinearModels", "Backpropagation"],
            testImports: ["Datasets", "Figures", "LinearModels", "Backpropagation"]),
    Chapter(folder: "04-word-embeddings", module: "WordEmbeddings",
            imports: ["BackpropCore", "Storage", "Datasets", "Figures", "LinearModels"],
            testImports: ["Datasets", "Figures", "AutomaticDifferentiation"]),
    Chapter(folder: "05-convolutional-networks", module: "ConvolutionalNetworks",
            imports: ["BackpropCore", "Storage", "Datasets", "Figures", "Backpropagation"],
            testImports: ["Storage", "Datasets", "Figures", "Backpropagation", "AutomaticDifferentiation"]),
    Chapter(folder: "06-recurrent-networks", module: "RecurrentNetworks",
            imports: ["BackpropCore", "Storage", "Datasets", "Figures", "Backpropagation", "AutomaticDifferentiation"],
            testImports: ["Storage", "Figures", "Backpropagation", "AutomaticDifferentiation"]),
    Chapter(folder: "07-transformer", module: "Transformer",
            imports: ["BackpropCore", "Storage", "Figures", "Backpropagation", "RecurrentNetworks"],
            testImports: ["Storage", "Figures", "Backpropagation", "RecurrentNetworks", "AutomaticDifferentiation"]),
    Chapter(folder: "08-tokens-and-the-modern-llm", module: "TokensAndTheModernLLM",
            imports: ["BackpropCore", "Storage", "Datasets", "Figures", "Backpropagation", "RecurrentNetworks", "Transformer"],
            testImports: ["Storage", "Datasets", "Figures", "Backpropagation", "RecurrentNetworks", "Transformer", "AutomaticDifferentiation"]),
    Chapter(folder: "09-model-as-a-service", module: "ModelAsAService",
            imports: ["BackpropCore", "Storage", "Datasets", "Figures", "LinearModels", "Backpropagation",
                      "WordEmbeddings", "ConvolutionalNetworks", "RecurrentNetworks", "Transformer", "TokensAndTheModernLLM"],
            testImports: ["Storage", "Datasets", "Figures", "LinearModels", "Backpropagation", "WordEmbeddings",
                          "ConvolutionalNetworks", "RecurrentNetworks", "Transformer", "TokensAndTheModernLLM"]),
]

var targets: [Target] = [
    .target(
        name: "BackpropCore",
        swiftSettings: vectorFlags),
    .testTarget(
        name: "BackpropCoreTests",
        dependencies: ["BackpropCore", "TestSupport"],
        swiftSettings: vectorFlags),
    // The checkpoint format every chapter saves its models in (explained in
    // chapter 9): Checkpoint, its reader and writer, CRC-32, the strict JSON
    // parser for its header, and atomic file writes.
    .target(
        name: "Storage",
        dependencies: ["BackpropCore"]),
    .testTarget(
        name: "StorageTests",
        dependencies: ["Storage", "BackpropCore", "TestSupport"],
        path: "Tests/Storage"),
    // The bundled data sets (README.md has their sources and licences), their
    // loaders, `Dataset` with its seeded splits and standardisation, and the
    // input preprocessing a model saves with its checkpoint.
    .target(
        name: "Datasets",
        dependencies: ["BackpropCore", "Storage"],
        exclude: ["README.md"],
        resources: [.copy("iris.csv"), .copy("digits.csv"), .copy("tinyshakespeare.txt"),
                    .copy("mnist-5k-images-idx3-ubyte"), .copy("mnist-5k-labels-idx1-ubyte"),
                    .copy("gpt2-encoder.json"), .copy("gpt2-vocab.bpe")]),
    // SVG figures: axes, line, scatter and matrix plots, image grids,
    // decision boundaries. Every chapter draws its figures with them.
    .target(
        name: "Figures",
        dependencies: ["Storage"]),
    .testTarget(
        name: "FiguresTests",
        dependencies: ["Figures"],
        path: "Tests/Figures"),
    // Helpers shared by the test targets (fixture loader, sample checkpoints,
    // layer gradient check).
    .target(
        name: "TestSupport",
        dependencies: ["BackpropCore", "Storage", "Backpropagation"],
        path: "Tests/TestSupport"),
]

for chapter in chapters {
    targets.append(.target(
        name: chapter.module,
        dependencies: chapter.imports.map { .target(name: $0) },
        path: "Sources/\(chapter.folder)",
        swiftSettings: chapter.vector ? vectorFlags : []))
    targets.append(.testTarget(
        name: chapter.module + "Tests",
        dependencies: ([chapter.module, "BackpropCore", "TestSupport"] + chapter.testImports).map { .target(name: $0) },
        path: "Tests/\(chapter.folder)"))
}

targets += [
    .target(
        name: "BackpropCLI",
        dependencies: ["BackpropCore", "Storage", "Figures"] + chapters.map { .target(name: $0.module) }),
    .executableTarget(
        name: "backprop",
        dependencies: ["BackpropCLI"]),
    .testTarget(
        name: "BackpropCLITests",
        dependencies: ["BackpropCLI", "BackpropCore", "Storage", "ModelAsAService", "RecurrentNetworks", "Transformer"]),
]

// Exercises: stubs a student fills in, in exercises/NN-slug. Each chapter's
// folder is a small package of its own (its Package.swift depends on this one
// by path), so a student's answer is compiled and graded only by
// `swift test --package-path exercises/NN-slug`, never by this package's
// `swift test`: a stub that does not compile or crashes affects its own
// chapter's grading only (exercises/README.md). This package builds what the
// chapters' packages import: ExerciseKit (NotAttempted, FrameError, SaveFileSystem, the
// grading helpers) and each chapter's graders (exercises/graders/NN-slug, the
// library `GradersNN`), and tests the graders against the reference
// solutions (Tests/GraderSelfTests). Reference solutions live apart from the
// stubs; an instructor may delete any chapter's folder under
// exercises/solutions before handing the exercises out, and the package still
// builds (that chapter's grader self-tests are then skipped).
//
// `imports` are the book's modules a chapter's stubs (and solutions) may use,
// besides ExerciseKit and BackpropCore; exercises/NN-slug/Package.swift lists
// the same. `graderImports` are those its graders use.
let exercises: [(number: String, folder: String, imports: [String], graderImports: [String])] = [
    ("01", "01-linear-models", ["LinearModels"], ["LinearModels", "Datasets"]),
    ("02", "02-backpropagation", ["LinearModels", "Backpropagation"], ["Backpropagation", "Datasets"]),
    ("03", "03-automatic-differentiation", ["Backpropagation", "AutomaticDifferentiation"],
     ["AutomaticDifferentiation", "Backpropagation", "LinearModels", "Datasets"]),
    ("04", "04-word-embeddings", [], ["WordEmbeddings", "Datasets"]),
    ("05", "05-convolutional-networks", ["LinearModels", "Backpropagation", "ConvolutionalNetworks"],
     ["Backpropagation", "ConvolutionalNetworks", "Datasets"]),
    ("06", "06-recurrent-networks", ["Backpropagation", "RecurrentNetworks"], ["RecurrentNetworks"]),
    ("07", "07-transformer", ["Backpropagation"], ["Graders06", "Backpropagation", "RecurrentNetworks", "Transformer"]),
    ("08", "08-tokens-and-the-modern-llm", ["Backpropagation", "TokensAndTheModernLLM"],
     ["TokensAndTheModernLLM", "Backpropagation", "RecurrentNetworks", "Transformer", "Datasets"]),
    ("09", "09-model-as-a-service", ["ModelAsAService"], ["ModelAsAService", "Transformer", "RecurrentNetworks"]),
]
targets.append(.target(name: "ExerciseKit"))
var exerciseProducts: [Product] = [.library(name: "ExerciseKit", targets: ["ExerciseKit"])]
var graderTestDependencies: [Target.Dependency] = ["ExerciseKit", "BackpropCore", "Backpropagation", "AutomaticDifferentiation", "ConvolutionalNetworks", "RecurrentNetworks", "Transformer", "TokensAndTheModernLLM"]
for e in exercises {
    targets.append(.target(name: "Graders\(e.number)",
                           dependencies: (["ExerciseKit", "BackpropCore"] + e.graderImports).map { .target(name: $0) },
                           path: "exercises/graders/\(e.folder)"))
    exerciseProducts.append(.library(name: "Graders\(e.number)", targets: ["Graders\(e.number)"]))
    graderTestDependencies.append(.target(name: "Graders\(e.number)"))
    if FileManager.default.fileExists(atPath: Context.packageDirectory + "/exercises/solutions/\(e.folder)") {
        targets.append(.target(name: "Solutions\(e.number)",
                               dependencies: (["ExerciseKit", "BackpropCore"] + e.imports).map { .target(name: $0) },
                               path: "exercises/solutions/\(e.folder)"))
        graderTestDependencies.append(.target(name: "Solutions\(e.number)"))
    }
}
targets.append(.testTarget(name: "GraderSelfTests", dependencies: graderTestDependencies))

let package = Package(
    name: "Backprop",
    platforms: [.macOS(.v14)],
    products: [.executable(name: "backprop", targets: ["backprop"]),
               .library(name: "BackpropCore", targets: ["BackpropCore"]),
               .library(name: "Storage", targets: ["Storage"]),
               .library(name: "Datasets", targets: ["Datasets"]),
               .library(name: "Figures", targets: ["Figures"])]
        + chapters.map { .library(name: $0.module, targets: [$0.module]) }
        + exerciseProducts,
    targets: targets
)
