// swift-tools-version:6.0
//
// Chapter 8's exercises, a package of their own: an answer that does not
// compile or crashes affects this chapter's grading only. From the
// repository's root:
//
//   swift test --package-path exercises/08-tokens-and-the-modern-llm
//   swift test --package-path exercises/08-tokens-and-the-modern-llm --filter Chapter08Exercises/rmsNormBackward
//
// The stubs in this folder are the module `Exercises08`; Tests/ runs the
// chapter's graders (the library `Graders08`, from exercises/graders) on
// them. Both come from the book's package at ../.., named "Backprop" here
// so that `package: "Backprop"` works whatever the clone's folder is called.

import PackageDescription

let package = Package(
    name: "Exercises08",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Backprop", path: "../..")],
    targets: [
        .target(
            name: "Exercises08",
            dependencies: [
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "BackpropCore", package: "Backprop"),
                .product(name: "Backpropagation", package: "Backprop"),
                .product(name: "TokensAndTheModernLLM", package: "Backprop"),
            ],
            path: ".",
            exclude: ["Package.swift", "Tests"]),
        .testTarget(
            name: "Exercises08Tests",
            dependencies: [
                "Exercises08",
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "Graders08", package: "Backprop"),
            ],
            path: "Tests"),
    ]
)
